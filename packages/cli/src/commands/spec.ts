/**
 * `connector-kit spec <url | module>`: the kit's common spec against a connector URL (built
 * through the registry) or a connector module, run by the test-suite's `connector-spec` runner in
 * a child process whose output is scrubbed of credentials.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { CliError, usageError, type ExitCode } from '../errors';
import { parseJsonObject, parseMs } from '../parse';
import { rememberSecretsIn, scrub } from '../secrets';

interface SpecFlags {
  url?: string;
  export?: string;
  options?: Record<string, unknown>;
  unreachableUrl?: string;
  timeout?: number;
  filter?: string;
}

/** A target with `scheme://` is a URL; anything else names a module (package or path). */
export function isUrl(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target);
}

/** The module's file, resolved from the working directory as the user sees it, or a CliError. */
function resolveModule(target: string): string {
  const request = target.startsWith('.') || target.startsWith('/') ? resolve(target) : target;
  try {
    return require.resolve(request, { paths: [process.cwd()] });
  } catch {
    throw new CliError(`cannot find the connector module "${target}" (from ${process.cwd()})`);
  }
}

function runnerArgs(target: string, flags: SpecFlags): string[] {
  const args: string[] = [];
  if (isUrl(target)) {
    if (flags.url !== undefined) throw usageError('give the URL either as <target> or with --url, not both');
    if (flags.export !== undefined) throw usageError('--export names a class in a module; <target> is a URL');
    args.push('--module', join(__dirname, '..', 'spec', 'url-driver.js'), '--url', target);
  } else {
    args.push('--module', resolveModule(target));
    if (flags.url !== undefined) args.push('--url', flags.url);
    if (flags.export !== undefined) args.push('--export', flags.export);
  }
  if (flags.options) args.push('--options', JSON.stringify(flags.options));
  if (flags.unreachableUrl !== undefined) args.push('--unreachable-url', flags.unreachableUrl);
  if (flags.timeout !== undefined) args.push('--timeout', String(flags.timeout));
  if (flags.filter !== undefined) args.push('--filter', flags.filter);
  return args;
}

function pipeScrubbed(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${scrub(line)}\n`));
}

async function spec(target: string, flags: SpecFlags): Promise<void> {
  rememberSecretsIn([target, flags.url, flags.unreachableUrl]);
  const runner = require.resolve('@connector-kit/test-suite/dist/cli.js');
  const child = spawn(process.execPath, [runner, ...runnerArgs(target, flags)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeScrubbed(child.stdout, process.stdout);
  pipeScrubbed(child.stderr, process.stderr);
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  if (code !== 0)
    throw new CliError('the common spec failed (see the summary above)', (code === 2 ? 2 : 1) as ExitCode);
}

export function addSpecCommand(program: Command): void {
  program
    .command('spec')
    .description(
      "Run the kit's common connector spec against a connector URL or a connector module " +
        '(exit 0 only if every spec passed).',
    )
    .argument('<target>', 'a connector URL (memory://, redis://…), or a module: package name or path')
    .option('--url <url>', 'with a module: the URL each connector is created with')
    .option('--export <name>', 'with a module: the connector class to construct (default: its driver)')
    .addOption(
      new Option('--options <json>', 'options for every connector, as a JSON object').argParser(
        parseJsonObject,
      ),
    )
    .option('--unreachable-url <url>', 'a URL where nothing listens, for the unreachable-backend specs')
    .addOption(new Option('--timeout <ms>', 'per-spec timeout').argParser(parseMs))
    .option('--filter <regex>', 'only specs whose full name matches')
    .addHelpText(
      'after',
      `
Examples:
  connector-kit spec memory://
  connector-kit spec redis://127.0.0.1:6379 --unreachable-url redis://127.0.0.1:1
  connector-kit spec ./dist/index.js --url myscheme://127.0.0.1:1234 --filter 'bulk'`,
    )
    .action((target: string, flags: SpecFlags) => spec(target, flags));
}
