/**
 * Runs jasmine spec files with the summary reporter and exits non-zero when anything failed.
 * Used by the root `npm test` and by the `connector-spec` CLI.
 */
import { SummaryReporter } from './reporter/summary-reporter';
import { stopAllServices } from './services/registry';

interface JasmineRunner {
  exitOnCompletion: boolean;
  loadConfig(config: Record<string, unknown>): Promise<void> | void;
  addReporter(reporter: object): void;
  execute(files?: string[], filter?: string): Promise<{ overallStatus: string }>;
}

export interface RunSpecsOptions {
  projectBaseDir: string;
  specFiles: string[];
  helpers?: string[];
  /** Only specs whose full name matches. */
  filter?: string;
  /** Default per-spec timeout in ms. */
  defaultTimeoutMs?: number;
}

export async function runSpecs(options: RunSpecsOptions): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Jasmine = require('jasmine') as new (opts: { projectBaseDir: string }) => JasmineRunner;
  const runner = new Jasmine({ projectBaseDir: options.projectBaseDir });
  runner.exitOnCompletion = false;
  await runner.loadConfig({
    spec_dir: '.',
    spec_files: options.specFiles,
    helpers: options.helpers ?? [],
    stopSpecOnExpectationFailure: false,
    env: { stopOnSpecFailure: false, random: false },
  });
  if (options.defaultTimeoutMs) jasmine.DEFAULT_TIMEOUT_INTERVAL = options.defaultTimeoutMs;
  const summary = new SummaryReporter();
  runner.addReporter(summary);
  let status = 'failed';
  try {
    status = (await runner.execute(undefined, options.filter)).overallStatus;
  } finally {
    await stopAllServices();
  }
  return summary.counts.failed > 0 || status !== 'passed' ? 1 : 0;
}
