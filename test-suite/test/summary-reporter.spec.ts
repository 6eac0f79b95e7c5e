import { SummaryReporter, summaryLine } from '@connector-kit/test-suite';

describe('SummaryReporter', () => {
  const run = (events: (r: SummaryReporter) => void, overallStatus = 'passed'): string[] => {
    const lines: string[] = [];
    const reporter = new SummaryReporter((l) => lines.push(l));
    events(reporter);
    reporter.jasmineDone({ overallStatus, failedExpectations: [] });
    return lines;
  };

  it('ends with "N passed, N failed" and adds skipped only when there are any', () => {
    expect(summaryLine({ passed: 3, failed: 0, skipped: 0 })).toBe('3 passed, 0 failed');
    expect(summaryLine({ passed: 3, failed: 1, skipped: 2 })).toBe('3 passed, 1 failed, 2 skipped');
  });

  it('counts pending and excluded specs as skipped, never as passed', () => {
    const lines = run((r) => {
      r.specDone({ status: 'passed', fullName: 'a' });
      r.specDone({ status: 'pending', fullName: 'b' });
      r.specDone({ status: 'excluded', fullName: 'c' });
      r.specDone({ status: 'failed', fullName: 'd' });
    }, 'failed');
    expect(lines[lines.length - 1]).toBe('1 passed, 1 failed, 2 skipped');
  });

  it('counts a failing beforeAll/afterAll (reported on the suite) as failed', () => {
    const lines = run((r) => {
      r.specDone({ status: 'passed', fullName: 'a' });
      r.suiteDone({ fullName: 'suite', failedExpectations: [{ message: 'afterAll blew up' }] });
    }, 'failed');
    expect(lines[lines.length - 1]).toBe('1 passed, 1 failed');
  });

  it('never reports a run jasmine calls incomplete (no specs, or a focused spec) as green', () => {
    const lines = run(() => undefined, 'incomplete');
    expect(lines[lines.length - 1]).toBe('0 passed, 1 failed');
  });
});
