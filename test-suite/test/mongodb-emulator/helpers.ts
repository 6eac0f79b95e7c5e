import * as net from 'node:net';
import type { Binary, Document, Double, Int32, Long, ObjectId } from 'bson';
import { MongoClient, type Collection, type Db, type UpdateFilter } from 'mongodb';
import { startMongoEmulator, type MongoEmulator } from '../../dist/emulators/mongodb';
import { decodeReply } from '../../dist/emulators/mongodb/wire';

/** Per-spec deadline: every spec talks to a real TCP server. */
export const T = 20_000;

/** The `_id` types the specs use. */
export type Id = string | number | boolean | Date | ObjectId | Binary | Int32 | Double | Long | number[];

/** Documents of any shape. */
export interface Doc {
  _id?: Id;
  [field: string]: unknown;
}

/**
 * An update document as the server sees it (the driver's typings only allow `$inc` on fields
 * declared numeric, and these specs use schemaless documents).
 */
export function ops(update: Document): UpdateFilter<Doc> {
  return update as UpdateFilter<Doc>;
}

export interface Harness {
  emulator: MongoEmulator;
  client: MongoClient;
  /** A fresh database per call, so specs do not see each other's data. */
  db(): Db;
  /** A collection in a fresh database. */
  coll(name: string): Collection<Doc>;
}

let dbCounter = 0;

/** Starts a quiet emulator and a connected driver client (beforeAll), stops both (afterAll). */
export function useEmulator(options: { ttlMonitorIntervalMs?: number } = {}): Harness {
  const harness = {
    db: () => harness.client.db(`spec_${process.pid}_${++dbCounter}`),
    coll: (name: string) => harness.db().collection<Doc>(name),
  } as Harness;
  beforeAll(async () => {
    harness.emulator = await startMongoEmulator({ quiet: true, ...options });
    harness.client = new MongoClient(harness.emulator.url, { serverSelectionTimeoutMS: 5000 });
    await harness.client.connect();
  }, T);
  afterAll(async () => {
    await harness.client?.close();
    await harness.emulator?.close();
  }, T);
  return harness;
}

/** Runs `body` and returns what it threw (failing the spec if it did not throw). */
export async function failureOf(body: () => Promise<unknown>): Promise<Document> {
  try {
    await body();
  } catch (err) {
    return err as Document;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** A raw TCP connection that sends wire messages and reads whole replies. */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes bytes one TCP write at a time (exercises framing across chunks). */
  async sendSlowly(bytes: Buffer, chunk = 7): Promise<void> {
    for (let i = 0; i < bytes.length; i += chunk) {
      this.socket.write(bytes.subarray(i, i + chunk));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** The next reply's document, or undefined if none arrives within `timeoutMs`. */
  async reply(timeoutMs = 2000): Promise<Document | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length >= 4) {
        const length = this.buffer.readInt32LE(0);
        if (this.buffer.length >= length) {
          const message = this.buffer.subarray(0, length);
          this.buffer = this.buffer.subarray(length);
          return decodeReply(message);
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.closed) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
