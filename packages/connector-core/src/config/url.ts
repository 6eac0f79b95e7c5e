import { ConnectorError } from '../errors';
import { redactConnectionString } from './redact';

export interface HostPort {
  host: string;
  /** Undefined when the URL names no port (the driver applies its default). */
  port?: number;
}

/** A Hipache-style connector URL: `scheme://user:pass@host1:p1,host2:p2/path?query#prefix`. */
export interface ParsedUrl {
  /** Lower-case scheme without `://`, e.g. `redis`, `rediss`, `mongodb+srv`. */
  scheme: string;
  username?: string;
  password?: string;
  hosts: HostPort[];
  /** Path without the leading slash, percent-decoded (`2` for a Redis db, a table name, …). */
  path: string;
  /** Query parameters, percent-decoded; a repeated name keeps its last value. */
  query: Record<string, string>;
  /** The `#fragment`: the key prefix (namespace). Empty when absent. */
  prefix: string;
  /** The URL with credentials hidden, safe for logs and error messages. */
  redacted: string;
}

const URL_SHAPE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

function decode(part: string, field: string, redacted: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConnectorError('CONFIG', `Invalid percent-encoding in the ${field} of ${redacted}`, {
      details: { field },
    });
  }
}

function parseHost(item: string, redacted: string): HostPort {
  let host: string;
  let portText: string | undefined;
  if (item.startsWith('[')) {
    const end = item.indexOf(']');
    if (end === -1)
      throw new ConnectorError('CONFIG', `Unclosed IPv6 bracket in host "${item}" of ${redacted}`);
    host = item.slice(1, end);
    const rest = item.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      throw new ConnectorError('CONFIG', `Unexpected "${rest}" after IPv6 host in ${redacted}`, {
        details: { field: 'host' },
      });
    }
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = item.lastIndexOf(':');
    host = colon === -1 ? item : item.slice(0, colon);
    portText = colon === -1 ? undefined : item.slice(colon + 1);
  }
  if (host === '')
    throw new ConnectorError('CONFIG', `Empty host name in ${redacted}`, { details: { field: 'host' } });
  if (portText === undefined || portText === '') return { host };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new ConnectorError('CONFIG', `Invalid port "${portText}" for host ${host} in ${redacted}`, {
      details: { field: 'port' },
    });
  }
  return { host, port };
}

/** Parses a connector URL. Throws CONFIG naming the bad field; never echoes a password. */
export function parseConnectorUrl(url: string): ParsedUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConnectorError('CONFIG', 'The connector URL must be a non-empty string', {
      details: { field: 'url' },
    });
  }
  const redacted = redactConnectionString(url.trim());
  const match = URL_SHAPE.exec(url.trim());
  if (!match) {
    throw new ConnectorError('CONFIG', `Not a connector URL (expected scheme://host…): ${redacted}`, {
      details: { field: 'url' },
    });
  }
  const [, scheme, authority, rawPath, rawQuery, rawFragment] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  const parsed: ParsedUrl = {
    scheme: scheme.toLowerCase(),
    hosts: hostList === '' ? [] : hostList.split(',').map((h) => parseHost(h.trim(), redacted)),
    path: decode(rawPath.replace(/^\//, ''), 'path', redacted),
    query: {},
    prefix: rawFragment === undefined ? '' : decode(rawFragment, 'prefix (#fragment)', redacted),
    redacted,
  };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    if (user !== '') parsed.username = decode(user, 'user name', redacted);
    if (colon !== -1) parsed.password = decode(userinfo.slice(colon + 1), 'password', redacted);
  }
  if (rawQuery) {
    for (const pair of rawQuery.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decode((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '), 'query', redacted);
      parsed.query[name] =
        eq === -1 ? '' : decode(pair.slice(eq + 1).replace(/\+/g, ' '), `query parameter ${name}`, redacted);
    }
  }
  return parsed;
}

/** Reads a numeric query parameter, failing with CONFIG that names it. */
export function queryNumber(parsed: ParsedUrl, name: string, fallback: number): number {
  const text = parsed.query[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new ConnectorError(
      'CONFIG',
      `Query parameter "${name}" must be a number, got "${text}" in ${parsed.redacted}`,
      {
        details: { field: name },
      },
    );
  }
  return value;
}

/** Reads a boolean query parameter (`true/false/1/0/yes/no`). */
export function queryBoolean(parsed: ParsedUrl, name: string, fallback: boolean): boolean {
  const text = parsed.query[name];
  if (text === undefined || text === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new ConnectorError(
    'CONFIG',
    `Query parameter "${name}" must be true or false, got "${text}" in ${parsed.redacted}`,
    {
      details: { field: name },
    },
  );
}
