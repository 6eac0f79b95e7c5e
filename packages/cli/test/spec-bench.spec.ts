/** `connector-kit spec` and `connector-kit bench`, run as a user would. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers';

const SUMMARY = /^(\d+) passed, (\d+) failed/m;

describe('connector-kit spec', () => {
  it('runs the whole common spec against memory:// and exits 0', async () => {
    const result = await runCli(['spec', 'memory://']);
    expect(result.code)
      .withContext(result.stdout.slice(-2000) + result.stderr)
      .toBe(0);
    const [, passed, failed] = SUMMARY.exec(result.stdout) ?? [];
    expect(Number(passed)).toBeGreaterThan(50);
    expect(Number(failed)).toBe(0);
  }, 120_000);

  it('runs it against a connector module given by path, with --url and --filter', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-kit-cli-spec-'));
    try {
      const template = path.join(__dirname, '..', '..', '..', 'template', 'dist', 'index.js');
      const result = await runCli(['spec', template, '--url', `file://${dir}`, '--filter', 'round-trips']);
      expect(result.code)
        .withContext(result.stdout.slice(-2000) + result.stderr)
        .toBe(0);
      const [, passed, failed] = SUMMARY.exec(result.stdout) ?? [];
      expect(Number(passed)).toBeGreaterThan(0);
      expect(Number(failed)).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits non-zero when the connector fails the spec', async () => {
    const forgetful = path.join(__dirname, 'fixtures', 'forgetful-cache.js');
    const result = await runCli(['spec', forgetful, '--filter', 'delete']);
    expect(result.code).toBe(1);
    const [, , failed] = SUMMARY.exec(result.stdout) ?? [];
    expect(Number(failed)).toBeGreaterThan(0);
    expect(result.stderr).toContain('connector-kit: the common spec failed');
  }, 120_000);

  it('reports a module that does not exist as one line', async () => {
    const result = await runCli(['spec', './no/such/module.js']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^connector-kit: cannot find the connector module "\.\/no\/such\/module\.js"/,
    );
    expect(result.stderr.trim().split('\n').length).toBe(1);
  });

  it('hides the password of a URL in everything it prints, failures included', async () => {
    const secret = 'SpecPw-4411x';
    const result = await runCli([
      ...['spec', `redis://u:${secret}@127.0.0.1:1`],
      ...['--filter', 'a missing key reads as null', '--timeout', '1500'],
    ]);
    expect(result.code).toBe(1);
    // The failure report names the connector under test by its URL: redacted.
    expect(result.stdout).toContain('redis://***@127.0.0.1:1');
    expect(result.stdout + result.stderr).not.toContain(secret);
  }, 120_000);
});

describe('connector-kit bench', () => {
  it('prints one markdown row per operation and concurrency, and cleans up its keys', async () => {
    const result = await runCli([
      ...['bench', 'memory://', '--duration', '100', '--warmup', '10'],
      ...['--concurrency', '1,8', '--keys', '50'],
    ]);
    expect(result.code).withContext(result.stderr).toBe(0);
    const rows = result.stdout.trim().split('\n');
    expect(rows[0]).toBe('| op | concurrency | ops | ops/s | p50 ms | p99 ms |');
    const data = rows.slice(2).map((row) => row.split('|').map((cell) => cell.trim()));
    expect(data.map((cells) => `${cells[1]}@${cells[2]}`)).toEqual(['set@1', 'get@1', 'set@8', 'get@8']);
    for (const cells of data) {
      expect(Number(cells[3])).toBeGreaterThan(0);
      expect(Number(cells[4])).toBeGreaterThan(0);
      expect(Number(cells[6])).toBeGreaterThanOrEqual(Number(cells[5]));
    }
  });

  it('fails with one line when the backend is unreachable', async () => {
    const result = await runCli(['bench', 'redis://127.0.0.1:1', '--connect-timeout', '500']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^connector-kit: connector redis:\/\/127\.0\.0\.1:1 is not reachable/);
    expect(result.stderr.trim().split('\n').length).toBe(1);
  });
});
