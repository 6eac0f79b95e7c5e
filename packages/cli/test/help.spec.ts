import { CLI_DEFAULTS } from '@connector-kit/cli';
import { runCli } from './helpers';

const COMMANDS = ['serve', 'get', 'set', 'delete', 'head', 'spec', 'bench'];

describe('connector-kit --help', () => {
  it('lists every command, URL schemes and exit codes, on stdout, exit 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Usage: connector-kit [options] [command]');
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(result.stdout).toContain('redis://');
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 error, 2 bad usage, 3 key not found');
  });

  for (const command of COMMANDS) {
    it(`${command} --help describes its usage and an example, exit 0`, async () => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(`Usage: connector-kit ${command} `);
      expect(result.stdout).toMatch(/Examples?:\n {2}connector-kit /);
    });
  }

  it('serve --help shows the defaults from CLI_DEFAULTS and the environment variables', async () => {
    const result = await runCli(['serve', '--help']);
    // Commander wraps help at the terminal width: compare with the line breaks folded.
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(`default: "${CLI_DEFAULTS.cacheUrl}", env: CACHE_URL`);
    expect(text).toContain('env: STORAGE_URL');
    expect(text).toContain(`default: ${CLI_DEFAULTS.port}, env: PORT`);
    expect(text).toContain(`default: "${CLI_DEFAULTS.dataDir}"`);
    expect(text).toContain(`default: ${CLI_DEFAULTS.connectTimeoutMs}`);
  });

  it('--version prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(result.stdout.trim()).toBe((require('../package.json') as { version: string }).version);
  });
});
