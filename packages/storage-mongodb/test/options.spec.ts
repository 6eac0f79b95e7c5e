import { ConnectorError } from '@connector-kit/connector-core';
import { MongoStorage, MONGODB_STORAGE_DEFAULTS } from '@connector-kit/storage-mongodb';
import { resolveOptions } from '@connector-kit/storage-mongodb/dist/options';
import { MongoClient } from 'mongodb';

function configError(build: () => unknown): ConnectorError {
  try {
    build();
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'CONFIG') return err;
    throw err;
  }
  throw new Error('expected a CONFIG error');
}

describe('options', () => {
  it('reads the database from the path and keeps driver options, dropping ours and the fragment', () => {
    const resolved = resolveOptions({
      url: 'mongodb://u:secret@h1:27017,h2/app?replicaSet=rs0&splitChar=%2F&defaultCollection=things&maxIdBytes=100#tenant:',
    });
    expect(resolved.database).toBe('app');
    expect(resolved.splitChar).toBe('/');
    expect(resolved.defaultCollection).toBe('things');
    expect(resolved.maxIdBytes).toBe(100);
    expect(resolved.driverUrl).toBe('mongodb://u:secret@h1:27017,h2/app?replicaSet=rs0');
    expect(resolved.redactedUrl).not.toContain('secret');
    expect([...resolved.urlOptionNames]).toContain('replicaset');
  });

  it('reads autoBatch from the options or the URL query (and keeps it from the driver)', () => {
    expect(resolveOptions({ url: 'mongodb://127.0.0.1/app' }).autoBatch).toBe(
      MONGODB_STORAGE_DEFAULTS.autoBatch,
    );
    expect(MONGODB_STORAGE_DEFAULTS.autoBatch).toBe(true);
    const off = resolveOptions({ url: 'mongodb://127.0.0.1/app?autoBatch=false&w=1' });
    expect(off.autoBatch).toBe(false);
    expect(off.driverUrl).toBe('mongodb://127.0.0.1/app?w=1');
    expect(
      resolveOptions({ url: 'mongodb://127.0.0.1/app?autoBatch=false', autoBatch: true }).autoBatch,
    ).toBe(true);
    expect(configError(() => resolveOptions({ url: 'mongodb://h/db?autoBatch=maybe' })).details.field).toBe(
      'autoBatch',
    );
    expect(
      configError(() => resolveOptions({ url: 'mongodb://h/db', autoBatch: 'yes' as unknown as boolean }))
        .details.field,
    ).toBe('autoBatch');
  });

  it('applies the defaults', () => {
    const resolved = resolveOptions({ url: 'mongodb://127.0.0.1' });
    expect(resolved.database).toBe(MONGODB_STORAGE_DEFAULTS.database);
    expect(resolved.defaultCollection).toBe(MONGODB_STORAGE_DEFAULTS.defaultCollection);
    expect(resolved.splitChar).toBe('');
    expect(resolved.driverUrl).toBe('mongodb://127.0.0.1');
  });

  it('takes the prefix from the fragment', () => {
    const storage = new MongoStorage({ url: 'mongodb://127.0.0.1:1/app#tenant:', operationTimeoutMs: 200 });
    storage.on('error', () => undefined);
    expect(storage.prefix).toBe('tenant:');
    return storage.close();
  });

  it('fails at construction with CONFIG naming the bad field, never echoing a password', () => {
    expect(configError(() => new MongoStorage({})).details.field).toBe('url');
    expect(configError(() => new MongoStorage({ url: 'redis://h' })).details.field).toBe('url');
    expect(configError(() => new MongoStorage({ url: 'mongodb://h/bad.db' })).details.field).toBe('database');
    expect(configError(() => new MongoStorage({ url: 'mongodb://h/db', maxIdBytes: 0 })).details.field).toBe(
      'maxIdBytes',
    );
    expect(
      configError(() => new MongoStorage({ url: 'mongodb://h/db', defaultCollection: 'a$b' })).details.field,
    ).toBe('defaultCollection');
    expect(
      configError(() => new MongoStorage({ url: 'mongodb://h/db', maxValueBytes: 17 * 1024 * 1024 })).details
        .field,
    ).toBe('maxValueBytes');
    const bad = configError(
      () => new MongoStorage({ url: 'mongodb://user:hunter2@h/db?notAnOption=1&w=banana' }),
    );
    expect(bad.message).not.toContain('hunter2');
    expect(bad.details.field).toBe('url');
  });

  it('accepts an existing client and leaves it open on close()', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100');
    const storage = new MongoStorage({ client, operationTimeoutMs: 200 });
    storage.on('error', () => undefined);
    expect(storage.client).toBe(client);
    expect(configError(() => new MongoStorage({ client, clientOptions: {} })).details.field).toBe(
      'clientOptions',
    );
    await storage.close();
    await client.close();
  });
});
