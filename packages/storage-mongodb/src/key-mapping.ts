import { createHash } from 'node:crypto';
import { ConnectorError } from '@connector-kit/connector-core';
import { Binary } from 'mongodb';

/** Where one key lives: a collection and an `_id`. */
export interface Location {
  collection: string;
  /** The id as a string, or a SHA-256 hash (BSON binary) when the id is too long. */
  id: string | Binary;
  /** Set when `id` is a hash: the id before hashing, stored in the document's `k` field. */
  longId?: string;
  /** A string that is equal for equal `_id`s within one collection (for matching bulk results). */
  token: string;
}

/**
 * MongoDB's rules for collection names (and the namespace `db.collection` limit of 255 bytes):
 * not empty, no `$` or NUL, not starting with `system.`, no leading or trailing dot and no `..`.
 */
export function collectionNameProblem(database: string, name: string): string | null {
  if (name === '') return 'is empty';
  if (name.includes('$')) return 'contains "$"';
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.startsWith('system.')) return 'starts with "system."';
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) return 'has a misplaced "."';
  if (Buffer.byteLength(`${database}.${name}`) > 255) return 'makes the namespace longer than 255 bytes';
  return null;
}

/**
 * Maps a full key (prefix + key) to a collection and an `_id`. Deterministic and one-to-one:
 * - without `splitChar`, or when the key has no `splitChar`: the default collection, `_id` = prefix + key;
 * - `user/123` with splitChar `/`: collection `user`, `_id` = prefix + `123` (split at the first `/`);
 * - when the collection part is not a valid collection name, or IS the default collection, the
 *   whole key goes to the default collection (its `_id` then contains `splitChar`, which an
 *   unsplit key never does, so the two cannot collide);
 * - an `_id` longer than `maxIdBytes` UTF-8 bytes becomes `BinData(0, sha256(_id))` with the full
 *   unhashed id in `k` (a binary `_id` never equals a string one).
 */
export class KeyMapper {
  constructor(
    private readonly database: string,
    private readonly prefix: string,
    readonly defaultCollection: string,
    private readonly splitChar: string,
    private readonly maxIdBytes: number,
  ) {
    const problem = collectionNameProblem(database, defaultCollection);
    if (problem !== null) {
      throw new ConnectorError(
        'CONFIG',
        `Option defaultCollection ${JSON.stringify(defaultCollection)} ${problem}`,
        {
          details: { field: 'defaultCollection' },
        },
      );
    }
  }

  locate(fullKey: string): Location {
    if (this.splitChar !== '') {
      const key = fullKey.slice(this.prefix.length);
      const at = key.indexOf(this.splitChar);
      if (at !== -1) {
        const collection = key.slice(0, at);
        if (
          collection !== this.defaultCollection &&
          collectionNameProblem(this.database, collection) === null
        ) {
          return this.withId(collection, this.prefix + key.slice(at + this.splitChar.length));
        }
      }
    }
    return this.withId(this.defaultCollection, fullKey);
  }

  private withId(collection: string, id: string): Location {
    // Three bytes per UTF-16 unit is the worst case: skip the exact count for short ids.
    if (id.length * 3 <= this.maxIdBytes || Buffer.byteLength(id) <= this.maxIdBytes) {
      return { collection, id, token: `s${id}` };
    }
    const digest = createHash('sha256').update(id, 'utf8').digest();
    return { collection, id: new Binary(digest), longId: id, token: `h${digest.toString('hex')}` };
  }
}

/** The same token `Location.token` gives, computed from a stored `_id`. */
export function tokenOfStoredId(id: unknown): string | null {
  if (typeof id === 'string') return `s${id}`;
  if (id instanceof Binary) return `h${id.toString('hex')}`;
  return null;
}
