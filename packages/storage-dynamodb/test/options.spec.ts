/** Configuration without a server: URL forms, defaults, CONFIG errors that name the field, no secrets. */
import { ConnectorError, createConnector, jsonCodec } from '@connector-kit/connector-core';
import {
  DeepstreamPlugin,
  DYNAMODB_STORAGE_DEFAULTS,
  DynamoDBStorage,
  driver,
} from '@connector-kit/storage-dynamodb';
import { createClient } from '@connector-kit/storage-dynamodb/dist/client';
import { mergeOptions, resolveSettings } from '@connector-kit/storage-dynamodb/dist/options';

const QUIET = { warn: () => undefined, error: () => undefined };

function settingsOf(url: string, options: Record<string, unknown> = {}): ReturnType<typeof resolveSettings> {
  return resolveSettings(mergeOptions({ url, ...options }));
}

function configError(build: () => unknown): ConnectorError {
  try {
    build();
  } catch (err) {
    expect<unknown>(err instanceof ConnectorError).toBe(true);
    expect<unknown>((err as ConnectorError).code).toBe('CONFIG');
    return err as ConnectorError;
  }
  throw new Error('expected a CONFIG error');
}

describe('DynamoDB connector configuration', () => {
  const open: DynamoDBStorage[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  const make = (options: ConstructorParameters<typeof DynamoDBStorage>[0]): DynamoDBStorage => {
    const connector = new DynamoDBStorage({ logger: QUIET, ...options });
    connector.on('error', () => undefined);
    open.push(connector);
    return connector;
  };

  it('reads region, table, endpoint, flags and prefix from the URL', () => {
    const s = settingsOf(
      'dynamodb://eu-west-1/my_table?endpoint=http://127.0.0.1:8000&createTable=true&consistentRead=false&partitionKey=id#app:',
    );
    expect<unknown>(s.region).toBe('eu-west-1');
    expect<unknown>(s.table).toBe('my_table');
    expect<unknown>(s.endpoint).toBe('http://127.0.0.1:8000');
    expect<unknown>(s.createTable).toBe(true);
    expect<unknown>(s.consistentRead).toBe(false);
    expect<unknown>(s.partitionKey).toBe('id');
    expect<unknown>(s.prefix).toBe('app:');
  });

  it('applies the documented defaults, and explicit options win over the URL', () => {
    const s = settingsOf('dynamodb://us-east-1/records?createTable=true', {
      createTable: false,
      ttlAttribute: 'expiresAt',
    });
    expect<unknown>(s.createTable).toBe(false);
    expect<unknown>(s.ttlAttribute).toBe('expiresAt');
    expect<unknown>(s.partitionKey).toBe(DYNAMODB_STORAGE_DEFAULTS.partitionKey);
    expect<unknown>(s.maxKeyBytes).toBe(DYNAMODB_STORAGE_DEFAULTS.maxKeyBytes);
    expect<unknown>(s.valueFormat).toBe('native');
    expect<unknown>(settingsOf('dynamodb:///records').region).toBeUndefined();
  });

  it('auto-batching is on by default and can be turned off by option or URL', () => {
    expect<unknown>(DYNAMODB_STORAGE_DEFAULTS.autoBatch).toBe(true);
    expect<unknown>(settingsOf('dynamodb://us-east-1/records').autoBatch).toBe(true);
    expect<unknown>(settingsOf('dynamodb://us-east-1/records?autoBatch=false').autoBatch).toBe(false);
    expect<unknown>(
      settingsOf('dynamodb://us-east-1/records?autoBatch=false', { autoBatch: true }).autoBatch,
    ).toBe(true);
    expect<unknown>(
      configError(() => settingsOf('dynamodb://us-east-1/records?autoBatch=sometimes')).details.field,
    ).toBe('autoBatch');
    expect<unknown>(
      configError(() => settingsOf('dynamodb://us-east-1/records', { autoBatch: 'yes' })).details.field,
    ).toBe('autoBatch');
  });

  it('builds an SDK client whose logger has no info method (the SDK then skips its per-request log copies)', async () => {
    const client = createClient(
      settingsOf('dynamodb://us-east-1/table?endpoint=http%3A%2F%2F127.0.0.1%3A1'),
      1000,
    );
    try {
      const logger = client.config.logger as unknown as Record<string, unknown>;
      expect(logger['info']).toBeUndefined();
      // The SDK calls these without checking that they exist.
      for (const method of ['debug', 'warn', 'error']) expect(typeof logger[method]).toBe('function');
    } finally {
      client.destroy();
    }
  });

  it('fails at construction with CONFIG naming the bad field', () => {
    const cases: [string, () => unknown][] = [
      ['table', () => make({ url: 'dynamodb://us-east-1' })],
      ['table', () => make({ url: 'dynamodb://us-east-1/x' })],
      ['region', () => make({ url: 'dynamodb://Not A Region/table_1' })],
      ['endpoint', () => make({ url: 'dynamodb://us-east-1/table_1?endpoint=localhost:8000' })],
      ['createTable', () => make({ url: 'dynamodb://us-east-1/table_1?createTable=maybe' })],
      ['maxKeyBytes', () => make({ url: 'dynamodb://us-east-1/table_1', maxKeyBytes: -1 })],
      ['valueFormat', () => make({ url: 'dynamodb://us-east-1/table_1', valueFormat: 'xml' as 'native' })],
      ['partitionKey', () => make({ url: 'dynamodb://us-east-1/table_1', partitionKey: 'val' })],
      ['bogus', () => make({ url: 'dynamodb://us-east-1/table_1?bogus=1' })],
      ['url', () => make({ url: 'redis://127.0.0.1/table_1' })],
    ];
    for (const [field, build] of cases) {
      expect<unknown>(configError(build).details.field).withContext(field).toBe(field);
    }
  });

  it('never puts credentials from the URL into error messages', () => {
    const err = configError(() =>
      make({ url: 'dynamodb://AKIDEXAMPLE:wJalrXUtnFEMI%2FK7MDENG@us-east-1/table_1?bogus=1' }),
    );
    expect<unknown>(err.message).not.toContain('wJalrXUtnFEMI');
    expect<unknown>(err.message).not.toContain('K7MDENG');
    const s = settingsOf('dynamodb://AKIDEXAMPLE:s3cret@us-east-1/table_1');
    expect<unknown>(s.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's3cret' });
  });

  it('reports its manifest: TTL in seconds, bulk, compare-and-set, persistent, a value budget under 400 KB', () => {
    const connector = make({ url: 'dynamodb://us-east-1/table_1?endpoint=http://127.0.0.1:9#p:' });
    const s = connector.supports;
    expect<unknown>([s.ttl, s.bulk, s.compareAndSet, s.persistent]).toEqual([true, true, true, true]);
    expect<unknown>(s.ttlGranularityMs).toBe(1000);
    expect<unknown>(s.maxKeyBytes).toBe(4096);
    // 400 KB minus the longest key (twice: hashed partition key + full key), names and numbers.
    expect<unknown>(s.maxValueBytes).toBeGreaterThan(400 * 1024 - 4096 - 300);
    expect<unknown>(s.maxValueBytes).toBeLessThan(400 * 1024 - 4096);
    const longer = make({ url: 'dynamodb://us-east-1/table_1?endpoint=http://127.0.0.1:9#longer-prefix:' });
    expect<unknown>(longer.supports.maxValueBytes).toBe(
      s.maxValueBytes - 'longer-prefix:'.length + 'p:'.length,
    );
    expect<unknown>(jsonCodec.name).toBe('json');
  });

  it('is found by the registry from a dynamodb:// URL, and exports a deepstream plugin', async () => {
    expect<unknown>(driver.schemes).toEqual(['dynamodb']);
    const viaRegistry = createConnector('dynamodb://us-east-1/table_1?endpoint=http://127.0.0.1:9', {
      logger: QUIET,
    });
    viaRegistry.on('error', () => undefined);
    expect<unknown>(viaRegistry instanceof DynamoDBStorage).toBe(true);
    await viaRegistry.close();
    const plugin = new DeepstreamPlugin({
      url: 'dynamodb://us-east-1/table_1?endpoint=http://127.0.0.1:9',
      logger: QUIET,
    });
    expect<unknown>(plugin.connector instanceof DynamoDBStorage).toBe(true);
    expect<unknown>(plugin.description).toContain('dynamodb');
    await plugin.close();
  });
});
