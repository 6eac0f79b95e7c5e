import type { JsonValue } from '@connector-kit/connector-core';

function deep(levels: number): JsonValue {
  let value: JsonValue = { leaf: 'bottom', n: levels };
  for (let i = levels - 1; i >= 0; i--) value = { [`level${i}`]: value };
  return value;
}

/** Every JSON shape a connector must round-trip exactly. */
export const ROUND_TRIP_VALUES: readonly [string, JsonValue][] = [
  ['empty string', ''],
  ['plain string', 'hello world'],
  ['unicode string', 'héllo wörld — 日本語 — العربية'],
  ['emoji and astral characters', '😀🎉 𝄞 𠜎 👩‍👩‍👧‍👦'],
  ['string with control characters', 'line1\nline2\r\n\t\u0000\u001f end'],
  ['string that looks like JSON', '{"a":1}'],
  ['zero', 0],
  ['negative integer', -42],
  ['float', 3.141592653589793],
  ['negative float', -0.000123],
  ['1e300', 1e300],
  ['-1e-300', -1e-300],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['MIN_SAFE_INTEGER', Number.MIN_SAFE_INTEGER],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty array (top level)', []],
  ['array of mixed values (top level)', [1, 'two', null, true, { three: 3 }, [4]]],
  ['nested arrays', [[[]], [[1, [2, [3]]]]]],
  ['empty object', {}],
  ['20-deep object', deep(20)],
  ['object with a dot in a key', { 'a.b': 1, 'c.d.e': { 'f.g': 'h' } }],
  ['object with $ keys', { $set: 1, a$b: 2, nested: { $gt: 3, $: 4 } }],
  ['object with __proto__ key', JSON.parse('{"__proto__":{"polluted":true},"x":1}') as JsonValue],
  ['object with constructor and prototype keys', { constructor: { prototype: { x: 1 } }, toString: 'no' }],
  ['object with an _id inside', { _id: 'inner-id', value: 1, nested: { _id: 7 } }],
  ['object with empty and unicode keys', { '': 'empty key', ключ: 'value', '😀': 1 }],
  [
    'strings and keys with lone surrogates (JSON holds them)',
    { short: '\uD800', long: `${'a'.repeat(200)}\uDC00`, list: [`\uDBFF${'b'.repeat(100)}`], 'k\uD800': 'v' },
  ],
  ['numbers that are integers and floats', { int: 1, float: 1.5, big: 12345678901234, tiny: 5e-324 }],
  [
    'a typical record',
    { name: 'Ada', tags: ['x', 'y'], address: { city: 'London', zip: null }, score: 99.5, ok: true },
  ],
];

/** Keys that are valid for every connector and must work unchanged. */
export const AWKWARD_KEYS: readonly string[] = [
  'with space',
  'with\nnewline',
  'with\r\ncrlf',
  'with\ttab',
  'with/slash/es',
  'with\\backslash',
  'with "double" and \'single\' quotes',
  'ünïcödé-ключ-日本',
  'emoji-😀-astral-𝄞',
  'dots.and.$dollars',
  '__proto__',
  'constructor',
  '_id',
  '\r\nflush_all\r\n',
  '*?[]{}#%&',
  'x',
];
