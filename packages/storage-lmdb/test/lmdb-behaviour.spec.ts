import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorError } from '@connector-kit/connector-core';
import { expectCode } from '@connector-kit/test-suite';
import { LmdbStorage } from '@connector-kit/storage-lmdb';
import { open } from 'lmdb';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LmdbStorage behaviour', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-lmdb-behaviour-'));
  const opened: LmdbStorage[] = [];
  const make = (name: string, options: Partial<ConstructorParameters<typeof LmdbStorage>[0]> = {}) => {
    const storage = new LmdbStorage({ path: join(root, name), sweepIntervalMs: 0, ...options });
    storage.on('error', () => undefined);
    opened.push(storage);
    return storage;
  };
  afterAll(async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
    rmSync(root, { recursive: true, force: true });
  });

  describe('a directory that cannot be opened', () => {
    const cases: [string, () => string][] = [
      [
        'a regular file',
        () => {
          const file = join(root, 'plain-file');
          writeFileSync(file, '');
          return file;
        },
      ],
      ['a path under a regular file', () => join(root, 'plain-file', 'data')],
      // Node's recursive mkdir never returns here; the connector must not call it.
      ['a path lmdb cannot create (under /proc)', () => '/proc/connector-kit-lmdb-spec/data'],
    ];
    for (const [label, pathOf] of cases) {
      it(`${label}: CONFIG at once, from whenReady, operations and 'error', never a hang`, async () => {
        const storage = new LmdbStorage({ path: pathOf(), operationTimeoutMs: 10_000 });
        const errors: ConnectorError[] = [];
        storage.on('error', (err: ConnectorError) => errors.push(err));
        const started = Date.now();
        const err = await expectCode(storage.whenReady(), 'CONFIG');
        expect(err.details.field).toBe('path');
        expect(err.message).toContain('Cannot open the LMDB data directory');
        await expectCode(storage.get('k'), 'CONFIG');
        expect(Date.now() - started).toBeLessThan(2000);
        expect(errors.length).toBe(1);
        await storage.close();
      });
    }
  });

  it('accepts a key of maxKeyBytes with a TTL (the expiry index key is then at LMDB’s limit)', async () => {
    const storage = make('long-keys', { prefix: 'p:' });
    await storage.whenReady();
    const key = 'k'.repeat(storage.supports.maxKeyBytes);
    expect(storage.supports.maxKeyBytes).toBe(1968);
    await storage.set(key, 'timed', { ttl: 60_000 });
    expect<unknown>(await storage.get(key)).toBe('timed');
    await storage.setBulk([{ key, value: 'bulk' }], { ttl: 60_000 });
    expect<unknown>(await storage.get(key)).toBe('bulk');
    await storage.compareAndSet(key, 'cas', { expectedVersion: 0, version: 1, ttl: 60_000 });
    expect<unknown>(await storage.getEntry(key)).toEqual({ value: 'cas', version: 1 });
    await expectCode(storage.set(`${key}k`, 1), 'INVALID_KEY');
  });

  it('takes a path with a dot for a directory (lmdb alone would make it a file)', async () => {
    const storage = make('records.v2.db');
    await storage.whenReady();
    await storage.set('k', 'v');
    await storage.close();
    const again = make('records.v2.db');
    expect<unknown>(await again.get('k')).toBe('v');
    expect(readdirSync(join(root, 'records.v2.db')).sort()).toEqual(['data.mdb', 'lock.mdb']);
  });

  it('sweeps expired records off disk, keeping those rewritten since', async () => {
    const storage = make('sweep', { sweepBatchSize: 3 });
    await storage.whenReady();
    for (let i = 0; i < 10; i++) await storage.set(`gone-${i}`, i, { ttl: 30 });
    await storage.set('rewritten', 'short', { ttl: 30 });
    await storage.set('rewritten', 'lasting');
    await storage.set('renewed', 'short', { ttl: 30 });
    await storage.set('renewed', 'long', { ttl: 3_600_000 });
    await storage.set('plain', 'plain');
    await sleep(60);
    expect<unknown>(await storage.get('gone-0')).toBeNull(); // already absent to readers
    expect<unknown>(await storage.sweepExpired()).toBe(10); // in batches of 3
    expect<unknown>(await storage.sweepExpired()).toBe(0);
    expect<unknown>(await storage.getBulk(['rewritten', 'renewed', 'plain'])).toEqual([
      'lasting',
      'long',
      'plain',
    ]);
    await storage.close();
    // On disk: the ten records and every due index entry are gone; the renewed key's entry stays.
    const env = open({ path: join(root, 'sweep'), maxDbs: 4 });
    const records = env.openDB<Buffer, Buffer>('records', { encoding: 'binary', keyEncoding: 'binary' });
    const expiry = env.openDB<Buffer, Buffer>('expiry', { encoding: 'binary', keyEncoding: 'binary' });
    const keys = [...records.getKeys()].map((k) => Buffer.from(k).toString('utf8')).sort();
    expect(keys).toEqual(['plain', 'renewed', 'rewritten']);
    expect(expiry.getKeysCount()).toBe(1);
    await env.close();
  });

  it('sweeps by itself every sweepIntervalMs', async () => {
    const storage = make('sweep-timer', { sweepIntervalMs: 50 });
    await storage.whenReady();
    await storage.set('brief', 1, { ttl: 20 });
    await sleep(300);
    expect<unknown>(await storage.sweepExpired()).toBe(0); // the timer took it already
  });

  it('compare-and-set treats an expired record as absent', async () => {
    const storage = make('cas-expired');
    await storage.whenReady();
    await storage.set('k', 'old', { ttl: 20, version: 4 });
    await sleep(40);
    await expectCode(storage.compareAndSet('k', 'x', { expectedVersion: 4, version: 5 }), 'CONFLICT');
    await storage.compareAndSet('k', 'new', { expectedVersion: null, version: 1 });
    expect<unknown>(await storage.getEntry('k')).toEqual({ value: 'new', version: 1 });
  });

  it('several connectors on one directory in one process: closing one leaves the others working', async () => {
    const a = make('shared', { prefix: 'a:' });
    const b = make('shared', { prefix: 'b:' });
    const all = make('shared');
    await Promise.all([a.whenReady(), b.whenReady(), all.whenReady()]);
    await a.set('k', 'from a');
    await b.set('k', 'from b');
    expect<unknown>(await all.getBulk(['a:k', 'b:k'])).toEqual(['from a', 'from b']);
    await a.close();
    await b.set('k', 'again');
    expect<unknown>(await all.get('b:k')).toBe('again');
    await expectCode(a.get('k'), 'CLOSED');
  });

  it('reports a record it did not write as CORRUPT, never as a value', async () => {
    const path = join(root, 'foreign');
    const env = open({ path, maxDbs: 4 });
    const records = env.openDB<Buffer, Buffer>('records', { encoding: 'binary', keyEncoding: 'binary' });
    await records.put(Buffer.from('foreign'), Buffer.from('{"not":"ours"}'));
    await env.close();
    const storage = make('foreign');
    await storage.whenReady();
    const err = await expectCode(storage.get('foreign'), 'CORRUPT');
    expect(err.message).toContain('foreign');
    await expectCode(storage.head('foreign'), 'CORRUPT');
  });

  it('stores one record per key: the version, the expiry and the codec bytes together', async () => {
    const storage = make('format');
    await storage.whenReady();
    await storage.set('plain', { a: 1 }, { version: 7 });
    await storage.set('timed', 'v', { version: 2 ** 53 - 1, ttl: 60_000 });
    await storage.close();
    const env = open({ path: join(root, 'format'), maxDbs: 4 });
    const records = env.openDB<Buffer, Buffer>('records', { encoding: 'binary', keyEncoding: 'binary' });
    const plain = records.getBinary(Buffer.from('plain'))!;
    expect(plain[0]).toBe(0x01);
    expect(plain.readDoubleLE(1)).toBe(7);
    expect(plain.subarray(9).toString()).toBe('{"a":1}');
    const timed = records.getBinary(Buffer.from('timed'))!;
    expect(timed[0]).toBe(0x02);
    expect(timed.readDoubleLE(1)).toBe(2 ** 53 - 1);
    expect(Math.abs(timed.readDoubleLE(9) - (Date.now() + 60_000))).toBeLessThan(5000);
    expect(timed.subarray(17).toString()).toBe('"v"');
    await env.close();
  });
});
