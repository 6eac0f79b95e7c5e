/**
 * Credentials never appear in logs or error messages: every message that may contain a
 * connection string goes through these helpers.
 */

// The user-info runs to the LAST "@" before the host: a password may hold a raw "@" (a URL
// parser would refuse it, but an error message may still quote it).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/gi;

/** Replaces the user-info part of every URL in `text` (`redis://:pw@h` → `redis://***@h`). */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    // Keep a user name (useful when debugging), hide any password.
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    return colon === -1 && user !== '' ? `${scheme}${user}@` : `${scheme}${user}${user ? ':' : ''}***@`;
  });
}

/** Redacts one URL; the same as redactText but named for intent. */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** Query parameters whose values are secrets and are hidden by redactText-aware callers. */
const SECRET_PARAMS =
  /([?&](?:password|pass|pwd|secret|token|secretAccessKey|sessionToken|authSource_password)=)[^&#\s]*/gi;

/** Redacts credentials in the user-info part AND in well-known secret query parameters. */
export function redactConnectionString(url: string): string {
  return redactText(url).replace(SECRET_PARAMS, '$1***');
}
