/**
 * A `ServiceNode` backed by one child process listening on a fixed loopback port: start, wait
 * until it serves, kill, freeze (SIGSTOP), thaw (SIGCONT) and start again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { onProcessExit } from './exit-hooks';
import { LOOPBACK, ownsListeningPort, waitForPort } from './ports';
import { waitUntilStoppedSync } from './proc-state';
import type { ServiceNode } from './types';
import { waitUntil, withTimeout } from './wait';

export interface ProcessNodeOptions {
  /** Short name for messages, e.g. `redis-server`. */
  label: string;
  command: string;
  args: readonly string[];
  port: number;
  host?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Deadline for each start or restart to become ready (default 15 s). */
  startTimeoutMs?: number;
  /** Wait for a line matching this in the output before the port check (e.g. /listening/). */
  readyPattern?: RegExp;
  /**
   * Further readiness check after the port accepts connections, retried until it resolves or the
   * start deadline passes (e.g. a real request). Can be replaced later with `setReadyCheck`.
   */
  readyCheck?: ReadyCheck;
  /**
   * Give the child a stdin pipe. A child written to notice it (see dynalite-main) exits when the
   * pipe closes, i.e. even when this process is killed with SIGKILL and exit hooks cannot run.
   */
  stdinPipe?: boolean;
  /**
   * Run the process under `nice -n <niceness>`. Set at exec, so every thread it ever starts has
   * it (renicing a running JVM reaches only the threads it names).
   */
  niceness?: number;
}

export type ReadyCheck = (node: ProcessNode) => Promise<void>;

const OUTPUT_LIMIT = 8 * 1024;

/** Every child still alive, killed synchronously when the test process exits. */
const liveChildren = new Set<ChildProcess>();
onProcessExit(() => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  liveChildren.clear();
}, 0);

export class ProcessNode implements ServiceNode {
  readonly host: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Settles once the process exited and its output pipes are drained. */
  private closed: Promise<void> = Promise.resolve();
  private spawnError: Error | undefined;
  private output = '';
  private isPaused = false;
  private stopped = false;
  private readyCheck: ReadyCheck | undefined;

  constructor(private readonly options: ProcessNodeOptions) {
    this.host = options.host ?? LOOPBACK;
    this.port = options.port;
    this.readyCheck = options.readyCheck;
  }

  get label(): string {
    return this.options.label;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null && !this.spawnError;
  }

  get paused(): boolean {
    return this.running && this.isPaused;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** The last few KB of the process's stdout and stderr (interleaved), for error messages. */
  outputTail(): string {
    return this.output.trimEnd();
  }

  setReadyCheck(check: ReadyCheck | undefined): void {
    this.readyCheck = check;
  }

  /** Spawns the process and waits until it serves; on failure kills it and throws with its output. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error(`${this.describe()} was stopped; it cannot be started again`);
    if (this.running) return;
    this.spawn();
    if (this.child?.pid === undefined) {
      // Spawning itself failed (e.g. ENOENT); the reason arrives as an 'error' event.
      await withTimeout(this.exited, 5000, 'spawn failed').catch(() => undefined);
      throw new Error(`Could not start ${this.describe()}: ${this.spawnError?.message ?? 'spawn failed'}`);
    }
    const timeoutMs = this.options.startTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    const remaining = (): number => Math.max(1, deadline - Date.now());
    const abortIf = (): void => this.assertAlive();
    try {
      const pattern = this.options.readyPattern;
      if (pattern) {
        await waitUntil(async () => pattern.test(this.output), {
          timeoutMs: remaining(),
          intervalMs: 50,
          what: `${this.describe()} to print ${String(pattern)}`,
          abortIf,
        });
      }
      await waitForPort(this.port, {
        host: this.host,
        timeoutMs: remaining(),
        abortIf,
        what: `${this.describe()} to accept connections`,
      });
      this.assertOwnsPort();
      const check = this.readyCheck;
      if (check) {
        await waitUntil(() => check(this).then(() => true), {
          timeoutMs: remaining(),
          intervalMs: 200,
          what: `${this.describe()} to become ready`,
          abortIf,
        });
      }
      abortIf();
    } catch (err) {
      await this.kill('SIGKILL').catch(() => undefined);
      // Let the last words on stderr (often the actual reason) arrive before quoting them.
      await withTimeout(this.closed, 1000, 'pipes still open').catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(this.withOutput(`Could not start ${this.describe()}: ${message}`));
    }
  }

  /**
   * Sends a signal (default SIGKILL, a crash). For SIGKILL, SIGTERM and SIGINT this waits until
   * the process is gone; a SIGTERM/SIGINT that is ignored for 10 s is followed by SIGKILL.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    // A stopped process only acts on SIGKILL; let it run so it can handle the signal.
    if (this.isPaused && signal !== 'SIGKILL' && signal !== 'SIGSTOP') this.resume();
    if (signal === 'SIGKILL') {
      await withTimeout(this.exited, 10_000, `${this.describe()} did not die within 10 s of SIGKILL`);
    } else if (signal === 'SIGTERM' || signal === 'SIGINT') {
      try {
        await withTimeout(this.exited, 10_000, 'ignored');
      } catch {
        await this.kill('SIGKILL');
      }
    }
  }

  /**
   * Freezes the process with its sockets open, as a hung server would be. Returns once every
   * thread has actually stopped (see proc-state.ts), so the next request cannot be answered.
   */
  pause(): void {
    const pid = this.pid;
    if (!this.running || pid === undefined)
      throw new Error(`${this.describe()} is not running; cannot pause it`);
    this.child?.kill('SIGSTOP');
    this.isPaused = true;
    if (!waitUntilStoppedSync(pid)) throw new Error(`${this.describe()} did not stop within 5 s of SIGSTOP`);
  }

  resume(): void {
    if (!this.running) return;
    this.child?.kill('SIGCONT');
    this.isPaused = false;
  }

  /** Starts the process again on the same port (killing it first if it still runs). */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.start();
  }

  /** Kills the process for good; later `start`/`restart` calls fail. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.kill('SIGKILL');
  }

  private describe(): string {
    const pid = this.child?.pid;
    return `${this.options.label} on ${this.host}:${this.port}${pid ? ` (pid ${pid})` : ''}`;
  }

  private withOutput(message: string): string {
    const output = this.outputTail();
    return output ? `${message}\n--- ${this.options.label} output (tail) ---\n${output}` : message;
  }

  /** Throws (ending a wait) when the process has already exited. */
  private assertAlive(): void {
    if (this.spawnError) throw this.spawnError;
    const child = this.child;
    if (!child) throw new Error('process was never started');
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
      throw new Error(`it exited with ${how}`);
    }
  }

  /**
   * A connection can succeed because another process already listens on the port (then our server
   * is about to die with "address in use"); on Linux, make sure the listener is our child.
   */
  private assertOwnsPort(): void {
    const pid = this.child?.pid;
    if (pid === undefined || ownsListeningPort(pid, this.port) !== false) return;
    throw new Error(`port ${this.port} accepts connections, but another process is listening on it`);
  }

  private spawn(): void {
    this.output = '';
    this.spawnError = undefined;
    this.isPaused = false;
    const { command, args, niceness } = this.options;
    // `nice` execs the command in place: the child's pid stays the server's, for kill and pause.
    const argv =
      niceness === undefined ? [command, ...args] : ['nice', '-n', String(niceness), command, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      stdio: [this.options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    liveChildren.add(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        // Spawn failures (e.g. ENOENT) emit 'error' and never 'exit'.
        if (child.pid === undefined) {
          const code = (err as NodeJS.ErrnoException).code;
          this.spawnError =
            code === 'ENOENT'
              ? new Error(`${this.options.command} is not installed (not found on PATH)`)
              : err;
          resolve();
        }
      });
    }).then(() => {
      liveChildren.delete(child);
    });
    this.closed = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    const collect = (stream: Readable | null): void => {
      if (!stream) return;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.output = (this.output + chunk).slice(-OUTPUT_LIMIT);
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    // Forgotten servers must not keep the test process alive; the exit hook kills them.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }
}
