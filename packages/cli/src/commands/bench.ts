/**
 * `connector-kit bench <url>`: closed-loop set and get load against one connector URL, at each
 * concurrency level, printed as a markdown table (ops/s, p50, p99). The kit's own suites, which
 * compare every connector with its raw driver, are `npm run bench` in the repository.
 */
import { Option, type Command } from 'commander';
import { LatencyHistogram, type Connector, type JsonValue } from '@connector-kit/connector-core';
import { withConnector } from '../connect';
import { addConnectionOptions, openOptions, type ConnectionFlags } from '../connection-options';
import { CLI_DEFAULTS } from '../defaults';
import { parseIntList, parseMs, parsePositiveInt } from '../parse';
import { rememberSecretsIn } from '../secrets';

interface BenchFlags extends ConnectionFlags {
  duration: number;
  warmup: number;
  concurrency: number[];
  keys: number;
  prefix: string;
}

export interface BenchRow {
  op: 'set' | 'get';
  concurrency: number;
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** The value every set writes (about 100 bytes of JSON). */
const VALUE: JsonValue = {
  name: 'Ada Lovelace',
  tags: ['x', 'y', 'z'],
  n: 42,
  score: 99.5,
  nested: { ok: true },
};

/** `concurrency` workers each issue the next operation when theirs completes, until `untilMs`. */
async function load(
  concurrency: number,
  untilMs: number,
  operation: (i: number) => Promise<unknown>,
  histogram: LatencyHistogram | null,
): Promise<void> {
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < untilMs) {
      const started = performance.now();
      await operation(counter++);
      histogram?.record(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function measure(
  op: BenchRow['op'],
  concurrency: number,
  operation: (i: number) => Promise<unknown>,
  flags: BenchFlags,
): Promise<BenchRow> {
  await load(concurrency, performance.now() + flags.warmup, operation, null);
  const histogram = new LatencyHistogram();
  const started = performance.now();
  await load(concurrency, started + flags.duration, operation, histogram);
  const elapsedMs = performance.now() - started;
  return {
    op,
    concurrency,
    ops: histogram.count,
    opsPerSec: (histogram.count / elapsedMs) * 1000,
    p50Ms: histogram.percentile(0.5),
    p99Ms: histogram.percentile(0.99),
  };
}

async function run(connector: Connector, flags: BenchFlags): Promise<BenchRow[]> {
  const keys = Array.from({ length: flags.keys }, (_, i) => `${flags.prefix}${i}`);
  const key = (i: number): string => keys[i % keys.length]!;
  const rows: BenchRow[] = [];
  try {
    for (const concurrency of flags.concurrency) {
      rows.push(await measure('set', concurrency, (i) => connector.set(key(i), VALUE), flags));
      rows.push(await measure('get', concurrency, (i) => connector.get(key(i)), flags));
    }
  } finally {
    await connector.deleteBulk(keys).catch(() => undefined);
  }
  return rows;
}

export function benchTable(rows: readonly BenchRow[]): string {
  const lines = ['| op | concurrency | ops | ops/s | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.op} | ${r.concurrency} | ${r.ops} | ${Math.round(r.opsPerSec)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}

async function bench(url: string, flags: BenchFlags): Promise<void> {
  rememberSecretsIn([url]);
  const rows = await withConnector(url, openOptions(flags), (connector) => run(connector, flags));
  process.stdout.write(`${benchTable(rows)}\n`);
}

export function addBenchCommand(program: Command): void {
  const command = program
    .command('bench')
    .description(
      'Measure set and get throughput and latency against a connector URL (closed loop, one row per ' +
        'operation and concurrency). Writes keys under --prefix and deletes them afterwards.',
    )
    .argument('<url>', 'connector URL')
    .addOption(
      new Option('--duration <ms>', 'measured time per row')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.benchDurationMs),
    )
    .addOption(
      new Option('--warmup <ms>', 'unmeasured load before each row')
        .argParser(parseMs)
        .default(CLI_DEFAULTS.benchWarmupMs),
    )
    .addOption(
      new Option('--concurrency <list>', 'concurrency levels, comma-separated')
        .argParser(parseIntList)
        .default(CLI_DEFAULTS.benchConcurrency, CLI_DEFAULTS.benchConcurrency.join(',')),
    )
    .addOption(
      new Option('--keys <n>', 'distinct keys the load cycles through')
        .argParser(parsePositiveInt)
        .default(CLI_DEFAULTS.benchKeys),
    )
    .option('--prefix <text>', 'key prefix for the keys written', CLI_DEFAULTS.benchPrefix);
  addConnectionOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  connector-kit bench memory://
  connector-kit bench redis://127.0.0.1:6379 --duration 5000 --concurrency 1,16,256

For the kit's own suites (every connector against its raw driver) run \`npm run bench\` in the repository.`,
    )
    .action((url: string, flags: BenchFlags) => bench(url, flags));
}
