/**
 * A reversible escaping of object keys that MongoDB or the BSON library cannot hold as field
 * names: `%` → `%25`, `.` → `%2E`, NUL → `%00`, a leading `$` → `%24`, the key `_bsontype` (which
 * the BSON serialiser takes for a type tag) → `%5Fbsontype`, and the empty key → `%`. Every `%` in
 * an escaped name starts an escape, so unescaping is exact. Ordinary names pass unchanged.
 */

const ESCAPED_CHARACTER = /[%.\0]/g;
const ESCAPE_SEQUENCE = /%([0-9A-F]{2})/g;

function hex(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Same test as a regular expression `/[%.\0]|^\$|^_bsontype$|^$/`, without its per-call cost. */
function needsEscape(name: string): boolean {
  const length = name.length;
  if (length === 0) return true;
  const first = name.charCodeAt(0);
  if (first === 0x24 /* $ */) return true;
  if (first === 0x5f /* _ */ && name === '_bsontype') return true;
  for (let i = 0; i < length; i++) {
    const code = name.charCodeAt(i);
    if (code === 0x25 /* % */ || code === 0x2e /* . */ || code === 0) return true;
  }
  return false;
}

export function escapeFieldName(name: string): string {
  if (!needsEscape(name)) return name;
  if (name === '') return '%';
  if (name === '_bsontype') return '%5Fbsontype';
  const escaped = name.replace(ESCAPED_CHARACTER, hex);
  return escaped.startsWith('$') ? `%24${escaped.slice(1)}` : escaped;
}

export function unescapeFieldName(name: string): string {
  if (!name.includes('%')) return name;
  if (name === '%') return '';
  return name.replace(ESCAPE_SEQUENCE, (_match, code: string) => String.fromCharCode(parseInt(code, 16)));
}
