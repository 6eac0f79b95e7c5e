import {
  ConnectorError,
  jsonCodec,
  msgpackCodec,
  resolveCodec,
  type Codec,
  type JsonValue,
} from '@connector-kit/connector-core';

function refusal(codec: Codec, value: unknown): ConnectorError {
  try {
    codec.encode(value);
  } catch (err) {
    if (err instanceof ConnectorError) return err;
    throw err;
  }
  throw new Error('expected encode to refuse the value');
}

for (const codec of [jsonCodec, msgpackCodec]) {
  describe(`${codec.name} codec`, () => {
    it('round-trips nested JSON exactly, including awkward keys', () => {
      const value = JSON.parse(
        '{"__proto__":{"x":1},"constructor":{"prototype":2},"a.b":[1,-2.5,1e300,null,true,""],"$k":{"_id":"😀"}}',
      ) as JsonValue;
      const back = codec.decode(codec.encode(value));
      expect(JSON.stringify(back)).toBe(JSON.stringify(value));
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it('names the JSONPath of the first part it cannot hold', () => {
      expect(refusal(codec, { a: [0, 1, 2, { b: undefined }] }).details.path).toBe('$.a[3].b');
      expect(refusal(codec, { 'with space': [NaN] }).details.path).toBe('$["with space"][0]');
      expect(refusal(codec, -0).message).toContain('negative zero');
      expect(refusal(codec, { n: 10n }).message).toContain('BigInt');
      expect(refusal(codec, { d: new Date() }).message).toContain('Date');
      expect(refusal(codec, Object.assign({}, { [Symbol('s')]: 1 })).message).toContain('symbol');
      const cycle: Record<string, unknown> = {};
      cycle.again = { back: cycle };
      expect(refusal(codec, cycle).details.path).toBe('$.again.back');
    });

    it('accepts the same object twice in a tree (not a cycle)', () => {
      const shared = { s: 1 };
      expect<unknown>(codec.decode(codec.encode({ a: shared, b: [shared] }))).toEqual({
        a: { s: 1 },
        b: [{ s: 1 }],
      });
    });

    it('refuses nesting deeper than 512 levels instead of overflowing the stack', () => {
      let deep: JsonValue = 1;
      for (let i = 0; i < 600; i++) deep = [deep];
      expect(refusal(codec, deep).code).toBe('INVALID_VALUE');
    });

    it('reports garbage bytes as CORRUPT', () => {
      const garbage = codec.name === 'json' ? Buffer.from('{not json') : Uint8Array.from([0xc1]);
      expect(() => codec.decode(garbage)).toThrowMatching(
        (e) => e instanceof ConnectorError && e.code === 'CORRUPT',
      );
    });
  });
}

describe('resolveCodec', () => {
  it('resolves names and objects and refuses anything else with CONFIG', () => {
    expect(resolveCodec(undefined)).toBe(jsonCodec);
    expect(resolveCodec('msgpack')).toBe(msgpackCodec);
    expect(resolveCodec(jsonCodec)).toBe(jsonCodec);
    expect(() => resolveCodec('xml' as never)).toThrowMatching(
      (e) => e instanceof ConnectorError && e.code === 'CONFIG',
    );
  });
});
