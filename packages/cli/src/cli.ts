#!/usr/bin/env node
/**
 * connector-kit: the kit's command line. Every failure is one line on stderr, credentials
 * redacted, and a non-zero exit code (see EXIT_CODES).
 */
import { CommanderError, commanderExitCode, createProgram } from './program';
import { EXIT_CODES, errorLine, exitCodeOf } from './errors';
import { rememberSecretsIn } from './secrets';

function fail(err: unknown): never {
  process.stderr.write(`connector-kit: ${errorLine(err)}\n`);
  process.exit(exitCodeOf(err));
}

async function main(): Promise<void> {
  // Every URL this process was given, so no message can echo its password.
  rememberSecretsIn([...process.argv.slice(2), process.env.CACHE_URL, process.env.STORAGE_URL]);
  // `connector-kit get … | head -1`: a reader that stops early is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_CODES.ok);
    fail(err);
  });
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    await createProgram().parseAsync(process.argv);
  } catch (err) {
    // Commander printed its one line (or the help) already.
    if (err instanceof CommanderError) process.exit(commanderExitCode(err));
    fail(err);
  }
  process.exit(EXIT_CODES.ok);
}

void main();
