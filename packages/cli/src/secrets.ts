/**
 * Credentials never reach the terminal. Everything the CLI prints about a URL or an error goes
 * through `scrub`: core's redaction (user-info and well-known secret query parameters), then the
 * literal secrets found in the URLs this process was given, in case a message quotes one in a
 * shape the pattern does not recognise (a password with `@` or a space in it, a driver's own
 * wording).
 */
import { redactConnectionString } from '@connector-kit/connector-core';

const known = new Set<string>();

/** Secrets shorter than this are left to the pattern: replacing every "ab" would garble messages. */
const MIN_LITERAL = 3;

const SECRET_QUERY = /[?&](?:password|pass|pwd|secret|token|secretAccessKey|sessionToken)=([^&#]*)/gi;

function remember(secret: string): void {
  if (secret.length < MIN_LITERAL) return;
  known.add(secret);
  try {
    const decoded = decodeURIComponent(secret);
    if (decoded.length >= MIN_LITERAL) known.add(decoded);
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
      for (const match of url.matchAll(SECRET_QUERY)) remember(match[1] ?? '');
    }
  }
}

/** `text` with every credential hidden. */
export function scrub(text: string): string {
  let out = redactConnectionString(text);
  // Longest first, so a secret containing a shorter one is hidden whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}

/** Forgets remembered secrets (for tests in one process). */
export function forgetSecrets(): void {
  known.clear();
}
