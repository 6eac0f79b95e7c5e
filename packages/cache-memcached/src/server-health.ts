import { ConnectorError } from '@connector-kit/connector-core';

export interface ServerHealthOptions {
  /** Consecutive failures that mark a server down. */
  failures: number;
  /** Probe interval for a down server, ms. */
  retryMs: number;
}

export interface ServerHealthHooks {
  /** Resolves when the server answers. */
  probe(server: string): Promise<void>;
  onDown(server: string, error: ConnectorError): void;
  onUp(server: string): void;
}

interface ServerState {
  failures: number;
  down: ConnectorError | null;
  probeTimer: NodeJS.Timeout | null;
}

/**
 * Tracks which servers of the pool are reachable. This replaces the `memcached` client's own
 * bookkeeping (its IssueLog), which waits hours by default before reconnecting and then checks a
 * dead server by spawning the `ping` binary — an uncaught crash on machines without it, and no
 * test of the memcached port anyway. Here a server is down after `failures` consecutive
 * connection failures, its operations then fail at once, and it is probed with a real memcached
 * request every `retryMs` until it answers.
 */
export class ServerHealth {
  private readonly states = new Map<string, ServerState>();
  private active = false;
  private closed = false;

  constructor(
    servers: readonly string[],
    private readonly options: ServerHealthOptions,
    private readonly hooks: ServerHealthHooks,
  ) {
    for (const server of servers) this.states.set(server, { failures: 0, down: null, probeTimer: null });
  }

  /** Starts tracking (after connecting), with the servers that were unreachable then. */
  start(unreachable: ReadonlyMap<string, ConnectorError>): void {
    this.active = true;
    for (const [server, error] of unreachable) this.markDown(server, error);
  }

  /** The reason a server is down, or null when it is up. */
  downError(server: string): ConnectorError | null {
    return this.states.get(server)?.down ?? null;
  }

  /** Called for every reply from a server: it is alive. */
  recordSuccess(server: string): void {
    const state = this.states.get(server);
    if (state !== undefined && state.down === null) state.failures = 0;
  }

  recordFailure(server: string, error: ConnectorError): void {
    const state = this.states.get(server);
    if (!this.active || state === undefined || state.down !== null) return;
    if (++state.failures >= this.options.failures) this.markDown(server, error);
  }

  private markDown(server: string, error: ConnectorError): void {
    const state = this.states.get(server);
    if (state === undefined || state.down !== null || this.closed) return;
    state.down = error;
    this.scheduleProbe(server, state);
    this.hooks.onDown(server, error);
  }

  private scheduleProbe(server: string, state: ServerState): void {
    state.probeTimer = setTimeout(() => {
      state.probeTimer = null;
      this.hooks.probe(server).then(
        () => this.markUp(server, state),
        () => {
          if (!this.closed && state.down !== null) this.scheduleProbe(server, state);
        },
      );
    }, this.options.retryMs);
    state.probeTimer.unref();
  }

  private markUp(server: string, state: ServerState): void {
    if (this.closed || state.down === null) return;
    state.down = null;
    state.failures = 0;
    this.hooks.onUp(server);
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) {
      if (state.probeTimer) clearTimeout(state.probeTimer);
      state.probeTimer = null;
    }
  }
}
