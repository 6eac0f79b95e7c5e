/**
 * Server-side cursors: the rest of a result set, handed out in batches by `getMore`. Results are
 * computed when the cursor opens (a snapshot), so later writes do not show up in later batches.
 * Cursors are global (any connection may continue them) and die after 10 idle minutes, as in mongod.
 */
import { calculateObjectSize, Long, type Document } from 'bson';

/** Documents in one reply are capped like mongod's (16 MiB of documents per batch). */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FIRST_BATCH = 101;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface Cursor {
  readonly id: bigint;
  /** `db.collection` (or `db.$cmd.listCollections`). */
  readonly ns: string;
  readonly docs: Document[];
  position: number;
  lastUsed: number;
}

export class CursorRegistry {
  private readonly cursors = new Map<bigint, Cursor>();
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 40)) + 1n;

  get size(): number {
    return this.cursors.size;
  }

  get(id: bigint): Cursor | undefined {
    const cursor = this.cursors.get(id);
    if (cursor) cursor.lastUsed = Date.now();
    return cursor;
  }

  kill(id: bigint): boolean {
    return this.cursors.delete(id);
  }

  clear(): void {
    this.cursors.clear();
  }

  sweep(now: number): void {
    for (const [id, cursor] of this.cursors) {
      if (now - cursor.lastUsed > IDLE_TIMEOUT_MS) this.cursors.delete(id);
    }
  }

  /**
   * The first batch of a result set, opening a cursor for the rest if any remains (and the caller
   * did not ask for a single batch). `batchSize` 0 returns an empty first batch and a cursor.
   */
  firstBatch(ns: string, docs: Document[], options: { batchSize?: number; singleBatch?: boolean }): Document {
    const size = options.batchSize ?? DEFAULT_FIRST_BATCH;
    // batchSize 0 on the first batch returns nothing and just opens the cursor.
    const end = size === 0 ? 0 : batchEnd(docs, 0, size);
    let id = 0n;
    if (end < docs.length && !options.singleBatch) {
      id = this.nextId++;
      this.cursors.set(id, { id, ns, docs, position: end, lastUsed: Date.now() });
    }
    return { firstBatch: docs.slice(0, end), id: Long.fromBigInt(id), ns };
  }

  /** The next batch of an open cursor; the cursor closes when it is exhausted. */
  nextBatch(cursor: Cursor, batchSize: number | undefined): Document {
    const end = batchEnd(cursor.docs, cursor.position, batchSize ?? 0);
    const batch = cursor.docs.slice(cursor.position, end);
    cursor.position = end;
    let id = cursor.id;
    if (end >= cursor.docs.length) {
      this.cursors.delete(cursor.id);
      id = 0n;
    }
    return { nextBatch: batch, id: Long.fromBigInt(id), ns: cursor.ns };
  }
}

/** End index of a batch from `start`: at most `count` documents (0 = no count limit) and 16 MiB. */
function batchEnd(docs: Document[], start: number, count: number): number {
  let bytes = 0;
  let end = start;
  while (end < docs.length) {
    if (count > 0 && end - start >= count) break;
    bytes += calculateObjectSize(docs[end]);
    if (bytes > MAX_BATCH_BYTES && end > start) break;
    end++;
  }
  return end;
}
