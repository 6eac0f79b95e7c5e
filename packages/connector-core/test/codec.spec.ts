import fc from 'fast-check';
import {
  ConnectorError,
  jsonCodec,
  msgpackCodec,
  resolveCodec,
  type Codec,
  type JsonValue,
} from '@connector-kit/connector-core';

/** The error `encode` refuses `value` with; `encodeCopy` must refuse it with the same one. */
function refusal(codec: Codec, value: unknown): ConnectorError {
  const refused = (encode: () => unknown): ConnectorError => {
    try {
      encode();
    } catch (err) {
      if (err instanceof ConnectorError) return err;
      throw err;
    }
    throw new Error('expected encoding to refuse the value');
  };
  const error = refused(() => codec.encode(value));
  const fromCopy = refused(() => codec.encodeCopy!(value));
  expect(fromCopy.message).toBe(error.message);
  expect(fromCopy.details).toEqual(error.details);
  return error;
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

    it('round-trips strings with lone surrogates (JSON holds them), short and long, as values and as keys', () => {
      const long = 'a'.repeat(300);
      const value: JsonValue = {
        short: '\uD800',
        low: 'x\uDC00y',
        longHigh: `${long}\uD800`,
        longLow: `\uDC00${long}`,
        pair: `${long}😀`,
        list: [`${long}\uDBFF`, '\uDFFF', { [`k\uD800${long}`]: `v\uDC00` }],
        [`key\uDC00`]: 1,
        __proto__sibling: { ['__proto__']: `\uD83D${long}` },
      };
      Object.defineProperty(value, '__proto__', {
        value: { [`\uD800`]: long },
        enumerable: true,
        writable: true,
        configurable: true,
      });
      for (const bytes of [codec.encode(value), codec.encodeCopy!(value).data]) {
        const back = codec.decode(bytes);
        expect(JSON.stringify(back)).toBe(JSON.stringify(value));
        expect(Object.keys(back as object)).toEqual(Object.keys(value));
      }
      expect<unknown>(codec.encodeCopy!(value).copy).toEqual(value);
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

    it('encodeCopy: the same bytes as encode, and a private deep copy equal to what decode gives back', () => {
      const value = JSON.parse(
        '{"__proto__":{"x":1},"b":[1,{"c":[null,"s"]}],"1":true,"a":{"deep":{"er":-2.5}}}',
      ) as { b: [number, { c: unknown[] }]; a: { deep: object } } & JsonValue;
      const { data, copy } = codec.encodeCopy!(value);
      expect(Buffer.from(data).equals(Buffer.from(codec.encode(value)))).toBe(true);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(codec.decode(data)));
      expect<unknown>(copy).toEqual(codec.decode(data));
      const c = copy as typeof value;
      expect(c).not.toBe(value);
      expect(c.b).not.toBe(value.b);
      expect(c.b[1]).not.toBe(value.b[1]);
      expect(c.a.deep).not.toBe(value.a.deep);
      expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(c, '__proto__')).toBe(true);
      value.b[1].c.push('changed later');
      expect(c.b[1].c).toEqual([null, 's']);
    });

    it('refuses holes in sparse arrays, at any depth, with the same path from encode and encodeCopy', () => {
      // eslint-disable-next-line no-sparse-arrays
      expect(refusal(codec, [1, , 3]).details.path).toBe('$[1]');
      expect(refusal(codec, { a: [[0], new Array<number>(2)] }).details.path).toBe('$.a[1][0]');
      expect(refusal(codec, { a: [{ b: [undefined] }] }).message).toContain('undefined at $.a[0].b[0]');
    });

    it('encodeCopy reads each property once: bytes and copy agree even when a getter changes', () => {
      let reads = 0;
      const value = {
        get n(): number {
          reads++;
          return reads;
        },
        list: [
          {
            get m(): string {
              reads++;
              return `m${reads}`;
            },
          },
        ],
      };
      const { data, copy } = codec.encodeCopy!(value);
      expect(reads).toBe(2);
      expect<unknown>(copy).toEqual(codec.decode(data));
      expect<unknown>(copy).toEqual({ n: 1, list: [{ m: 'm2' }] });
      // The copy holds plain data properties, not the getters.
      expect(Object.getOwnPropertyDescriptor(copy, 'n')?.value).toBe(1);
    });

    it('encodeCopy gives plain objects and arrays whatever the input was built as', () => {
      class List extends Array<number> {}
      const list = new List();
      list.push(1, 2);
      const bare = Object.create(null) as Record<string, unknown>;
      bare.k = list;
      bare.__proto__ = [{ x: 1 }];
      const { data, copy } = codec.encodeCopy!({ bare });
      const c = (copy as { bare: Record<string, unknown> }).bare;
      expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(c.k)).toBe(Array.prototype);
      expect(c.k).toEqual([1, 2]);
      expect(Object.prototype.hasOwnProperty.call(c, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual([{ x: 1 }]);
      expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).not.toBe(bare.__proto__);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(codec.decode(data)));
    });

    it('encodeCopy copies own properties only, even when Object.prototype has enumerable ones', () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.polluted = 1;
      try {
        const { data, copy } = codec.encodeCopy!({ a: { b: 1 } });
        expect(Object.keys(copy as object)).toEqual(['a']);
        expect(Object.keys((copy as { a: object }).a)).toEqual(['b']);
        expect(JSON.stringify(codec.decode(data))).toBe('{"a":{"b":1}}');
      } finally {
        delete proto.polluted;
      }
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

describe('json codec: copyWithSizeBound', () => {
  const bytesOf = (value: JsonValue): number => jsonCodec.encode(value).byteLength;

  it('gives the copy encodeCopy gives, and a bound never below the encoded size (escapes, surrogates, numbers)', () => {
    const awkward: JsonValue[] = [
      '',
      '\u0000\u001f"\\',
      '\uD800',
      'x\uDC00',
      '😀',
      '€'.repeat(50),
      -2.2250738585072014e-308,
      -1.7976931348623157e308,
      -123456789012345680000,
      5e-324,
      0.1,
      true,
      false,
      null,
      [],
      {},
      [[[]]],
      { '\u0001': { '\uDBFF': ['\u2028', -0.5e-100] } },
      JSON.parse('{"__proto__":{"a":"\\u0000"}}') as JsonValue,
    ];
    for (const value of awkward) {
      const { copy, maxBytes } = jsonCodec.copyWithSizeBound!(value);
      expect<unknown>(copy).toEqual(jsonCodec.encodeCopy!(value).copy);
      expect(maxBytes).withContext(JSON.stringify(value)).toBeGreaterThanOrEqual(bytesOf(value));
    }
  });

  it('bounds every generated JSON value, including full-Unicode and lone-surrogate strings', () => {
    const strings = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string());
    const values = fc
      .jsonValue({ maxDepth: 4 })
      .chain((json) =>
        fc.oneof(
          fc.constant(json as JsonValue),
          fc.dictionary(strings, fc.oneof(strings, fc.double({ noNaN: true, noDefaultInfinity: true }))),
          fc.array(strings),
        ),
      );
    fc.assert(
      fc.property(values, (value) => {
        const clean = JSON.parse(JSON.stringify(value)) as JsonValue; // -0 becomes 0, as the check wants
        return jsonCodec.copyWithSizeBound!(clean).maxBytes >= bytesOf(clean);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what encode refuses, with the same error', () => {
    const refusedBy = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        return (err as Error).message;
      }
      return 'not refused';
    };
    for (const bad of [{ a: [undefined] }, { d: new Date(0) }, NaN, { n: 1n }]) {
      expect(refusedBy(() => jsonCodec.copyWithSizeBound!(bad))).toBe(refusedBy(() => jsonCodec.encode(bad)));
    }
  });
});
