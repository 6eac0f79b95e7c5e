import { ConnectorError } from '@connector-kit/connector-core';
import { decodeRecord, encodeCommand, encodeRecord, HEADER_MAX_BYTES } from '@connector-kit/cache-redis';

function codeOf(build: () => unknown): string | null {
  try {
    build();
    return null;
  } catch (err) {
    return err instanceof ConnectorError ? err.code : String(err);
  }
}

describe('cache-redis: stored record format', () => {
  const versions = [
    0,
    1,
    -1,
    255,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32 + 7,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
  ];

  for (const version of versions) {
    it(`round-trips version ${version} with binary and with text data`, () => {
      const data = Buffer.from([0x7b, 0x00, 0xff, 0x3a, 0x76]);
      const binary = decodeRecord(encodeRecord(version, data));
      expect<unknown>(binary.version).toBe(version);
      expect<unknown>(binary.data.equals(data)).toBe(true);
      const text = decodeRecord(encodeRecord(version, Buffer.from('{"a":"ü:v1:"}')));
      expect<unknown>(text.version).toBe(version);
      expect<unknown>(text.data.toString()).toBe('{"a":"ü:v1:"}');
    });
  }

  it('is readable text: v<version>:<data>, with a header of at most HEADER_MAX_BYTES', () => {
    expect<unknown>(encodeRecord(12, Buffer.from('{"name":"Ada"}')).toString()).toBe('v12:{"name":"Ada"}');
    expect<unknown>(encodeRecord(-3, Buffer.from('x')).toString()).toBe('v-3:x');
    expect<unknown>(encodeRecord(Number.MIN_SAFE_INTEGER, Buffer.alloc(0)).length).toBe(HEADER_MAX_BYTES);
  });

  it('decodes a header alone, as GETRANGE returns it (the data may be cut off)', () => {
    const stored = encodeRecord(Number.MIN_SAFE_INTEGER, Buffer.from('long data'));
    expect<unknown>(decodeRecord(stored.subarray(0, HEADER_MAX_BYTES)).version).toBe(Number.MIN_SAFE_INTEGER);
    expect<unknown>(decodeRecord(Buffer.from('v5:')).version).toBe(5);
  });

  it('rejects values that are not connector records with CORRUPT', () => {
    const foreign = [
      'hello world',
      '',
      'v',
      'v:',
      'v-:x',
      'v12',
      'vx1:',
      'v1x:',
      `v${'9'.repeat(17)}:x`,
      'V1:x',
      '{"v":1}',
    ];
    for (const value of foreign)
      expect<unknown>(codeOf(() => decodeRecord(Buffer.from(value))))
        .withContext(value)
        .toBe('CORRUPT');
  });

  it('encodes commands in RESP with records in the stored shape and UTF-8 keys', () => {
    const data = Buffer.from('{"é":1}');
    const encoded = encodeCommand('MSET', [
      'kéy',
      { version: -12, data },
      'k2',
      { version: 0, data: Buffer.alloc(0) },
    ]);
    expect<unknown>(encoded.toString()).toBe(
      '*5\r\n$4\r\nMSET\r\n$4\r\nkéy\r\n$13\r\nv-12:{"é":1}\r\n$2\r\nk2\r\n$3\r\nv0:\r\n',
    );
    // Record bytes equal what encodeRecord stores.
    const one = encodeCommand('SET', ['k', { version: 7, data }]);
    expect<unknown>(
      one
        .subarray(one.length - 2 - encodeRecord(7, data).length, one.length - 2)
        .equals(encodeRecord(7, data)),
    ).toBe(true);
  });
});
