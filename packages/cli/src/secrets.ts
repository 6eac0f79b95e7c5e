/**
 * Credentials never reach the terminal. Everything the CLI prints about a URL or an error goes
 * through `scrub`: the literal secrets found in the URLs this process was given (in case a message
 * quotes one in a shape no pattern recognises: a password with `@` or a space in it, a driver's
 * own wording), then core's redaction of user-info and this module's of secret query parameters.
 */
import { redactText } from '@connector-kit/connector-core';

const known = new Set<string>();

/** Secrets shorter than this are left to the pattern: replacing every "ab" would garble messages. */
const MIN_LITERAL = 3;

/**
 * Query parameters that carry secrets. Unlike core's redactConnectionString, a value ends at
 * whitespace, so the rest of a message that quotes the URL survives.
 */
const SECRET_QUERY = /([?&](?:password|pass|pwd|secret|token|secretAccessKey|sessionToken)=)([^&#\s]*)/gi;

function add(secret: string): void {
  if (secret.length < MIN_LITERAL) return;
  known.add(secret);
  // A password with a raw `@` is cut at its first `@` by the pattern (in core's messages too),
  // which hides the part before it: remember what follows each `@` as well.
  for (let at = secret.indexOf('@'); at !== -1; at = secret.indexOf('@', at + 1)) {
    if (secret.length - at - 1 >= MIN_LITERAL) known.add(secret.slice(at + 1));
  }
}

function remember(secret: string): void {
  add(secret);
  try {
    add(decodeURIComponent(secret));
  } catch {
    // Not valid percent-encoding: the raw form is remembered.
  }
}

/** Remembers the password and secret query values of every URL found in `values`. */
export function rememberSecretsIn(values: readonly (string | undefined)[]): void {
  for (const value of values) {
    if (!value || !value.includes('://')) continue;
    for (const url of value.split(/\s+/)) {
      const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1];
      if (authority !== undefined) {
        const at = authority.lastIndexOf('@');
        if (at !== -1) {
          const userinfo = authority.slice(0, at);
          const colon = userinfo.indexOf(':');
          if (colon !== -1) remember(userinfo.slice(colon + 1));
        }
      }
      for (const match of url.matchAll(SECRET_QUERY)) remember(match[2] ?? '');
    }
  }
}

/** `text` with every credential hidden. */
export function scrub(text: string): string {
  let out = text;
  // The literal secrets first, while they are whole (the pattern would cut `p@ss` at its `@`);
  // longest first, so a secret containing a shorter one is hidden whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return redactText(out).replace(SECRET_QUERY, '$1***');
}

/** Forgets remembered secrets (for tests in one process). */
export function forgetSecrets(): void {
  known.clear();
}
