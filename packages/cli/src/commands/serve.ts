/** `connector-kit serve`: a deepstream server on the kit, stopped cleanly by Ctrl-C. */
import { Option, type Command } from 'commander';
import { CLI_DEFAULTS, SERVE_ENV, defaultStorageUrl } from '../defaults';
import { CliError, EXIT_CODES } from '../errors';
import { LOG_LEVELS, parseMs, parsePort, type LogLevelName } from '../parse';
import { rememberSecretsIn } from '../secrets';
import { banner } from '../serve/banner';
import { startServer, type ServerOptions } from '../serve/server';

interface ServeFlags {
  cache: string;
  storage?: string;
  dataDir: string;
  port: number;
  host: string;
  logLevel: LogLevelName;
  connectTimeout: number;
  stopTimeout: number;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Calls `stop` on the first SIGINT or SIGTERM; a later one exits at once. A repeat within
 * CLI_DEFAULTS.signalRepeatGraceMs is the same Ctrl-C delivered twice, not a second one: the
 * terminal sends SIGINT to the whole process group, and `npm start` forwards its copy to the
 * server as well.
 */
function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let firstAt: number | null = null;
  const handler = (signal: NodeJS.Signals): void => {
    if (firstAt === null) {
      firstAt = Date.now();
      stop(signal);
    } else if (Date.now() - firstAt >= CLI_DEFAULTS.signalRepeatGraceMs) {
      process.stderr.write('connector-kit: stopped without waiting for the connectors to flush\n');
      process.exit(EXIT_CODES.interrupted);
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
}

function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function serve(flags: ServeFlags): Promise<void> {
  const options: ServerOptions = {
    cacheUrl: flags.cache,
    storageUrl: flags.storage ?? defaultStorageUrl(flags.dataDir),
    port: flags.port,
    host: flags.host,
    logLevel: flags.logLevel,
    connectTimeoutMs: flags.connectTimeout,
  };
  rememberSecretsIn([options.cacheUrl, options.storageUrl]);
  const server = await startServer(options);
  process.stdout.write(`${banner(server, options)}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => onStopSignal(resolve));
  process.stdout.write(
    `\n${signal}: stopping deepstream, flushing and closing the connectors (again to exit at once)…\n`,
  );
  await within(
    server.stop(),
    flags.stopTimeout,
    `stopping took longer than ${flags.stopTimeout} ms; writes still pending may not have reached storage`,
  );
  process.stdout.write('connector-kit: stopped.\n');
}

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Start a deepstream server whose cache and storage are connectors of the kit ' +
        '(default: memory cache + the embedded LMDB storage in --data-dir).',
    )
    .addOption(
      new Option('--cache <url>', 'cache connector URL')
        .env(SERVE_ENV.cacheUrl)
        .default(CLI_DEFAULTS.cacheUrl),
    )
    .addOption(
      new Option('--storage <url>', 'storage connector URL (default: lmdb in --data-dir)').env(
        SERVE_ENV.storageUrl,
      ),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the default embedded storage keeps its files').default(
        CLI_DEFAULTS.dataDir,
      ),
    )
    .addOption(
      new Option('--port <port>', 'port for websocket and HTTP clients')
        .env(SERVE_ENV.port)
        .argParser(parsePort)
        .default(CLI_DEFAULTS.port),
    )
    .addOption(
      new Option('--host <host>', 'interface to listen on').env(SERVE_ENV.host).default(CLI_DEFAULTS.host),
    )
    .addOption(
      new Option('--log-level <level>', "deepstream's log level")
        .choices(LOG_LEVELS)
        .default(CLI_DEFAULTS.logLevel),
    )
    .addOption(
      new Option('--connect-timeout <ms>', 'how long to wait for each backend at start')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.connectTimeoutMs),
    )
    .addOption(
      new Option('--stop-timeout <ms>', 'how long stopping (flush and close) may take')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.stopTimeoutMs),
    )
    .addHelpText(
      'after',
      `
Examples:
  connector-kit serve
  connector-kit serve --port 6021 --data-dir /var/lib/my-app
  CACHE_URL=redis://127.0.0.1:6379 STORAGE_URL=mongodb://127.0.0.1/app connector-kit serve

Ctrl-C (SIGINT) or SIGTERM stops deepstream, flushes and closes the connectors and exits 0;
a second Ctrl-C exits at once (130). A backend that cannot be reached within --connect-timeout
fails the start with one line naming it.`,
    )
    .action((flags: ServeFlags) => serve(flags));
}
