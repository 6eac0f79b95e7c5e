/**
 * How the CLI fails: one readable line on stderr (credentials redacted) and an exit code from
 * EXIT_CODES, never a stack trace.
 */
import { scrub } from './secrets';

export const EXIT_CODES = {
  ok: 0,
  /** A backend, configuration or runtime error. */
  failure: 1,
  /** Bad arguments or options (usage error). */
  usage: 2,
  /** `get` / `head`: the key does not exist. */
  notFound: 3,
  /** `serve`: a second Ctrl-C while stopping (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_CODES.failure,
  ) {
    super(message);
  }
}

/** A usage error (exit code 2): a bad argument or option value. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_CODES.usage);
}

/** The one line shown for any error: `code: message` for connector errors, redacted, no newlines. */
export function errorLine(err: unknown): string {
  let text: string;
  if (err instanceof CliError) text = err.message;
  else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    text = typeof code === 'string' && code !== '' ? `${code}: ${err.message}` : err.message;
  } else text = String(err);
  return scrub(text.replace(/\s*\n\s*/g, ' ').trim());
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CliError ? err.exitCode : EXIT_CODES.failure;
}
