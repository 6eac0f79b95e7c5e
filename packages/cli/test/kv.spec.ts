/** get / set / delete / head against a real redis-server started by the test-suite's launcher. */
import { randomPrefix, useService } from '@connector-kit/test-suite';
import { runCli } from './helpers';

describe('connector-kit get/set/delete/head on Redis', () => {
  const redis = useService('redis');
  const url = (): string => `${redis.url}#${randomPrefix()}`;

  it('round-trips a JSON value and its version', async () => {
    const at = url();
    const value = { name: 'Ada', langs: ['en', 'fr'], born: 1815, ok: true, none: null };
    const set = await runCli(['set', at, 'user/ada', JSON.stringify(value), '--version', '7']);
    expect(set.code).withContext(set.stderr).toBe(0);
    expect(set.stdout).toBe('');

    const get = await runCli(['get', at, 'user/ada']);
    expect(get.code).withContext(get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual(value);
    expect(get.stdout.trim().split('\n').length).toBe(1);

    const entry = await runCli(['get', at, 'user/ada', '--entry']);
    expect(JSON.parse(entry.stdout)).toEqual({ version: 7, value });

    const head = await runCli(['head', at, 'user/ada']);
    expect(head.code).withContext(head.stderr).toBe(0);
    expect(head.stdout).toBe('7\n');
  });

  it('stores text as it is with --string, and JSON strings when quoted', async () => {
    const at = url();
    expect((await runCli(['set', at, 'a', 'hello world', '--string'])).code).toBe(0);
    expect((await runCli(['get', at, 'a'])).stdout).toBe('"hello world"\n');
    expect((await runCli(['set', at, 'b', '"quoted"'])).code).toBe(0);
    expect((await runCli(['get', at, 'b'])).stdout).toBe('"quoted"\n');
    expect((await runCli(['set', at, 'c', '42'])).code).toBe(0);
    expect((await runCli(['get', at, 'c'])).stdout).toBe('42\n');
  });

  it('reports a missing key with exit 3 on get and head, and nothing on stdout', async () => {
    const at = url();
    for (const command of ['get', 'head']) {
      const result = await runCli([command, at, 'nobody']);
      expect(result.code).withContext(command).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('connector-kit: not found: "nobody"\n');
    }
  });

  it('deletes a key; deleting a missing key is not an error', async () => {
    const at = url();
    expect((await runCli(['set', at, 'gone', '{"x":1}'])).code).toBe(0);
    const del = await runCli(['delete', at, 'gone']);
    expect(del.code).withContext(del.stderr).toBe(0);
    expect((await runCli(['get', at, 'gone'])).code).toBe(3);
    const again = await runCli(['delete', at, 'gone']);
    expect(again.code).withContext(again.stderr).toBe(0);
  });

  it('expires a key set with --ttl', async () => {
    const at = url();
    expect((await runCli(['set', at, 'brief', '1', '--ttl', '300'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect((await runCli(['get', at, 'brief'])).code).toBe(3);
  });

  it('keeps keys under the URL #prefix: another prefix does not see them', async () => {
    const at = url();
    expect((await runCli(['set', at, 'mine', '1'])).code).toBe(0);
    expect((await runCli(['get', url(), 'mine'])).code).toBe(3);
  });

  it('refuses a value JSON cannot hold faithfully, naming the problem, exit 1', async () => {
    const result = await runCli(['set', url(), 'k', '-0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^connector-kit: connector redis:\/\/.*: [A-Z_]+: .*-0/);
    expect(result.stderr.trim().split('\n').length).toBe(1);
  });
});

describe('connector-kit get/set on a password-protected Redis', () => {
  const password = 'Pw-9f3k2-secret';
  const redis = useService('redis', { password });

  it('works with the password in the URL and never prints it', async () => {
    expect(redis.url).toContain(password);
    const at = `${redis.url}#${randomPrefix()}`;
    const set = await runCli(['set', at, 'k', '{"v":1}']);
    expect(set.code).withContext(set.stderr.replace(password, '<pw>')).toBe(0);
    const get = await runCli(['get', at, 'k']);
    expect(get.stdout).toBe('{"v":1}\n');
    const missing = await runCli(['get', at, 'missing']);
    expect(missing.code).toBe(3);
    for (const result of [set, get, missing]) {
      expect(result.stdout + result.stderr).not.toContain(password);
    }
  });

  it('reports a wrong password as one line without either password', async () => {
    const wrong = 'Wrong-pw-77x';
    const at = redis.url.replace(encodeURIComponent(password), wrong);
    const result = await runCli(['get', at, 'k', '--connect-timeout', '1500']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').length).withContext(result.stderr).toBe(1);
    expect(result.stderr).not.toContain(wrong);
    expect(result.stderr).not.toContain(password);
    expect(result.stderr).toMatch(/redis:\/\/\*\*\*@127\.0\.0\.1:\d+/);
  });
});
