/** `connector-kit set <url> <key> <value>`: stores a JSON value (or, with --string, text). */
import { Option, type Command } from 'commander';
import type { JsonValue, SetOptions } from '@connector-kit/connector-core';
import { withConnector } from '../connect';
import { addConnectionOptions, openOptions, type ConnectionFlags } from '../connection-options';
import { usageError } from '../errors';
import { parseMs, parseVersion } from '../parse';
import { rememberSecretsIn } from '../secrets';

interface SetFlags extends ConnectionFlags {
  string: boolean;
  ttl?: number;
  version?: number;
}

function valueOf(text: string, asString: boolean): JsonValue {
  if (asString) return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw usageError(
      `the value is not valid JSON: quote a string as '"text"', or pass --string to store the text as it is`,
    );
  }
}

async function set(url: string, key: string, text: string, flags: SetFlags): Promise<void> {
  rememberSecretsIn([url]);
  const value = valueOf(text, flags.string);
  const options: SetOptions = {};
  if (flags.ttl !== undefined) options.ttl = flags.ttl;
  if (flags.version !== undefined) options.version = flags.version;
  await withConnector(url, openOptions(flags), (connector) => connector.set(key, value, options));
}

export function addSetCommand(program: Command): void {
  const command = program
    .command('set')
    .description('Store a value under a key. The value is JSON unless --string is given.')
    .argument('<url>', 'connector URL')
    .argument('<key>', 'the key')
    .argument('<value>', 'a JSON value, e.g. \'{"name":"Ada"}\', 42, \'"text"\'')
    .option('--string', 'store <value> as a string, not as JSON', false)
    .addOption(new Option('--ttl <ms>', 'expire the key after this many ms').argParser(parseMs))
    .addOption(new Option('--version <n>', 'the version to store with the value').argParser(parseVersion));
  addConnectionOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  connector-kit set redis://127.0.0.1:6379 user/ada '{"name":"Ada","langs":["en"]}'
  connector-kit set memcached://127.0.0.1:11211 greeting hello --string --ttl 60000`,
    )
    .action((url: string, key: string, value: string, flags: SetFlags) => set(url, key, value, flags));
}
