/**
 * Child process of the SIGKILL crash test (lmdb-crash.spec.ts). It writes a burst through
 * LmdbStorage — sets, overwrites, deletes and small setBulks over a few hundred keys, 64
 * operations in flight — and reports on stdout each write before it is issued
 * (`try <op> <key> <json>`, one line per key) and once it is acknowledged (`ack <op>`). Writes to
 * a pipe are synchronous on Linux, so a line is in the pipe before the next step. The parent
 * kills it with SIGKILL at a random moment; nothing here gets a chance to flush or close.
 */
import type { JsonValue } from '@connector-kit/connector-core';
import { LmdbStorage, type LmdbDurability } from '@connector-kit/storage-lmdb';

const KEYS = 300;
const IN_FLIGHT = 64;

const storage = new LmdbStorage({
  path: process.env.LMDB_CRASH_PATH,
  prefix: process.env.LMDB_CRASH_PREFIX ?? '',
  durability: (process.env.LMDB_CRASH_DURABILITY ?? 'flushed') as LmdbDurability,
  operationTimeoutMs: 30_000,
});
storage.on('error', (err: Error) => process.stderr.write(`crash-child error: ${err.message}\n`));

let nextOp = 0;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** One write: a set (some with an hour's TTL), a delete, or a setBulk of 4 keys. */
async function writeOne(): Promise<void> {
  const op = nextOp++;
  const roll = Math.random();
  const key = (): string => `key-${Math.floor(Math.random() * KEYS)}`;
  if (roll < 0.15) {
    const k = key();
    say(`try ${op} ${k} null`);
    await storage.delete(k);
  } else if (roll < 0.2) {
    const keys = [...new Set([key(), key(), key(), key()])];
    const entries = keys.map((k) => ({ key: k, value: { op, k } as JsonValue }));
    for (const e of entries) say(`try ${op} ${e.key} ${JSON.stringify(e.value)}`);
    await storage.setBulk(entries);
  } else {
    const k = key();
    const value = { op, k, pad: 'x'.repeat(op % 200) };
    say(`try ${op} ${k} ${JSON.stringify(value)}`);
    await storage.set(k, value, roll < 0.3 ? { ttl: 3_600_000, version: op } : { version: op });
  }
  say(`ack ${op}`);
}

async function main(): Promise<void> {
  await storage.whenReady();
  say('ready');
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (;;) await writeOne();
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${String(err)}\n`);
  process.exit(1);
});
