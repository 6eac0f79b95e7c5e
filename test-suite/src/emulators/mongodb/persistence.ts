/**
 * Optional durability for fault tests: a data file of length-prefixed BSON records (each record is
 * one BSON document, which carries its own length). Every mutation appends a record; the records
 * of one command are written with a single write before the reply is sent, so a SIGKILLed emulator
 * keeps everything it acknowledged. Start-up replays the file, ignores a torn last record, and
 * rewrites the file compactly.
 *
 * BSON rather than Extended JSON: stored documents may use field names such as `$numberInt`, which
 * Extended JSON would read back as type wrappers.
 */
import * as fs from 'node:fs';
import type { Document } from 'bson';
import { decodeDocument, encodeDocument } from './wire';
import type { Journal, MutationRecord, Store } from './store';

const HEADER = { op: 'header', format: 'connector-kit mongodb-emulator data file', version: 1 };

export class DataFile implements Journal {
  private pending: Buffer[] = [];
  private fd: number | undefined;

  private constructor(readonly path: string) {}

  /** Replays `path` into `store` (if it exists), compacts it, and journals the store's mutations to it. */
  static open(path: string, store: Store, log: (line: string) => void): DataFile {
    if (fs.existsSync(path)) replay(path, store, log);
    const file = new DataFile(path);
    const tmp = `${path}.compact-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      const chunks: Buffer[] = [encodeDocument(HEADER)];
      for (const record of store.snapshot()) chunks.push(encodeDocument(record));
      fs.writeSync(fd, Buffer.concat(chunks));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
    file.fd = fs.openSync(path, 'a');
    store.journal = file;
    return file;
  }

  append(record: MutationRecord): void {
    this.pending.push(encodeDocument(record));
  }

  /** Writes the records of the command just executed (called before its reply is sent). */
  flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    const bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(this.fd, bytes, offset);
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function replay(path: string, store: Store, log: (line: string) => void): void {
  const bytes = fs.readFileSync(path);
  let offset = 0;
  let count = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 5) break;
    const size = bytes.readInt32LE(offset);
    if (size < 5 || offset + size > bytes.length) break;
    let record: Document;
    try {
      record = decodeDocument(bytes.subarray(offset, offset + size));
    } catch {
      break;
    }
    offset += size;
    if (record.op === 'header') continue;
    store.apply(record);
    count++;
  }
  if (offset < bytes.length) {
    log(`mongodb-emulator: ignoring ${bytes.length - offset} bytes of a torn record at the end of ${path}`);
  }
  log(`mongodb-emulator: replayed ${count} records from ${path}`);
}
