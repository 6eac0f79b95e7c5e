import {
  ConnectorError,
  parseConnectorUrl,
  queryBoolean,
  queryNumber,
  redactConnectionString,
  redactText,
} from '@connector-kit/connector-core';

function configError(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'CONFIG') return err;
    throw err;
  }
  throw new Error('expected a CONFIG error');
}

describe('parseConnectorUrl', () => {
  it('parses credentials, host, port, path, query and the #prefix', () => {
    const p = parseConnectorUrl('redis://user:p%40ss@cache.local:6380/2?tls=true&name=a+b#app:users:');
    expect(p.scheme).toBe('redis');
    expect(p.username).toBe('user');
    expect(p.password).toBe('p@ss');
    expect(p.hosts).toEqual([{ host: 'cache.local', port: 6380 }]);
    expect(p.path).toBe('2');
    expect(p.query).toEqual({ tls: 'true', name: 'a b' });
    expect(p.prefix).toBe('app:users:');
    expect(p.redacted).not.toContain('p%40ss');
  });

  it('parses multi-host authorities, IPv6 and missing ports', () => {
    const p = parseConnectorUrl('memcached://10.0.0.1:11211,[::1]:11212,cache-3');
    expect(p.hosts).toEqual([
      { host: '10.0.0.1', port: 11211 },
      { host: '::1', port: 11212 },
      { host: 'cache-3' },
    ]);
    expect(p.prefix).toBe('');
  });

  it('parses a password-only user-info and schemes with +', () => {
    const p = parseConnectorUrl('REDIS+CLUSTER://:secret@a:1,b:2');
    expect(p.scheme).toBe('redis+cluster');
    expect(p.username).toBeUndefined();
    expect(p.password).toBe('secret');
  });

  it('parses URLs with an empty authority (memory://, dynamodb://region/table)', () => {
    expect(parseConnectorUrl('memory://#p').hosts).toEqual([]);
    const d = parseConnectorUrl('dynamodb://us-east-1/records?endpoint=http://127.0.0.1:8000#ns');
    expect(d.hosts).toEqual([{ host: 'us-east-1' }]);
    expect(d.path).toBe('records');
    expect(d.query.endpoint).toBe('http://127.0.0.1:8000');
  });

  it('names the bad field and never echoes the password', () => {
    expect(configError(() => parseConnectorUrl('redis://:hunter2@host:99999')).message).toContain('port');
    expect(configError(() => parseConnectorUrl('redis://:hunter2@host:99999')).message).not.toContain(
      'hunter2',
    );
    expect(configError(() => parseConnectorUrl('not a url')).details.field).toBe('url');
    expect(configError(() => parseConnectorUrl('')).details.field).toBe('url');
    expect(configError(() => parseConnectorUrl('redis://:hunter2@[::1')).message).not.toContain('hunter2');
    expect(configError(() => parseConnectorUrl('redis://h/%E0%A4%A')).message).toContain('path');
  });

  it('reads typed query parameters with errors that name them', () => {
    const p = parseConnectorUrl('x://h?n=5&b=yes&bad=abc');
    expect(queryNumber(p, 'n', 1)).toBe(5);
    expect(queryNumber(p, 'missing', 7)).toBe(7);
    expect(queryBoolean(p, 'b', false)).toBe(true);
    expect(configError(() => queryNumber(p, 'bad', 0)).details.field).toBe('bad');
    expect(configError(() => queryBoolean(p, 'bad', false)).message).toContain('"bad"');
  });
});

describe('redaction', () => {
  it('hides passwords in URLs anywhere in a text, keeping user names', () => {
    expect(redactText('connect redis://:s3cret@h:1 failed')).toBe('connect redis://***@h:1 failed');
    expect(redactText('mongodb://admin:s3cret@h/db and rediss://bob:pw@x')).toBe(
      'mongodb://admin:***@h/db and rediss://bob:***@x',
    );
    expect(redactText('mongodb://admin@h/db')).toBe('mongodb://admin@h/db');
    expect(redactText('no url here')).toBe('no url here');
  });

  it('hides a password that holds a raw "@" whole, up to the last "@" before the host', () => {
    expect(redactText('connect redis://:p@ss@h:1/2 failed')).toBe('connect redis://***@h:1/2 failed');
    expect(redactText('mongodb://admin:a@b@c@h/db')).toBe('mongodb://admin:***@h/db');
  });

  it('hides secret query parameters', () => {
    expect(redactConnectionString('x://h/?password=abc&x=1&token=t')).toBe(
      'x://h/?password=***&x=1&token=***',
    );
  });
});
