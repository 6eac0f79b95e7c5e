import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStorage, type LmdbDurability } from '@connector-kit/storage-lmdb';

/** Every write of one key in issue order, and which were acknowledged. */
interface KeyHistory {
  writes: { op: number; json: string }[];
}

interface Round {
  prefix: string;
  histories: Map<string, KeyHistory>;
  acked: Set<number>;
  acks: number;
}

/**
 * Runs the crash child against `path` under a fresh prefix and SIGKILLs it `killAfterMs` after
 * its first acknowledgement; then reads its log (every line it wrote before the signal).
 */
async function crashRound(path: string, durability: LmdbDurability, killAfterMs: number): Promise<Round> {
  const prefix = `round-${Date.now()}-${Math.random().toString(36).slice(2, 8)}:`;
  const logFile = join(path, `${prefix.slice(0, -1)}.log`);
  mkdirSync(path, { recursive: true });
  const child = spawn(process.execPath, [join(__dirname, 'crash-child.js')], {
    env: {
      ...process.env,
      LMDB_CRASH_PATH: path,
      LMDB_CRASH_PREFIX: prefix,
      LMDB_CRASH_DURABILITY: durability,
      LMDB_CRASH_LOG: logFile,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  let timer: NodeJS.Timeout | undefined;
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.once('data', () => {
    timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  });
  child.stdout.resume();
  const signal = await exited;
  clearTimeout(timer);
  clearTimeout(guard);
  expect(signal).withContext('the child was killed, not ended').toBe('SIGKILL');
  const round: Round = { prefix, histories: new Map(), acked: new Set(), acks: 0 };
  const text = readFileSync(logFile, 'utf8');
  // The last line may be cut short by the kill: only whole lines count.
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    const [kind, opText, key, ...rest] = line.split(' ');
    if (kind === 'try') {
      let history = round.histories.get(key!);
      if (!history) round.histories.set(key!, (history = { writes: [] }));
      history.writes.push({ op: Number(opText), json: rest.join(' ') });
    } else if (kind === 'ack') {
      round.acked.add(Number(opText));
      round.acks++;
    }
  }
  return round;
}

/** What a key may hold after the crash: its last acknowledged write, or any write issued after it. */
function allowedValues(history: KeyHistory, acked: Set<number>): string[] {
  let last = -1;
  history.writes.forEach((w, i) => {
    if (acked.has(w.op)) last = i;
  });
  const allowed = history.writes.slice(Math.max(last, 0)).map((w) => w.json);
  if (last === -1) allowed.push('null'); // nothing acknowledged: never written is allowed too
  return allowed;
}

describe('LmdbStorage crash safety (SIGKILL of a writing process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-lmdb-crash-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const durability of ['flushed', 'committed'] as const) {
    it(`with durability "${durability}", every acknowledged write is there after a reopen (5 random kills)`, async () => {
      const path = join(root, durability);
      // Rounds share the directory: each recovery also must keep what earlier rounds left.
      const earlier: { prefix: string; stored: Map<string, string> }[] = [];
      for (let round = 0; round < 5; round++) {
        const killAfterMs = 20 + Math.floor(Math.random() * 400);
        const result = await crashRound(path, durability, killAfterMs);
        expect(result.acks).withContext(`round ${round}: acknowledgements`).toBeGreaterThan(0);
        const storage = new LmdbStorage({ path, prefix: result.prefix });
        try {
          await storage.whenReady();
          const stored = new Map<string, string>();
          let checked = 0;
          for (const [key, history] of result.histories) {
            const value = JSON.stringify(await storage.get(key));
            stored.set(key, value);
            expect(allowedValues(history, result.acked))
              .withContext(`round ${round} (killed ${killAfterMs} ms in), ${key}`)
              .toContain(value);
            checked++;
          }
          expect(checked).toBeGreaterThan(0);
          for (const before of earlier) {
            const reader = new LmdbStorage({ path, prefix: before.prefix });
            await reader.whenReady();
            for (const [key, value] of before.stored) {
              expect(JSON.stringify(await reader.get(key)))
                .withContext(`round ${round}: ${before.prefix}${key} from an earlier round`)
                .toBe(value);
            }
            await reader.close();
          }
          earlier.push({ prefix: result.prefix, stored });
        } finally {
          await storage.close();
        }
      }
    }, 120_000);
  }

  it('two processes writing one directory at once, both killed: each keeps its acknowledged writes', async () => {
    const path = join(root, 'two-writers');
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        crashRound(path, 'flushed', 50 + Math.floor(Math.random() * 300)),
        crashRound(path, 'committed', 50 + Math.floor(Math.random() * 300)),
      ]);
      for (const result of results) {
        expect(result.acks).toBeGreaterThan(0);
        const storage = new LmdbStorage({ path, prefix: result.prefix });
        try {
          await storage.whenReady();
          for (const [key, history] of result.histories) {
            expect(allowedValues(history, result.acked))
              .withContext(`round ${round}, ${result.prefix}${key}`)
              .toContain(JSON.stringify(await storage.get(key)));
          }
        } finally {
          await storage.close();
        }
      }
    }
  }, 120_000);
});
