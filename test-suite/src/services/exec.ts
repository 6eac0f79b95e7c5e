/**
 * Runs a short-lived command (redis-cli, openssl, `--version` probes) to completion with a
 * deadline, failing with a message that carries the command's own explanation (its stderr).
 */
import { execFile } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Deadline; the command is killed with SIGKILL when it passes (default 30 s). */
  timeoutMs?: number;
  cwd?: string;
}

/** Keeps the last `max` characters of a command's output, for error messages. */
export function tail(text: string, max = 2000): string {
  const trimmed = text.trimEnd();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const shown = `${command} ${args.join(' ')}`;
        const errno = (error as NodeJS.ErrnoException).code;
        let why: string;
        if (errno === 'ENOENT') why = `${command} is not installed (not found on PATH)`;
        else if (error.killed) why = `timed out after ${timeoutMs} ms`;
        else why = `exited with code ${String(errno ?? error.signal ?? 'unknown')}`;
        const output = tail(`${stderr}\n${stdout}`);
        reject(new Error(`\`${shown}\` failed: ${why}${output ? `\n${output}` : ''}`));
      },
    );
  });
}

/** `available()` helper: true if `command ...args` runs successfully, otherwise the reason. */
export async function probe(
  command: string,
  args: readonly string[] = ['--version'],
): Promise<true | string> {
  try {
    await run(command, args, { timeoutMs: 10_000 });
    return true;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
