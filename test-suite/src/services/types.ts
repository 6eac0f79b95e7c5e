/**
 * Service launchers start a real backend server on a free loopback port for the tests, or hand
 * out the URL a user configured in the environment (then nothing is started and the fault
 * helpers are unavailable).
 */

export interface ServiceHandle {
  /** Launcher name, e.g. `redis`, `redis-cluster`, `memcached-pool`, `dynamodb-local`. */
  readonly name: string;
  /** Connection URL in the kit's URL syntax (e.g. `redis://127.0.0.1:6390`). */
  readonly url: string;
  /** True when the URL came from the environment and no process is under our control. */
  readonly external: boolean;
  /** Individual processes (a pool or a cluster has several; a single server has one). */
  readonly nodes: readonly ServiceNode[];
  /** Extra launcher-specific facts (ports, paths to generated certificates, passwords, …). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Stops every process and removes temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

/** One server process under the launcher's control, for fault tests. */
export interface ServiceNode {
  readonly host: string;
  readonly port: number;
  readonly running: boolean;
  /** Sends a signal; `SIGKILL` waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open (a hung server). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Starts the process again on the same port (after `kill`), waiting until it accepts connections. */
  restart(): Promise<void>;
}

export interface StartOptions {
  /** Launcher-specific options (e.g. `{ password: 's3cret' }`, `{ tls: true }`, `{ maxItemBytes }`). */
  [option: string]: unknown;
}

export interface ServiceLauncher {
  /** Environment variable that, when set, supplies an external URL instead of starting a server. */
  readonly envVar?: string;
  /** Whether this launcher can run on this machine (e.g. the binary exists); a reason if not. */
  available(): Promise<true | string>;
  start(options: StartOptions): Promise<ServiceHandle>;
  /**
   * Optional: turns the environment variable's value into the kit's URL plus facts for `info`
   * (e.g. `DYNAMODB_ENDPOINT=http://host:8000` becomes `dynamodb://us-east-1/table?endpoint=…`).
   * Without it the value is used as the URL unchanged.
   */
  fromEnv?(value: string): { url: string; info?: Record<string, unknown> };
}
