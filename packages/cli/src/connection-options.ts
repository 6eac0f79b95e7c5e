/** The options every command that talks to one connector URL shares (get, set, delete, head, bench). */
import { Option, type Command } from 'commander';
import type { OpenOptions } from './connect';
import { CLI_DEFAULTS } from './defaults';
import { parseJsonObject, parseMs } from './parse';

export interface ConnectionFlags {
  connectTimeout: number;
  timeout: number;
  options?: Record<string, unknown>;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--connect-timeout <ms>', 'how long to wait for the backend to be reachable')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.connectTimeoutMs),
    )
    .addOption(
      new Option('--timeout <ms>', 'bound on each operation')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.operationTimeoutMs),
    )
    .addOption(
      new Option('--options <json>', "the connector's own options, as a JSON object").argParser(
        parseJsonObject,
      ),
    );
}

export function openOptions(flags: ConnectionFlags, role = 'connector'): OpenOptions {
  return {
    role,
    connectTimeoutMs: flags.connectTimeout,
    operationTimeoutMs: flags.timeout,
    ...(flags.options ? { connectorOptions: flags.options } : {}),
  };
}
