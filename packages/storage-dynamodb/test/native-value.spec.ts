/** The native (DynamoDB types) form of values, without a server: what is native, and exactness. */
import { ROUND_TRIP_VALUES } from '@connector-kit/test-suite';
import type { JsonValue } from '@connector-kit/connector-core';
import { fromNative, toNative } from '@connector-kit/storage-dynamodb/dist/native-value';
import { numberBytes } from '@connector-kit/storage-dynamodb/dist/item-size';
import fc from 'fast-check';

const BIG = 1_000_000;

function roundTrip(value: JsonValue): JsonValue | undefined {
  const native = toNative(value, BIG);
  if (!native) return undefined;
  // What DynamoDB sends back is JSON: go through it like the SDK does.
  const wire = JSON.parse(JSON.stringify({ value: native.value, order: native.order })) as {
    value: Parameters<typeof fromNative>[0];
    order: Parameters<typeof fromNative>[1] | null;
  };
  return fromNative(wire.value, wire.order ?? undefined);
}

describe('native DynamoDB form of values', () => {
  for (const [label, value] of ROUND_TRIP_VALUES) {
    it(`is exact or declined for the common spec value: ${label}`, () => {
      const back = roundTrip(value);
      if (back !== undefined) expect<unknown>(JSON.stringify(back)).toBe(JSON.stringify(value));
    });
  }

  it('holds typical values natively', () => {
    for (const value of [
      '',
      'text',
      0,
      -42,
      3.141592653589793,
      true,
      null,
      [],
      {},
      { a: [1, { b: null }] },
      Number.MAX_SAFE_INTEGER,
    ]) {
      expect<unknown>(toNative(value as JsonValue, BIG))
        .withContext(JSON.stringify(value))
        .not.toBeNull();
    }
  });

  it('declines what DynamoDB cannot hold exactly', () => {
    const declined: [string, JsonValue][] = [
      ['1e300', 1e300],
      ['-1e-300', -1e-300],
      ['5e-324 inside', { tiny: 5e-324 }],
      ['an empty map key', { '': 1 }],
      ['a __proto__ key', JSON.parse('{"__proto__":1}') as JsonValue],
      ['a lone surrogate', 'a\ud800'],
      ['a lone surrogate in a key', { 'k\udc00': 1 }],
    ];
    for (const [label, value] of declined)
      expect<unknown>(toNative(value, BIG)).withContext(label).toBeNull();
    expect<unknown>(toNative(-0, BIG)).toBeNull();
  });

  it('keeps DynamoDB magnitudes: 1e-130 and just under 1e126 are native, beyond is not', () => {
    expect<unknown>(toNative(1e-130, BIG)).not.toBeNull();
    expect<unknown>(toNative(9.999999999999998e125, BIG)).not.toBeNull();
    expect<unknown>(toNative(1e126, BIG)).toBeNull();
    expect<unknown>(toNative(1e-131, BIG)).toBeNull();
  });

  it('allows 31 nested containers (32 levels with the leaf), not 32', () => {
    const nest = (n: number): JsonValue => {
      let v: JsonValue = 1;
      for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
      return v;
    };
    expect<unknown>(toNative(nest(31), BIG)).not.toBeNull();
    expect<unknown>(toNative(nest(32), BIG)).toBeNull();
  });

  it('records key order only for objects a sorted insert would not reproduce', () => {
    expect<unknown>(toNative({ a: 1, b: { c: 1, d: 2 }, 2: 0, 1: 0 }, BIG)?.order).toBeNull();
    const native = toNative({ a: { z: 1, y: 2 }, b: { c: 1 }, c: [{ q: 1, p: 2 }] }, BIG);
    // Objects in pre-order: 0 = top (sorted), 1 = a (not sorted), 2 = b, 3 = c[0] (not sorted).
    expect<unknown>(native?.order).toEqual({ S: '{"1":["z","y"],"3":["q","p"]}' });
    expect<unknown>(JSON.stringify(roundTrip({ a: { z: 1, y: 2 }, b: { c: 1 }, c: [{ q: 1, p: 2 }] }))).toBe(
      '{"a":{"z":1,"y":2},"b":{"c":1},"c":[{"q":1,"p":2}]}',
    );
  });

  it('ignores a recorded order that does not name exactly the map keys, or is not JSON (edited by hand)', () => {
    const map = { M: { b: { N: '1' }, a: { N: '2' } } };
    for (const order of ['{"0":["b","zz"]}', '{"0":["b","b"]}', '{"0":["b"]}', 'not json', '[1]']) {
      expect<unknown>(JSON.stringify(fromNative(map, { S: order })))
        .withContext(order)
        .toBe('{"a":2,"b":1}');
    }
    expect<unknown>(JSON.stringify(fromNative(map, { S: '{"0":["b","a"]}' }))).toBe('{"b":1,"a":2}');
  });

  it('returns a fresh object on every decode, with __proto__ as plain data', () => {
    const attribute = { M: { list: { L: [{ N: '1' }] } } };
    const first = fromNative(attribute, undefined) as { list: number[] };
    first.list.push(2);
    expect<unknown>(fromNative(attribute, undefined)).toEqual({ list: [1] });
    const proto = fromNative(
      JSON.parse('{"M":{"__proto__":{"M":{"polluted":{"BOOL":true}}}}}') as Parameters<typeof fromNative>[0],
      undefined,
    );
    expect<unknown>(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect<unknown>(Object.keys(proto as object)).toEqual(['__proto__']);
    expect<unknown>(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('counts a number as its significant digits, for every form JavaScript prints', () => {
    // The definition, spelled out: drop the sign and the exponent, then the point, then leading
    // and trailing zeros; one byte per two digits left (at least one), plus one, plus the sign.
    const byDefinition = (text: string): number => {
      const mantissa = text
        .replace(/^-/, '')
        .replace(/[eE].*$/, '')
        .replace('.', '');
      const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
      return Math.ceil(Math.max(significant.length, 1) / 2) + 1 + (text.startsWith('-') ? 1 : 0);
    };
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = String(n);
        expect<unknown>(numberBytes(text)).toBe(byDefinition(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['1e+21', '1.2e-7', '100', '0.001', '-1000.0001', '123456789012345678']) {
      expect<unknown>(numberBytes(text)).toBe(byDefinition(text));
    }
  });

  it('counts sizes the DynamoDB way and gives up beyond the budget', () => {
    expect<unknown>(numberBytes('1')).toBe(2);
    expect<unknown>(numberBytes('123456')).toBe(4);
    expect<unknown>(numberBytes('0.000123')).toBe(3);
    expect<unknown>(numberBytes('-1.5e+21')).toBe(3);
    expect<unknown>(numberBytes('0')).toBe(2);
    expect<unknown>(numberBytes('-0.5')).toBe(3);
    expect<unknown>(numberBytes('1000')).toBe(2);
    expect<unknown>(numberBytes('1001')).toBe(3);
    // "abc" (3) + list overhead 3 + 1 per element.
    expect<unknown>(toNative(['abc'], BIG)?.bytes).toBe(7);
    // Map: 3 + per entry 1 + name + value.
    expect<unknown>(toNative({ ab: true }, BIG)?.bytes).toBe(3 + 1 + 2 + 1);
    expect<unknown>(toNative('x'.repeat(100), 99)).toBeNull();
    expect<unknown>(toNative('x'.repeat(100), 100)).not.toBeNull();
  });
});
