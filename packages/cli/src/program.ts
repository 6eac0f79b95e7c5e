/** The `connector-kit` command tree: one module per command, shared output and error handling. */
import { Command, CommanderError } from 'commander';
import { addBenchCommand } from './commands/bench';
import { addDeleteCommand } from './commands/delete';
import { addGetCommand } from './commands/get';
import { addHeadCommand } from './commands/head';
import { addServeCommand } from './commands/serve';
import { addSetCommand } from './commands/set';
import { addSpecCommand } from './commands/spec';
import { EXIT_CODES, type ExitCode } from './errors';
import { scrub } from './secrets';

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}

/**
 * Builds the program. Settings on it are inherited by every `.command()`: commander's errors are
 * one scrubbed line on stderr, and it throws a CommanderError (see `commanderExitCode`) instead of
 * exiting.
 */
export function createProgram(): Command {
  const program = new Command('connector-kit')
    .description(
      'Cache and storage connectors for realtime servers: serve deepstream on the kit, or use any connector URL.',
    )
    .version(version(), '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(scrub(text)),
      // `connector-kit: unknown option '--x'`, like every other error line.
      outputError: (text, write) => write(`connector-kit: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      `
Connector URLs pick the backend by scheme: memory://, redis://, rediss://, redis+cluster://,
redis+sentinel://, memcached://, mongodb://, mongodb+srv://, dynamodb://, lmdb://.
The #fragment is a key prefix. Credentials in URLs are never printed.

Exit codes: 0 ok, 1 error, 2 bad usage, 3 key not found (get, head).
Run \`connector-kit <command> --help\` for each command's options.`,
    );
  addServeCommand(program);
  addGetCommand(program);
  addSetCommand(program);
  addDeleteCommand(program);
  addHeadCommand(program);
  addSpecCommand(program);
  addBenchCommand(program);
  return program;
}

/**
 * The exit code for what commander threw: help and version are successes; anything else it reports
 * (unknown command or option, missing argument, invalid value) has been printed and is bad usage.
 */
export function commanderExitCode(err: CommanderError): ExitCode {
  return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
}

export { CommanderError };
