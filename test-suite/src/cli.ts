#!/usr/bin/env node
/**
 * connector-spec: runs the kit's common spec against any connector module.
 *
 *   npx connector-spec --module ./dist/index.js --url redis://127.0.0.1:6379
 *   npx connector-spec --module my-connector --export MyConnector --options '{"table":"t"}'
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI_TARGET_ENV, type CliTarget } from './cli-target';
import { runSpecs } from './run-specs';

const USAGE = `usage: connector-spec --module <package|path> [--url <url>] [--export <Name>]
                      [--options <json>] [--unreachable-url <url>] [--timeout <ms>] [--filter <regex>]

Runs the common connector spec against the module. The module must export "driver"
({ create(options) }), or a connector class as default export or named by --export.
Each test group gets a new connector created with { ...options, url, prefix }.`;

function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      module: { type: 'string' },
      url: { type: 'string' },
      export: { type: 'string' },
      options: { type: 'string' },
      'unreachable-url': { type: 'string' },
      timeout: { type: 'string' },
      filter: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.module) {
    console.log(USAGE);
    return Promise.resolve(values.help ? 0 : 2);
  }
  let options: Record<string, unknown> = {};
  if (values.options) {
    try {
      options = JSON.parse(values.options) as Record<string, unknown>;
    } catch {
      console.error('--options must be a JSON object');
      return Promise.resolve(2);
    }
  }
  const target: CliTarget = { module: values.module, options };
  if (values.export) target.exportName = values.export;
  if (values.url) target.url = values.url;
  if (values['unreachable-url']) target.unreachableUrl = values['unreachable-url'];
  if (values.timeout) target.timeoutMs = Number(values.timeout);
  process.env[CLI_TARGET_ENV] = JSON.stringify(target);
  return runSpecs({
    projectBaseDir: __dirname,
    specFiles: [join(__dirname, 'cli-spec.js')],
    ...(values.filter ? { filter: values.filter } : {}),
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
