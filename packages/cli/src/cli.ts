#!/usr/bin/env node
/**
 * connector-kit: the kit's command line. Every failure is one line on stderr, credentials
 * redacted, and a non-zero exit code (see EXIT_CODES).
 */
import { CommanderError, createProgram, fromCommanderError } from './program';
import { EXIT_CODES, errorLine, exitCodeOf } from './errors';
import { rememberSecretsIn } from './secrets';

function fail(err: unknown): never {
  process.stderr.write(`connector-kit: ${errorLine(err)}\n`);
  process.exit(exitCodeOf(err));
}

async function main(): Promise<void> {
  // Every URL this process was given, so no message can echo its password.
  rememberSecretsIn([...process.argv.slice(2), process.env.CACHE_URL, process.env.STORAGE_URL]);
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    await createProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its one line already.
      const usage = fromCommanderError(err);
      process.exit(usage ? usage.exitCode : EXIT_CODES.ok);
    }
    fail(err);
  }
  process.exit(EXIT_CODES.ok);
}

void main();
