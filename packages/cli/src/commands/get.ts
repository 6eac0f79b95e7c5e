/** `connector-kit get <url> <key>`: prints a stored value as JSON. */
import type { Command } from 'commander';
import { withConnector } from '../connect';
import { addConnectionOptions, openOptions, type ConnectionFlags } from '../connection-options';
import { CliError, EXIT_CODES } from '../errors';
import { rememberSecretsIn } from '../secrets';

interface GetFlags extends ConnectionFlags {
  entry: boolean;
  pretty: boolean;
}

async function get(url: string, key: string, flags: GetFlags): Promise<void> {
  rememberSecretsIn([url]);
  const entry = await withConnector(url, openOptions(flags), (connector) => connector.getEntry(key));
  if (entry === null) throw new CliError(`not found: ${JSON.stringify(key)}`, EXIT_CODES.notFound);
  const shown = flags.entry ? { version: entry.version, value: entry.value } : entry.value;
  process.stdout.write(`${JSON.stringify(shown, null, flags.pretty ? 2 : undefined)}\n`);
}

export function addGetCommand(program: Command): void {
  const command = program
    .command('get')
    .description('Print the value stored under a key, as JSON (exit 3 if the key does not exist).')
    .argument('<url>', 'connector URL, e.g. redis://127.0.0.1:6379#app:')
    .argument('<key>', 'the key')
    .option('--entry', 'print {"version": n, "value": …} instead of the value alone', false)
    .option('--pretty', 'indent the JSON', false);
  addConnectionOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  connector-kit get redis://127.0.0.1:6379 user/ada
  connector-kit get 'mongodb://app:secret@db.example/app#users:' ada --entry`,
    )
    .action((url: string, key: string, flags: GetFlags) => get(url, key, flags));
}
