/**
 * A jasmine reporter that ends every run with the line CI reads: `N passed, N failed` (and
 * `, N skipped` when any spec was pending or excluded). Failures outside specs (a failing
 * beforeAll/afterAll, an error at load time) count as failed, so they can never hide.
 */

interface SpecResult {
  status: string;
  fullName: string;
}

interface SuiteResult {
  fullName: string;
  failedExpectations: { message: string }[];
}

interface RunResult {
  overallStatus: string;
  failedExpectations: { message: string }[];
}

export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export class SummaryReporter {
  readonly counts: SummaryCounts = { passed: 0, failed: 0, skipped: 0 };
  private readonly write: (line: string) => void;

  constructor(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.write = write;
  }

  specDone(result: SpecResult): void {
    if (result.status === 'passed') this.counts.passed++;
    else if (result.status === 'failed') this.counts.failed++;
    else this.counts.skipped++; // pending, excluded
  }

  suiteDone(result: SuiteResult): void {
    // A failure in beforeAll/afterAll is reported on the suite, not on a spec.
    if (result.failedExpectations.length > 0) this.counts.failed += result.failedExpectations.length;
  }

  jasmineDone(result: RunResult): void {
    if (result.failedExpectations.length > 0) this.counts.failed += result.failedExpectations.length;
    if (result.overallStatus !== 'passed' && this.counts.failed === 0) {
      // e.g. no specs found, or a focused spec (fit/fdescribe) left the rest unrun.
      this.write(`jasmine reported the run as ${result.overallStatus}`);
      this.counts.failed++;
    }
    this.write(summaryLine(this.counts));
  }
}

export function summaryLine(counts: SummaryCounts): string {
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  return `${counts.passed} passed, ${counts.failed} failed${skipped}`;
}
