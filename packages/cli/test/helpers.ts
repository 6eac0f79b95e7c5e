/**
 * Runs the built CLI as a user would: `node packages/cli/dist/cli.js …` in a child process, with
 * its own environment, and collects its exit code and output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child (SIGKILL) after this long; the spec then fails on the result. */
  killAfterMs?: number;
  /** Run this program with the arguments instead of `node dist/cli.js` (e.g. scripts/start.sh). */
  program?: string;
}

/** The environment a CLI child gets: ours minus the variables `serve` reads, plus `env`. */
function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['CACHE_URL', 'STORAGE_URL', 'PORT', 'HOST']) delete base[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** A running CLI process with its output so far. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly started = Date.now();
  readonly exited: Promise<CliResult>;

  constructor(args: readonly string[], options: CliRunOptions = {}) {
    const [command, commandArgs] = options.program
      ? [options.program, [...args]]
      : [process.execPath, [CLI, ...args]];
    this.child = spawn(command, commandArgs, {
      cwd: options.cwd ?? process.cwd(),
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    const killer =
      options.killAfterMs !== undefined
        ? setTimeout(() => this.child.kill('SIGKILL'), options.killAfterMs)
        : null;
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        if (killer) clearTimeout(killer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, ms: Date.now() - this.started });
      });
    });
  }

  /** Resolves once stdout matches `pattern`; rejects if the process exits first or time runs out. */
  async waitForStdout(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        throw new Error(
          `CLI ${exited ? 'exited' : 'did not print'} ${pattern} in time; stdout: ${this.stdout} stderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new CliProcess(args, { killAfterMs: 60_000, ...options }).exited;
}

/** The non-empty lines of a stream's output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
