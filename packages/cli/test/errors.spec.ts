import * as net from 'node:net';
import { freePort, LOOPBACK } from '@connector-kit/test-suite';
import { lines, runCli, type CliResult } from './helpers';

/** One line on stderr, starting `connector-kit: `, nothing on stdout, the given exit code. */
function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code).withContext(result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  expect(lines(result.stderr).length).withContext(result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^connector-kit: /);
  expect(result.stderr).toMatch(pattern);
}

describe('connector-kit errors', () => {
  describe('bad arguments (exit 2)', () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown command', ['nosuch'], /unknown command 'nosuch'/],
      ['an unknown option', ['serve', '--bogus'], /unknown option '--bogus'/],
      ['a missing argument', ['get', 'memory://'], /missing required argument 'key'/],
      ['too many arguments', ['delete', 'memory://', 'a', 'b'], /too many arguments/],
      ['a port that is not a number', ['serve', '--port', 'abc'], /--port.*'abc' is invalid/],
      ['a port out of range', ['serve', '--port', '70000'], /from 1 to 65535/],
      ['an unknown log level', ['serve', '--log-level', 'loud'], /--log-level.*Allowed choices/],
      ['a value that is not JSON', ['set', 'memory://', 'k', '{bad'], /not valid JSON/],
      ['a TTL that is not a number', ['set', 'memory://', 'k', '1', '--ttl', 'soon'], /--ttl/],
      ['--options that is not an object', ['get', 'memory://', 'k', '--options', '[1]'], /JSON object/],
      ['a bad concurrency list', ['bench', 'memory://', '--concurrency', '1,,2'], /--concurrency/],
      ['spec given a URL twice', ['spec', 'memory://', '--url', 'memory://'], /not both/],
    ];
    for (const [what, args, pattern] of cases) {
      it(`reports ${what} as one line`, async () => {
        expectOneLineError(await runCli(args), 2, pattern);
      });
    }

    it('takes PORT from the environment through the same check', async () => {
      expectOneLineError(
        await runCli(['serve'], { env: { PORT: 'x1' } }),
        2,
        /'x1' from env 'PORT' is invalid/,
      );
    });
  });

  describe('bad URLs (exit 1)', () => {
    it('names an unknown scheme and lists the known ones', async () => {
      const result = await runCli(['get', 'nosuch://host/x', 'k']);
      expectOneLineError(
        result,
        1,
        /connector nosuch:\/\/host\/x: CONFIG: No connector driver for "nosuch:\/\/"/,
      );
      expect(result.stderr).toContain('redis');
    });

    it('rejects a malformed URL', async () => {
      expectOneLineError(await runCli(['head', 'not a url', 'k']), 1, /CONFIG: Not a connector URL/);
    });

    it('rejects a bad port inside a URL, naming the field', async () => {
      expectOneLineError(await runCli(['get', 'redis://127.0.0.1:99999', 'k']), 1, /Invalid port "99999"/);
    });

    it('serve names the backend whose URL is bad', async () => {
      const result = await runCli(['serve', '--port', String(await freePort()), '--storage', 'nosuch://x']);
      expectOneLineError(result, 1, /^connector-kit: storage nosuch:\/\/x: CONFIG/);
    });
  });

  describe('an unreachable backend', () => {
    it('fails get within the connect timeout, naming the URL', async () => {
      const port = await freePort();
      const result = await runCli(['get', `redis://${LOOPBACK}:${port}`, 'k', '--connect-timeout', '1000']);
      expectOneLineError(
        result,
        1,
        new RegExp(`connector redis://${LOOPBACK}:${port} is not reachable: NOT_READY`),
      );
      expect(result.ms).toBeLessThan(8000);
    });

    it('fails serve within the connect timeout, naming the storage backend', async () => {
      const port = await freePort();
      const result = await runCli([
        'serve',
        '--port',
        String(await freePort()),
        '--storage',
        `redis://${LOOPBACK}:${port}`,
        '--connect-timeout',
        '1000',
      ]);
      expectOneLineError(
        result,
        1,
        new RegExp(`^connector-kit: storage redis://${LOOPBACK}:${port} is not reachable`),
      );
      expect(result.ms).toBeLessThan(8000);
    });

    it('names both backends when neither can be reached', async () => {
      const [a, b, c] = [await freePort(), await freePort(), await freePort()];
      const result = await runCli([
        'serve',
        ...['--port', String(a), '--connect-timeout', '1000'],
        ...['--cache', `redis://${LOOPBACK}:${b}`, '--storage', `redis://${LOOPBACK}:${c}`],
      ]);
      expectOneLineError(
        result,
        1,
        /cache redis:\/\/.* is not reachable.*; storage redis:\/\/.* is not reachable/,
      );
    });
  });

  describe('credentials', () => {
    const secret = 'Sup3rS3cretPw';

    it('never shows the password of an unreachable URL', async () => {
      const port = await freePort();
      const result = await runCli([
        'get',
        `redis://admin:${secret}@${LOOPBACK}:${port}`,
        'k',
        '--connect-timeout',
        '800',
      ]);
      expectOneLineError(
        result,
        1,
        new RegExp(`redis://admin:\\*\\*\\*@${LOOPBACK}:${port} is not reachable`),
      );
      expect(result.stderr).not.toContain(secret);
    });

    it('never shows a password containing "@" (serve, from STORAGE_URL)', async () => {
      const port = await freePort();
      const password = `p@${secret}`;
      const result = await runCli(['serve', '--port', String(await freePort()), '--connect-timeout', '800'], {
        env: { STORAGE_URL: `redis://:${password}@${LOOPBACK}:${port}` },
      });
      expectOneLineError(result, 1, /storage redis:\/\/\*\*\*@/);
      expect(result.stderr).not.toContain(secret);
    });

    it('never shows a password in a secret query parameter or a bad-scheme URL', async () => {
      const result = await runCli(['get', `nosuch://u:${secret}@h/db?token=${secret}x&a=1`, 'k']);
      expectOneLineError(
        result,
        1,
        /nosuch:\/\/u:\*\*\*@h\/db\?token=\*\*\*&a=1: CONFIG: No connector driver/,
      );
      expect(result.stderr).not.toContain(secret);
    });

    it('never echoes a password that commander quotes in its own message', async () => {
      const result = await runCli(['serve', '--port', `redis://:${secret}@h`]);
      expectOneLineError(result, 2, /--port/);
      expect(result.stderr).not.toContain(secret);
    });
  });

  describe('serve', () => {
    it('reports a port already in use as one line, exit 1', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const result = await runCli(['serve', '--port', String(port), '--storage', 'memory://']);
        expectOneLineError(result, 1, new RegExp(`port ${port} on 0.0.0.0 is already in use`));
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });
});
