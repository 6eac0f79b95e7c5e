import { createHash } from 'node:crypto';

/** memcached's own key limit, in bytes. */
export const MEMCACHED_MAX_KEY_BYTES = 250;

/**
 * Marks a hashed key. Readable keys never contain it, so a readable key can never equal a hashed
 * one, whatever the caller chooses.
 */
export const HASH_MARKER = '~';

/** Length of a base64url SHA-256 digest. */
const DIGEST_CHARS = 43;

/**
 * Printable ASCII without space and without `~` (0x7E, the marker): such keys cannot split a
 * protocol line or inject a command, and stay readable in `stats cachedump` and memcached logs.
 */
const READABLE = /^[\x21-\x7d]+$/;

/**
 * Keys the `memcached` client cannot return: it reports a `gets` reply as `{ [key]: data, cas }`
 * and builds multi-get replies with `obj[key] = data`, so `cas` and `__proto__` would be lost.
 */
const CLIENT_RESERVED = new Set(['cas', '__proto__']);

/**
 * Turns a kit key (prefix included, any well-formed Unicode) into a memcached key,
 * deterministically and without collisions:
 *
 * - a key of printable ASCII without space and `~`, at most 250 bytes, is used as it is;
 * - any other key becomes `<prefix>~<base64url SHA-256 of the whole key>` (the prefix is kept
 *   readable when it is itself readable and short enough), always at most 250 bytes.
 *
 * A hashed key always contains exactly one `~` followed by the 43-character digest, a readable
 * key never contains `~`; two hashed keys are equal only if the SHA-256 digests of the full keys
 * are. So distinct kit keys never share a memcached key.
 */
export class KeyEncoder {
  private readonly hashedPrefix: string;

  constructor(prefix: string) {
    const fits = prefix.length + HASH_MARKER.length + DIGEST_CHARS <= MEMCACHED_MAX_KEY_BYTES;
    this.hashedPrefix = fits && (prefix === '' || READABLE.test(prefix)) ? prefix : '';
  }

  encode(fullKey: string): string {
    if (
      fullKey.length <= MEMCACHED_MAX_KEY_BYTES &&
      READABLE.test(fullKey) &&
      !CLIENT_RESERVED.has(fullKey)
    ) {
      return fullKey;
    }
    return this.hashedPrefix + HASH_MARKER + createHash('sha256').update(fullKey, 'utf8').digest('base64url');
  }
}
