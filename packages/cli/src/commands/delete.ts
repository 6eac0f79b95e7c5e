/** `connector-kit delete <url> <key>`: removes a key (a missing key is not an error). */
import type { Command } from 'commander';
import { withConnector } from '../connect';
import { addConnectionOptions, openOptions, type ConnectionFlags } from '../connection-options';
import { rememberSecretsIn } from '../secrets';

async function remove(url: string, key: string, flags: ConnectionFlags): Promise<void> {
  rememberSecretsIn([url]);
  await withConnector(url, openOptions(flags), (connector) => connector.delete(key));
}

export function addDeleteCommand(program: Command): void {
  const command = program
    .command('delete')
    .description('Delete a key. Deleting a key that does not exist is not an error.')
    .argument('<url>', 'connector URL')
    .argument('<key>', 'the key');
  addConnectionOptions(command)
    .addHelpText(
      'after',
      `
Example:
  connector-kit delete redis://127.0.0.1:6379 user/ada`,
    )
    .action((url: string, key: string, flags: ConnectionFlags) => remove(url, key, flags));
}
