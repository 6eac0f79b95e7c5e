/** `connector-kit head <url> <key>`: prints a key's version without reading its value. */
import type { Command } from 'commander';
import { withConnector } from '../connect';
import { addConnectionOptions, openOptions, type ConnectionFlags } from '../connection-options';
import { CliError, EXIT_CODES } from '../errors';
import { rememberSecretsIn } from '../secrets';

async function head(url: string, key: string, flags: ConnectionFlags): Promise<void> {
  rememberSecretsIn([url]);
  const version = await withConnector(url, openOptions(flags), (connector) => connector.head(key));
  if (version === null) throw new CliError(`not found: ${JSON.stringify(key)}`, EXIT_CODES.notFound);
  process.stdout.write(`${version}\n`);
}

export function addHeadCommand(program: Command): void {
  const command = program
    .command('head')
    .description("Print a key's stored version (exit 3 if the key does not exist).")
    .argument('<url>', 'connector URL')
    .argument('<key>', 'the key');
  addConnectionOptions(command)
    .addHelpText(
      'after',
      `
Example:
  connector-kit head redis://127.0.0.1:6379 user/ada      # prints e.g. 4`,
    )
    .action((url: string, key: string, flags: ConnectionFlags) => head(url, key, flags));
}
