import { ConnectorError, ERROR_CODES, type ConnectorErrorDetails, type ErrorCode } from '../errors';
import type { Supports } from '../types';

/*
 * The messages between a WorkerConnector (main thread) and the connector it runs in a worker
 * thread. Values travel as bytes of the named codec, never as objects, so nothing depends on
 * what the structured clone does with odd JSON (`__proto__` keys, lone surrogates): the same
 * codec checks and reads them on both sides.
 */

/** What the worker is started with (`workerData`). */
export interface WorkerInit {
  url: string;
  /** Options for the connector, plain data (copied into the worker). */
  options: Record<string, unknown>;
  /** Codec name, resolved on both sides. */
  codec: 'json' | 'msgpack';
  /** Modules the worker requires before building the connector (e.g. to register drivers). */
  preload: string[];
  /** Lower the thread to the lowest CPU priority before building the connector (Linux). */
  lowPriority: boolean;
}

/** The connector the worker built: what the main thread needs to stand in for it. */
export interface WorkerIdentity {
  name: string;
  version: string;
  supports: Supports;
}

/** Values of several records packed in one buffer (one copy across threads, not one per record). */
export interface PackedValues {
  bytes: Uint8Array;
  /** End offset of each value in `bytes`; -1 for an absent record. */
  ends: number[];
}

export type Request =
  | { id: number; op: 'open' | 'close' }
  | { id: number; op: 'get' | 'head' | 'delete'; key: string }
  | { id: number; op: 'set'; key: string; data: Uint8Array; version: number; ttl: number }
  | {
      id: number;
      op: 'compareAndSet';
      key: string;
      data: Uint8Array;
      version: number;
      ttl: number;
      expectedVersion: number | null;
    }
  | { id: number; op: 'getMany' | 'headMany' | 'deleteMany'; keys: string[] }
  | { id: number; op: 'setMany'; keys: string[]; versions: number[]; values: PackedValues; ttl: number };

export type Reply =
  | { type: 'identity'; identity: WorkerIdentity }
  | { type: 'failed'; error: SerializedError }
  | { type: 'error'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: ConnectorErrorDetails;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ConnectorError) return { code: err.code, message: err.message, details: err.details };
  return { code: 'BACKEND', message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(error: SerializedError, context: string): ConnectorError {
  const code = Object.prototype.hasOwnProperty.call(ERROR_CODES, error.code) ? error.code : 'BACKEND';
  return new ConnectorError(code, error.message, {
    details: { ...error.details, worker: context },
  });
}

/**
 * Bytes that own their whole buffer. A small Buffer is usually a view of a shared 8 KiB pool, and
 * the structured clone copies a view's entire buffer.
 */
export function compact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export function packValues(values: readonly (Uint8Array | null)[]): PackedValues {
  let total = 0;
  for (const v of values) if (v !== null) total += v.byteLength;
  const bytes = new Uint8Array(total);
  const ends: number[] = new Array<number>(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      ends[i] = -1;
      continue;
    }
    bytes.set(v, at);
    at += v.byteLength;
    ends[i] = at;
  }
  return { bytes, ends };
}

/** The values of `packValues`, as views of its one buffer (null where absent). */
export function unpackValues(packed: PackedValues): (Uint8Array | null)[] {
  let start = 0;
  return packed.ends.map((end) => {
    if (end < 0) return null;
    const view = packed.bytes.subarray(start, end);
    start = end;
    return view;
  });
}
