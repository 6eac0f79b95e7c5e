import { jsonCodec, type JsonValue } from '@connector-kit/connector-core';
import { ROUND_TRIP_VALUES } from '@connector-kit/test-suite';
import { KeyMapper } from '@connector-kit/storage-mongodb';
import {
  toDocument,
  valueOf,
  type StoredDocument,
} from '@connector-kit/storage-mongodb/dist/stored-document';
import { MAX_NATIVE_DEPTH } from '@connector-kit/storage-mongodb/dist/stored-value';
import { BSON } from 'mongodb';

const mapper = new KeyMapper('db', '', 'records', '', 512);

/** Writes through the stored shape and BSON exactly as the driver would, and reads back. */
function throughBson(value: JsonValue, ttl = 0): { doc: StoredDocument; back: JsonValue } {
  const encoded = jsonCodec.encode(value);
  const doc = toDocument(
    mapper.locate('key'),
    { value: jsonCodec.decode(encoded), version: 3, encodedBytes: encoded.byteLength },
    ttl,
  );
  const bytes = BSON.serialize(doc);
  const read = BSON.deserialize(bytes) as StoredDocument;
  return { doc: read, back: valueOf(read) };
}

function nested(levels: number): JsonValue {
  let value: JsonValue = 'bottom';
  for (let i = 0; i < levels; i++) value = { n: value };
  return value;
}

describe('stored document shape', () => {
  for (const [label, value] of ROUND_TRIP_VALUES) {
    it(`round-trips ${label} through BSON exactly`, () => {
      const { back } = throughBson(value);
      expect<unknown>(back).toEqual(value);
      expect(JSON.stringify(back)).toBe(JSON.stringify(value));
    });
  }

  it('stores ordinary values natively, readable and queryable as they are', () => {
    const { doc } = throughBson({ name: 'Ada', tags: ['x'], n: 12345678901234 });
    expect(doc).toEqual({ _id: 'key', v: 3, d: { name: 'Ada', tags: ['x'], n: 12345678901234 } });
  });

  it('escapes awkward field names and flags the document with x: true', () => {
    const { doc, back } = throughBson({ 'a.b': { $gt: 1, '': 2, '100%': 3 }, _bsontype: 'Long', ok: 1 });
    expect(doc.x).toBe(true);
    expect(doc.d).toEqual({ 'a%2Eb': { '%24gt': 1, '%': 2, '100%25': 3 }, '%5Fbsontype': 'Long', ok: 1 });
    expect(Object.keys(back as object)).toEqual(['a.b', '_bsontype', 'ok']);
  });

  it('keeps key order, also around escaped keys', () => {
    const value = JSON.parse('{"z":1,"$a":2,"m":3,"2":4,"1":5,"__proto__":6,"b.c":7}') as JsonValue;
    const { back } = throughBson(value);
    expect(JSON.stringify(back)).toBe(JSON.stringify(value));
  });

  it('keeps __proto__ an own data property after unescaping', () => {
    const value = JSON.parse('{"$x":{"__proto__":{"polluted":true}}}') as JsonValue;
    const { back } = throughBson(value);
    const inner = (back as Record<string, Record<string, unknown>>)['$x']!;
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(inner, '__proto__')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('stores values nested deeper than MongoDB allows as JSON text in j', () => {
    const shallow = throughBson(nested(MAX_NATIVE_DEPTH));
    expect(shallow.doc.d).toBeDefined();
    const deep = nested(MAX_NATIVE_DEPTH + 1);
    const { doc, back } = throughBson(deep);
    expect(doc.d).toBeUndefined();
    expect(typeof doc.j).toBe('string');
    expect<unknown>(back).toEqual(deep);
  });

  it('stores strings with lone surrogates (which UTF-8 cannot hold) as JSON text', () => {
    for (const value of ['a\uD800b', { 'k\uDC00': 1 }, ['\uDBFF']] as JsonValue[]) {
      const { doc, back } = throughBson(value);
      expect(typeof doc.j)
        .withContext(JSON.stringify(value))
        .toBe('string');
      expect<unknown>(back).toEqual(value);
    }
  });

  it('stores big values whose BSON would exceed 16 MiB as JSON text', () => {
    const value = new Array<number>(3_000_000).fill(0);
    const { doc, back } = throughBson(value);
    expect(typeof doc.j).toBe('string');
    expect((back as number[]).length).toBe(3_000_000);
    const small = throughBson(new Array<number>(1000).fill(0));
    expect(Array.isArray(small.doc.d)).toBe(true);
  });

  it('adds an expiry date for a TTL and the unhashed id for hashed ids', () => {
    const before = Date.now();
    const { doc } = throughBson('x', 60_000);
    expect(doc.e instanceof Date).toBe(true);
    expect(doc.e!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(doc.e!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    const long = 'L'.repeat(600);
    const location = mapper.locate(long);
    const hashed = toDocument(location, { value: 1, version: 0, encodedBytes: 1 }, 0);
    expect(hashed.k).toBe(long);
    expect(typeof hashed._id).not.toBe('string');
  });

  it('renders BSON-only types of hand-written documents as JSON would, without touching plain values', () => {
    const bytes = BSON.serialize({
      _id: 'hand',
      d: {
        at: new Date(0),
        big: BSON.Long.fromString('9007199254740993'),
        neg: -0,
        inf: Infinity,
        ok: [1, 'a'],
      },
    });
    const doc = BSON.deserialize(bytes) as StoredDocument;
    const back = valueOf(doc);
    expect(JSON.stringify(back)).toBe(JSON.stringify(JSON.parse(JSON.stringify(doc.d))));
    expect<unknown>((back as Record<string, unknown>).at).toBe('1970-01-01T00:00:00.000Z');
    expect<unknown>((back as Record<string, unknown>).inf).toBeNull();
    expect(Object.is((back as Record<string, unknown>).neg, 0)).toBe(true);
    const plain = BSON.deserialize(
      BSON.serialize({ _id: 'p', v: 1, d: { a: [1, { b: 'c' }] } }),
    ) as StoredDocument;
    expect<unknown>(valueOf(plain)).toBe(plain.d);
  });
});
