import fc from 'fast-check';
import { escapeFieldName, unescapeFieldName } from '@connector-kit/storage-mongodb/dist/field-names';

describe('field name escaping', () => {
  it('leaves ordinary names alone', () => {
    for (const name of [
      'a',
      'name',
      'a$b',
      '_id',
      'ключ',
      '😀',
      '__proto__',
      'constructor',
      'x y',
      '0',
      '_bsontypes',
    ]) {
      expect(escapeFieldName(name)).toBe(name);
    }
  });

  it('escapes what MongoDB and the BSON library cannot hold as a field name', () => {
    expect(escapeFieldName('a.b')).toBe('a%2Eb');
    expect(escapeFieldName('$set')).toBe('%24set');
    expect(escapeFieldName('$')).toBe('%24');
    expect(escapeFieldName('a\0b')).toBe('a%00b');
    expect(escapeFieldName('100%')).toBe('100%25');
    expect(escapeFieldName('')).toBe('%');
    expect(escapeFieldName('_bsontype')).toBe('%5Fbsontype');
    expect(escapeFieldName('$a.$b')).toBe('%24a%2E$b');
  });

  it('escaped names contain no ".", no NUL and never start with "$"', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite' }), (name) => {
        const escaped = escapeFieldName(name);
        expect(escaped.includes('.')).toBe(false);
        expect(escaped.includes('\0')).toBe(false);
        expect(escaped.startsWith('$')).toBe(false);
        expect(escaped).not.toBe('');
        expect(escaped).not.toBe('_bsontype');
      }),
    );
  });

  it('unescaping inverts escaping, and escaping is one-to-one', () => {
    const alphabet = fc.constantFrom(
      '%',
      '.',
      '$',
      '\0',
      '_',
      'a',
      '2',
      'E',
      'F',
      'b',
      's',
      'o',
      'n',
      't',
      'y',
      'p',
      'e',
    );
    // Short names over the characters that matter, so escapes and near-escapes collide often.
    const awkwardName = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(awkwardName, (name) => {
        expect(unescapeFieldName(escapeFieldName(name))).toBe(name);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(awkwardName, awkwardName, (a, b) => {
        if (a !== b) expect(escapeFieldName(a)).not.toBe(escapeFieldName(b));
      }),
      { numRuns: 2000 },
    );
    expect(unescapeFieldName(escapeFieldName('_bsontype'))).toBe('_bsontype');
    expect(unescapeFieldName(escapeFieldName(''))).toBe('');
  });
});
