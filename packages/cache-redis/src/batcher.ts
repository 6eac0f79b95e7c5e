import type { ReadRecord, WriteDone } from '@connector-kit/connector-core';
import {
  CompareAndSetCommand,
  DeleteCommand,
  HeadersCommand,
  KeyTargets,
  MGetCommand,
  MSetCommand,
  SetWithTtlCommand,
  type PlannedCommand,
} from './commands';
import { JournaledWritesCommand, MAX_WRITES_PER_SCRIPT, type JournaledWrite } from './journal';
import { keySlot } from './key-slot';
import { CasRequest, PendingRequest, type ReadRequest, type WriteRequest } from './requests';
import type { RecordArgument } from './resp';

/**
 * Record bytes in one MSET before it is split: a tick of large values must not become one
 * allocation of gigabytes (or exceed Redis' query buffer limit of 1 GB).
 */
export const MAX_COMMAND_BYTES = 16 * 1024 * 1024;

/** What an operation does to its keys; operations of one kind can share a command. */
const enum Kind {
  Get,
  Head,
  Set,
  Delete,
  CompareAndSet,
  /** A write with its journal mark (a tiered store's crash-safe write). */
  Journaled,
}

/**
 * The kind of a set with an expiry: one kind per TTL, because sets with different TTLs go into
 * different commands, which must not be reordered for one key. (Negative, so never a Kind.)
 */
function setWithTtlKind(ttlMs: number): number {
  return -ttlMs;
}

/**
 * Operations issued in one tick whose keys do not clash: no key is touched by two different
 * kinds of operation, so the order in which the segment's commands run cannot matter. Same-kind
 * operations on one key keep their issue order inside the command (MSET applies its pairs left
 * to right, so the last set wins).
 */
class Segment {
  readonly kinds = new Map<string, number>();
  // Each group is made when its first operation arrives: at concurrency 1 a segment holds one
  // operation, and building every group for it was most of the batcher's allocation per call.
  gets: KeyTargets<ReadRequest<ReadRecord | null>> | null = null;
  heads: KeyTargets<ReadRequest<number | null>> | null = null;
  sets: KeyTargets<WriteRequest> | null = null;
  /** Sets with an expiry, by TTL in ms. */
  setsWithTtl: Map<number, KeyTargets<WriteRequest>> | null = null;
  deletes: KeyTargets<WriteRequest> | null = null;
  /** Compare-and-set commands (one key each), in issue order. */
  singles: PlannedCommand[] | null = null;
  /** Journaled writes, per journal, in issue order. */
  journaled: Map<string, JournaledWrite[]> | null = null;

  /** True when none of `keys` was touched by another kind of operation in this segment. */
  admits(keys: readonly string[], kind: number): boolean {
    for (const key of keys) {
      const seen = this.kinds.get(key);
      if (seen !== undefined && seen !== kind) return false;
    }
    return true;
  }

  claim(keys: readonly string[], kind: number): void {
    for (const key of keys) this.kinds.set(key, kind);
  }
}

/** Runs the planned commands of one flush, in order. */
export type CommandExecutor = (commands: PlannedCommand[]) => void;

export interface BatcherOptions {
  /** Cluster mode: multi-key commands are split so that each touches one hash slot. */
  splitBySlot: boolean;
  /** ioredis `keyPrefix` of the client, which counts for the slot. */
  clientKeyPrefix: string;
  /** Most keys in one multi-key command. */
  maxBatchKeys: number;
  /** Encode commands ourselves (standalone connection without an ioredis keyPrefix). */
  encodeCommands: boolean;
  execute: CommandExecutor;
}

/**
 * Coalesces what is issued in one tick into few commands — gets into MGET, sets without expiry
 * into MSET, deletes into DEL, heads into one script call — then hands them, in issue order, to
 * the executor on the next tick. Per-key issue order is kept: an operation whose key clashes with
 * a different kind of operation already waiting starts a new segment, and segments run in order.
 * Every request settles exactly once, with its own result or error.
 */
export class Batcher {
  private segments: Segment[] = [];
  private current: Segment | null = null;
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly options: BatcherOptions) {}

  get(keys: string[]): Promise<(ReadRecord | null)[]> {
    return new Promise((resolve, reject) => this.addGet(keys, resolve, reject));
  }

  /** One key; resolves with its record directly (no array, no extra promise hop). */
  getOne(key: string): Promise<ReadRecord | null> {
    return new Promise((resolve, reject) => this.addGet([key], (records) => resolve(records[0]!), reject));
  }

  head(keys: string[]): Promise<(number | null)[]> {
    return new Promise((resolve, reject) => this.addHead(keys, resolve, reject));
  }

  headOne(key: string): Promise<number | null> {
    return new Promise((resolve, reject) => this.addHead([key], (versions) => resolve(versions[0]!), reject));
  }

  private addGet(
    keys: string[],
    resolve: (records: (ReadRecord | null)[]) => void,
    reject: (err: unknown) => void,
  ): void {
    const request: ReadRequest<ReadRecord | null> = new PendingRequest(
      keys.length,
      new Array(keys.length),
      resolve,
      reject,
    );
    const segment = this.segmentFor(keys, Kind.Get);
    const targets = (segment.gets ??= new KeyTargets());
    for (let i = 0; i < keys.length; i++) targets.add(keys[i]!, request, i);
  }

  private addHead(
    keys: string[],
    resolve: (versions: (number | null)[]) => void,
    reject: (err: unknown) => void,
  ): void {
    const request: ReadRequest<number | null> = new PendingRequest(
      keys.length,
      new Array(keys.length),
      resolve,
      reject,
    );
    const segment = this.segmentFor(keys, Kind.Head);
    const targets = (segment.heads ??= new KeyTargets());
    for (let i = 0; i < keys.length; i++) targets.add(keys[i]!, request, i);
  }

  /** Stores `records[i]` under `keys[i]`; with `ttlMs` > 0 each with that expiry. */
  set(keys: string[], records: RecordArgument[], ttlMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.addSet(keys, records, ttlMs, new PendingRequest(keys.length, undefined, () => resolve(), reject));
    });
  }

  delete(keys: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.addDelete(keys, new PendingRequest(keys.length, undefined, () => resolve(), reject));
    });
  }

  /**
   * One set (or delete, for a null record) reported through `done` instead of a promise: the
   * connector's `_write`, which a set of the public API and a tiered store's shortcut use.
   */
  write(key: string, record: RecordArgument | null, ttlMs: number, done: WriteDone): void {
    const request: WriteRequest = new PendingRequest(1, undefined, () => done(null), done);
    if (record === null) this.addDelete([key], request);
    else this.addSet([key], [record], ttlMs, request);
  }

  private addSet(keys: string[], records: RecordArgument[], ttlMs: number, request: WriteRequest): void {
    if (ttlMs > 0) {
      const segment = this.segmentFor(keys, setWithTtlKind(ttlMs));
      const groups = (segment.setsWithTtl ??= new Map());
      let targets = groups.get(ttlMs);
      if (targets === undefined) {
        targets = new KeyTargets<WriteRequest>();
        groups.set(ttlMs, targets);
      }
      for (let i = 0; i < keys.length; i++) targets.add(keys[i]!, request, i, records[i]);
    } else {
      const segment = this.segmentFor(keys, Kind.Set);
      const targets = (segment.sets ??= new KeyTargets());
      for (let i = 0; i < keys.length; i++) targets.add(keys[i]!, request, i, records[i]);
    }
  }

  private addDelete(keys: string[], request: WriteRequest): void {
    const segment = this.segmentFor(keys, Kind.Delete);
    const targets = (segment.deletes ??= new KeyTargets());
    for (let i = 0; i < keys.length; i++) targets.add(keys[i]!, request, i);
  }

  /** Writes `value` only if the stored value starts with `expectedHeader` ('': key absent). */
  compareAndSet(
    key: string,
    expectedHeader: string,
    record: RecordArgument,
    ttlMs: number,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const segment = this.segmentFor([key], Kind.CompareAndSet);
      (segment.singles ??= []).push(
        new CompareAndSetCommand(key, expectedHeader, record, ttlMs, new CasRequest(resolve, reject)),
      );
    });
  }

  /**
   * A write together with its mark in journal `journalKey` (record null: a delete), applied
   * atomically by one script per journal and segment, in issue order with every other write.
   */
  journaled(
    journalKey: string,
    key: string,
    record: RecordArgument | null,
    ttlMs: number,
    mark: string,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const request: WriteRequest = new PendingRequest(1, undefined, () => resolve(), reject);
      const segment = this.segmentFor([key], Kind.Journaled);
      const journals = (segment.journaled ??= new Map());
      const writes = journals.get(journalKey);
      const write = { key, record, ttlMs, mark, request };
      if (writes) writes.push(write);
      else journals.set(journalKey, [write]);
    });
  }

  private segmentFor(keys: readonly string[], kind: number): Segment {
    let segment = this.current;
    if (segment === null || !segment.admits(keys, kind)) {
      segment = new Segment();
      this.segments.push(segment);
      this.current = segment;
    }
    segment.claim(keys, kind);
    if (!this.scheduled) {
      this.scheduled = true;
      // nextTick runs after the current callback and its promise jobs: everything issued in
      // response to one batch of replies lands in one flush.
      process.nextTick(this.flushNow);
    }
    return segment;
  }

  private flush(): void {
    const segments = this.segments;
    this.segments = [];
    this.current = null;
    this.scheduled = false;
    const commands: PlannedCommand[] = [];
    for (const segment of segments) this.plan(segment, commands);
    this.options.execute(commands);
  }

  private plan(segment: Segment, out: PlannedCommand[]): void {
    const { encodeCommands } = this.options;
    const { gets, heads, sets, setsWithTtl, deletes, singles, journaled } = segment;
    if (gets !== null && gets.size > 0)
      for (const part of this.split(gets)) out.push(new MGetCommand(part, encodeCommands));
    if (heads !== null && heads.size > 0)
      for (const part of this.split(heads)) out.push(new HeadersCommand(part));
    if (sets !== null && sets.size > 0)
      for (const part of this.split(sets)) out.push(new MSetCommand(part, encodeCommands));
    if (setsWithTtl !== null) {
      for (const [ttlMs, targets] of setsWithTtl) {
        for (const part of this.split(targets)) out.push(new SetWithTtlCommand(part, ttlMs, encodeCommands));
      }
    }
    if (deletes !== null && deletes.size > 0)
      for (const part of this.split(deletes)) out.push(new DeleteCommand(part, encodeCommands));
    if (singles !== null) for (const single of singles) out.push(single);
    if (journaled !== null)
      for (const [journalKey, writes] of journaled) this.planJournaled(journalKey, writes, out);
  }

  /** One script call per journal, split where it would pass the write count or command size. */
  private planJournaled(journalKey: string, writes: JournaledWrite[], out: PlannedCommand[]): void {
    const command = (part: JournaledWrite[]): PlannedCommand =>
      new JournaledWritesCommand(journalKey, part, this.options.encodeCommands);
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < writes.length; i++) {
      const size = writes[i]!.record?.data.byteLength ?? 0;
      if (i > start && (i - start >= MAX_WRITES_PER_SCRIPT || bytes + size > MAX_COMMAND_BYTES)) {
        out.push(command(writes.slice(start, i)));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    out.push(command(writes.slice(start)));
  }

  /** Splits by hash slot (cluster) and into chunks of at most maxBatchKeys. */
  private split<R>(targets: KeyTargets<R>): KeyTargets<R>[] {
    const { maxBatchKeys, splitBySlot, clientKeyPrefix } = this.options;
    if (!splitBySlot && targets.size <= maxBatchKeys && targets.bytes <= MAX_COMMAND_BYTES) return [targets];
    const groups = new Map<number, KeyTargets<R>[]>();
    const out: KeyTargets<R>[] = [];
    const hasRecords = targets.records.length > 0;
    for (let i = 0; i < targets.size; i++) {
      const key = targets.keys[i]!;
      const slot = splitBySlot ? keySlot(clientKeyPrefix + key) : 0;
      let chunks = groups.get(slot);
      if (chunks === undefined) {
        chunks = [];
        groups.set(slot, chunks);
      }
      let chunk = chunks[chunks.length - 1];
      const bytes = hasRecords ? targets.records[i]!.data.byteLength : 0;
      if (
        chunk === undefined ||
        chunk.size >= maxBatchKeys ||
        (chunk.size > 0 && chunk.bytes + bytes > MAX_COMMAND_BYTES)
      ) {
        chunk = new KeyTargets<R>();
        chunks.push(chunk);
        out.push(chunk);
      }
      chunk.add(key, targets.requests[i]!, targets.indexes[i]!, hasRecords ? targets.records[i] : undefined);
    }
    return out;
  }
}
