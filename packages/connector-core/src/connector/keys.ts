import { ConnectorError } from '../errors';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The kit's key rule, checked once for every connector: a non-empty string of well-formed
 * Unicode (a lone surrogate cannot be encoded as UTF-8) of at most `maxKeyBytes` UTF-8 bytes.
 * Every other character — spaces, newlines, quotes, `/`, `\r\n` — is allowed; drivers encode keys
 * for their backend.
 */
export function validateKey(key: unknown, maxKeyBytes: number, connector: string): ConnectorError | null {
  if (typeof key !== 'string') {
    return new ConnectorError(
      'INVALID_KEY',
      `Key must be a string, got ${key === null ? 'null' : typeof key}`,
      {
        details: { connector },
      },
    );
  }
  if (key.length === 0) {
    return new ConnectorError('INVALID_KEY', 'Key must not be empty', { details: { key, connector } });
  }
  if (LONE_SURROGATE.test(key)) {
    return new ConnectorError(
      'INVALID_KEY',
      'Key contains a lone UTF-16 surrogate and cannot be encoded as UTF-8',
      {
        details: { key, connector },
      },
    );
  }
  const bytes = key.length * 3 <= maxKeyBytes ? key.length : Buffer.byteLength(key, 'utf8');
  if (bytes > maxKeyBytes) {
    return new ConnectorError(
      'INVALID_KEY',
      `Key is ${bytes} bytes long; ${connector} accepts at most ${maxKeyBytes} bytes`,
      { details: { key: key.slice(0, 64), connector } },
    );
  }
  return null;
}
