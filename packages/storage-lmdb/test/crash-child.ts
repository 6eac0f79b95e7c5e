/**
 * Child process of the SIGKILL crash test (lmdb-crash.spec.ts). It writes a burst through
 * LmdbStorage — sets, overwrites, deletes and small setBulks over a few hundred keys, 64
 * operations in flight — and logs each write before it is issued (`try <op> <key> <json>`, one
 * line per key) and once it is acknowledged (`ack <op>`). The log is a file written with
 * `fs.writeSync`: each line is in the file (the OS's page cache, which SIGKILL does not touch)
 * before the next step. (Not stdout: a pipe to the parent is written asynchronously, and lines
 * Node still holds when the process is killed are lost, so the parent would miss writes that
 * happened.) The parent kills it at a random moment; nothing here gets a chance to flush or close.
 */
import { openSync, writeSync } from 'node:fs';
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

const log = openSync(process.env.LMDB_CRASH_LOG!, 'a');
let nextOp = 0;
const say = (line: string): void => {
  writeSync(log, `${line}\n`);
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
  let started = false;
  const writer = async (): Promise<void> => {
    for (;;) {
      await writeOne();
      if (!started) {
        started = true;
        process.stdout.write('started\n'); // only tells the parent when to start its kill timer
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${String(err)}\n`);
  process.exit(1);
});
