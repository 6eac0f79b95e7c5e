#!/usr/bin/env node
/**
 * Runs the MongoDB emulator as a process (for launchers that kill, pause and restart it):
 *
 *   node test-suite/dist/emulators/mongodb/main.js [--port N] [--host H] [--data-file F]
 *        [--ttl-interval-ms N] [--quiet] [--exit-on-stdin-end]
 *
 * Prints `listening <port>` on stdout once it accepts connections. SIGTERM/SIGINT close it cleanly.
 */
import { EMULATOR_BANNER, startMongoEmulator, type MongoEmulatorOptions } from './server';

const USAGE =
  'usage: main.js [--port N] [--host H] [--data-file F] [--ttl-interval-ms N] [--quiet] [--exit-on-stdin-end]';

interface CliOptions extends MongoEmulatorOptions {
  exitOnStdinEnd: boolean;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { exitOnStdinEnd: false };
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0)
      throw new Error(`${flag} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--port':
        options.port = number(arg, argv[++i]);
        break;
      case '--host':
        options.host = argv[++i];
        break;
      case '--data-file':
        options.dataFile = argv[++i];
        if (!options.dataFile) throw new Error('--data-file needs a path');
        break;
      case '--ttl-interval-ms':
        options.ttlMonitorIntervalMs = number(arg, argv[++i]);
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--exit-on-stdin-end':
        options.exitOnStdinEnd = true;
        break;
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // The banner is printed whatever --quiet says.
  if (options.quiet) process.stderr.write(`${EMULATOR_BANNER}\n`);
  const emulator = await startMongoEmulator(options);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (options.exitOnStdinEnd) {
    // The launcher keeps our stdin open; when it dies, stdin ends and we follow.
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  process.stdout.write(`listening ${emulator.port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`mongodb-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
