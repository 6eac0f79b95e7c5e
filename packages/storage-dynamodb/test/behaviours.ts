/**
 * DynamoDB-specific behaviours, run against each server (DynamoDB Local and dynalite) from the
 * spec file that started it: stored shape, key fallback, size limits, bulk chunking and retry,
 * compare-and-set races across connectors, TTL filtering, table set-up.
 */
import { createHash } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  ConnectorError,
  jsonCodec,
  msgpackCodec,
  type JsonValue,
  type Logger,
} from '@connector-kit/connector-core';
import {
  expectCode,
  randomKey,
  randomPrefix,
  valueOfEncodedSize,
  type ServiceFixture,
} from '@connector-kit/test-suite';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { connectorOn, countCommands, deadline, rawClient, rawGet, tableOf, uniqueTable } from './support';

const T = 30_000;

function deep(levels: number): JsonValue {
  let value: JsonValue = 'bottom';
  for (let i = 0; i < levels; i++) value = { [`l${i}`]: value };
  return value;
}

async function createRawTable(raw: DynamoDBClient, table: string, key: string): Promise<void> {
  await raw.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
    }),
    deadline(),
  );
}

export function describeDynamoBehaviours(
  service: ServiceFixture,
  server: 'dynamodb-local' | 'dynalite',
): void {
  let shared: { connector: DynamoDBStorage; raw: DynamoDBClient; table: string; prefix: string } | null =
    null;
  const setup = async (): Promise<NonNullable<typeof shared>> => {
    if (!shared) {
      const prefix = randomPrefix();
      const connector = connectorOn(service, { prefix });
      await connector.whenReady();
      shared = { connector, raw: rawClient(service), table: tableOf(service), prefix };
    }
    return shared;
  };
  const extra: DynamoDBStorage[] = [];
  const another = async (
    options: ConstructorParameters<typeof DynamoDBStorage>[0] = {},
  ): Promise<DynamoDBStorage> => {
    const connector = connectorOn(service, options);
    extra.push(connector);
    return connector;
  };
  afterAll(async () => {
    await Promise.allSettled([shared?.connector.close(), ...extra.map((c) => c.close())]);
    shared?.raw.destroy();
  }, T);

  describe('stored item shape', () => {
    it(
      'stores plain values as readable DynamoDB types, the version beside them, key order kept',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        const value: JsonValue = {
          name: 'Ada',
          tags: ['x', 'y'],
          n: 1.5,
          ok: true,
          none: null,
          nested: { b: 1, a: 2 },
          '7': 'index',
        };
        await connector.set(key, value, { version: 3 });
        const item = await rawGet(raw, table, prefix + key);
        expect<unknown>(item?.ver).toEqual({ N: '3' });
        expect<unknown>(item?.fmt).toBeUndefined();
        expect<unknown>(item?.val?.M?.name).toEqual({ S: 'Ada' });
        expect<unknown>(item?.val?.M?.tags).toEqual({ L: [{ S: 'x' }, { S: 'y' }] });
        expect<unknown>(item?.val?.M?.nested?.M?.a).toEqual({ N: '2' });
        expect<unknown>(item?.ord).toEqual({
          S: '{"0":["7","name","tags","n","ok","none","nested"],"1":["b","a"]}',
        });
        const back = await connector.get(key);
        expect<unknown>(JSON.stringify(back)).toBe(JSON.stringify(value));
      },
      T,
    );

    it(
      "numbers at the edges of DynamoDB's range are stored natively and come back exact",
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        const value: JsonValue = [
          9.999999999999998e125,
          -9.999999999999998e125,
          1e-130,
          -1e-130,
          0.1 + 0.2,
          Number.MIN_SAFE_INTEGER,
        ];
        await connector.set(key, value);
        const item = await rawGet(raw, table, prefix + key);
        expect<unknown>(item?.fmt).toBeUndefined();
        expect<unknown>(item?.val?.L?.length).toBe(6);
        expect<unknown>(JSON.stringify(await connector.get(key))).toBe(JSON.stringify(value));
      },
      T,
    );

    it(
      'objects whose keys are in sorted order need no order attribute',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        await connector.set(key, { a: 1, b: { c: 2, d: [3] }, '10': 0, '2': 0 });
        const item = await rawGet(raw, table, prefix + key);
        expect<unknown>(item?.val?.M).toBeDefined();
        expect<unknown>(item?.ord).toBeUndefined();
        expect<unknown>(JSON.stringify(await connector.get(key))).toBe(
          '{"2":0,"10":0,"a":1,"b":{"c":2,"d":[3]}}',
        );
      },
      T,
    );

    it(
      "stores what DynamoDB's types cannot hold as the codec's JSON text, flagged by fmt",
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const cases: JsonValue[] = [
          1e300,
          -1e-300,
          { tiny: 5e-324 },
          { '': 'empty key' },
          'lone \ud800 surrogate',
          deep(32),
        ];
        for (const value of cases) {
          const key = randomKey();
          await connector.set(key, value);
          const item = await rawGet(raw, table, prefix + key);
          expect<unknown>(item?.fmt).withContext(JSON.stringify(value)).toEqual({ S: 'json' });
          expect<unknown>(item?.val)
            .withContext(JSON.stringify(value))
            .toEqual({ S: JSON.stringify(value) });
          expect<unknown>(JSON.stringify(await connector.get(key))).toBe(JSON.stringify(value));
        }
        // One level less deep is still native: 31 maps and a string are DynamoDB's 32 levels.
        const key = randomKey();
        await connector.set(key, deep(31));
        expect<unknown>((await rawGet(raw, table, prefix + key))?.fmt).toBeUndefined();
        expect<unknown>(await connector.get(key)).toEqual(deep(31));
      },
      T,
    );

    it(
      'valueFormat "encoded" stores every value as JSON text',
      async () => {
        const { raw, table } = await setup();
        const prefix = randomPrefix();
        const connector = await another({ prefix, valueFormat: 'encoded' });
        const key = randomKey();
        await connector.set(key, { b: 1, a: [true] }, { version: 2 });
        const item = await rawGet(raw, table, prefix + key);
        expect<unknown>(item?.val).toEqual({ S: '{"b":1,"a":[true]}' });
        expect<unknown>(item?.fmt).toEqual({ S: 'json' });
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: { b: 1, a: [true] }, version: 2 });
      },
      T,
    );

    it('with the msgpack codec, values DynamoDB cannot hold are stored as binary, up to maxValueBytes', async () => {
      const { raw, table } = await setup();
      const prefix = randomPrefix();
      const connector = await another({ prefix, codec: 'msgpack' });
      const key = randomKey();
      await connector.set(key, { huge: 1e300, list: [1, 'two'] });
      const item = await rawGet(raw, table, prefix + key);
      expect<unknown>(item?.fmt).toEqual({ S: 'msgpack' });
      expect<unknown>(item?.val?.B instanceof Uint8Array).toBe(true);
      expect<unknown>(await connector.get(key)).toEqual({ huge: 1e300, list: [1, 'two'] });
      // [1e300, "xxx…"]: 1 (array) + 9 (float64) + 5 (str32 header) + the string.
      const max = connector.supports.maxValueBytes;
      const atMax: JsonValue = [1e300, 'x'.repeat(max - 15)];
      expect<unknown>(msgpackCodec.encode(atMax).byteLength).toBe(max);
      await connector.set(key, atMax);
      expect<unknown>((await rawGet(raw, table, prefix + key))?.fmt).toEqual({ S: 'msgpack' });
      expect<unknown>(await connector.get(key)).toEqual(atMax);
      await expectCode(connector.set(key, [1e300, 'x'.repeat(max - 14)]), 'VALUE_TOO_LARGE');
      // A JSON-encoded item read through the msgpack connector is reported, not misread.
      const jsonOne = await another({ prefix });
      await jsonOne.set(key, 1e300);
      const err = await expectCode(connector.get(key), 'CORRUPT');
      expect<unknown>(err.message).toContain('"json" codec');
    }, 60_000);

    it(
      'head reads only the version: an item whose value cannot be decoded still has a version',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        await raw.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: prefix + key }, ver: { N: '4' }, val: { SS: ['not', 'json'] } },
          }),
          deadline(),
        );
        await expectCode(connector.get(key), 'CORRUPT');
        expect<unknown>(await connector.head(key)).toBe(4);
        expect<unknown>(await connector.headBulk([key])).toEqual([4]);
      },
      T,
    );

    it(
      'an item written by hand without a version reads as version 0',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        await raw.send(
          new PutItemCommand({ TableName: table, Item: { pk: { S: prefix + key }, val: { S: 'by hand' } } }),
          deadline(),
        );
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'by hand', version: 0 });
      },
      T,
    );
  });

  describe('keys over the 2048-byte partition-key limit', () => {
    it(
      'are stored under #sha256:<hex of the full key>, with the full key beside it, and work everywhere',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = `${randomKey('long')}-${'é'.repeat(1500)}`;
        const fullKey = prefix + key;
        expect<unknown>(Buffer.byteLength(fullKey)).toBeGreaterThan(2048);
        await connector.set(key, { long: true }, { version: 1 });
        const hashed = `#sha256:${createHash('sha256').update(fullKey, 'utf8').digest('hex')}`;
        const item = await rawGet(raw, table, hashed);
        expect<unknown>(item?.key).toEqual({ S: fullKey });
        expect<unknown>(await connector.get(key)).toEqual({ long: true });
        expect<unknown>(await connector.head(key)).toBe(1);
        expect<unknown>(await connector.getBulk([key, `${key}-other`])).toEqual([{ long: true }, null]);
        expect<unknown>(await connector.headBulk([key])).toEqual([1]);
        await connector.compareAndSet(key, 'swapped', { expectedVersion: 1, version: 2 });
        await expectCode(
          connector.compareAndSet(key, 'again', { expectedVersion: 1, version: 2 }),
          'CONFLICT',
        );
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'swapped', version: 2 });
        await connector.setBulk([{ key, value: 'bulk' }]);
        expect<unknown>(await connector.get(key)).toBe('bulk');
        await connector.deleteBulk([key]);
        expect<unknown>(await connector.get(key)).toBeNull();
        expect<unknown>(await rawGet(raw, table, hashed)).toBeUndefined();
      },
      T,
    );

    it(
      'a full key of exactly 2048 bytes is stored as it is',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const start = randomKey('edge');
        const key = start + 'k'.repeat(2048 - Buffer.byteLength(prefix + start));
        expect<unknown>(Buffer.byteLength(prefix + key)).toBe(2048);
        await connector.set(key, 'edge');
        expect<unknown>((await rawGet(raw, table, prefix + key))?.val).toEqual({ S: 'edge' });
      },
      T,
    );

    it(
      'an item whose stored full key differs never answers for the key asked',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        await raw.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: prefix + key },
              key: { S: 'some other key' },
              ver: { N: '1' },
              val: { S: 'not yours' },
            },
          }),
          deadline(),
        );
        expect<unknown>(await connector.get(key)).toBeNull();
        expect<unknown>(await connector.head(key)).toBeNull();
        expect<unknown>(await connector.getBulk([key])).toEqual([null]);
      },
      T,
    );
  });

  describe('size limits', () => {
    it('a value of exactly maxValueBytes stores even under the longest key', async () => {
      const { connector } = await setup();
      const { maxKeyBytes, maxValueBytes } = connector.supports;
      const start = randomKey('maxkey');
      const key = start + 'k'.repeat(maxKeyBytes - Buffer.byteLength(start));
      const value = valueOfEncodedSize(jsonCodec, maxValueBytes);
      await connector.set(key, value, { ttl: 3_600_000, version: Number.MAX_SAFE_INTEGER });
      expect<unknown>((await connector.get(key)) === value).toBe(true);
      // The encoded form is the worst case: a value that is not native at that size.
      const encoded = 'x'.repeat(maxValueBytes - 8) + '\ud800';
      expect<unknown>(jsonCodec.encode(encoded).byteLength).toBe(maxValueBytes);
      await connector.set(key, encoded, { ttl: 3_600_000, version: Number.MIN_SAFE_INTEGER });
      expect<unknown>((await connector.get(key)) === encoded).toBe(true);
    }, 60_000);

    it('a value whose native form would pass 400 KB is stored as JSON text instead', async () => {
      const { connector, raw, table, prefix } = await setup();
      const key = randomKey();
      const ones = new Array<number>(150_000).fill(1); // JSON: 300 KB; as a DynamoDB list: 450 KB
      await connector.set(key, ones);
      expect<unknown>((await rawGet(raw, table, prefix + key))?.fmt).toEqual({ S: 'json' });
      expect<unknown>(await connector.get(key)).toEqual(ones);
    }, 60_000);

    it(
      'setBulk with one value over the limit is VALUE_TOO_LARGE and writes nothing',
      async () => {
        const { connector } = await setup();
        const small = randomKey();
        const big = valueOfEncodedSize(jsonCodec, connector.supports.maxValueBytes + 1);
        await expectCode(
          connector.setBulk([
            { key: small, value: 'small' },
            { key: randomKey(), value: big },
          ]),
          'VALUE_TOO_LARGE',
        );
        expect<unknown>(await connector.get(small)).toBeNull();
      },
      T,
    );
  });

  describe('bulk operations', () => {
    it('1,000 keys go in batches of 25 writes and 100 reads', async () => {
      const client = rawClient(service);
      try {
        const counts = countCommands(client);
        const connector = await another({ client, table: tableOf(service), prefix: randomPrefix() });
        await connector.whenReady();
        const keys = Array.from({ length: 1000 }, (_, i) => `${randomKey('many')}-${i}`);
        await connector.setBulk(keys.map((key, i) => ({ key, value: { i }, version: i })));
        expect<unknown>(counts.get('BatchWriteItemCommand')).toBe(40);
        const values = await connector.getBulk(keys);
        expect<unknown>(counts.get('BatchGetItemCommand')).toBe(10);
        values.forEach((v, i) => expect<unknown>(v).toEqual({ i }));
        const versions = await connector.headBulk(keys);
        versions.forEach((v, i) => expect<unknown>(v).toBe(i));
        await connector.deleteBulk(keys);
        expect<unknown>(counts.get('BatchWriteItemCommand')).toBe(80);
        expect<unknown>((await connector.getBulk(keys)).every((v) => v === null)).toBe(true);
        expect<unknown>(counts.get('PutItemCommand')).toBeUndefined();
        expect<unknown>(counts.get('GetItemCommand')).toBeUndefined();
        await connector.close();
        // The client was ours: the connector leaves it open.
        await client.send(new ListTablesCommand({}), deadline());
      } finally {
        client.destroy();
      }
    }, 60_000);

    it(
      'duplicate keys in one call: the last write wins and every read position is answered',
      async () => {
        const { connector } = await setup();
        const a = randomKey();
        const b = randomKey();
        await connector.setBulk([
          { key: a, value: 'first', version: 1 },
          { key: b, value: 'b', version: 1 },
          { key: a, value: 'last', version: 2 },
        ]);
        expect<unknown>(await connector.getEntry(a)).toEqual({ value: 'last', version: 2 });
        expect<unknown>(await connector.getBulk([a, b, a])).toEqual(['last', 'b', 'last']);
        expect<unknown>(await connector.headBulk([b, b])).toEqual([1, 1]);
        await connector.deleteBulk([a, a, b]);
        expect<unknown>(await connector.getBulk([a, b])).toEqual([null, null]);
      },
      T,
    );

    it('retries UnprocessedKeys until every key is read (16 MB BatchGetItem response limit)', async () => {
      const client = rawClient(service);
      try {
        const counts = countCommands(client);
        const connector = await another({
          client,
          table: tableOf(service),
          prefix: randomPrefix(),
          operationTimeoutMs: 30_000,
        });
        await connector.whenReady();
        const size = 380_000;
        const keys = Array.from({ length: 48 }, (_, i) => `${randomKey('huge')}-${i}`);
        await connector.setBulk(keys.map((key, i) => ({ key, value: String(i % 10).repeat(size) })));
        const values = await connector.getBulk(keys);
        values.forEach((v, i) =>
          expect<unknown>(v === String(i % 10).repeat(size))
            .withContext(`key ${i}`)
            .toBe(true),
        );
        // 48 keys fit one request; 18 MB of answers do not fit one response.
        expect<unknown>(counts.get('BatchGetItemCommand')).toBeGreaterThan(1);
        await connector.deleteBulk(keys);
        await connector.close();
      } finally {
        client.destroy();
      }
    }, 90_000);
  });

  describe('compare-and-set across connectors', () => {
    it(
      'two connectors racing on one version: exactly one wins every round',
      async () => {
        const prefix = randomPrefix();
        const [a, b] = [await another({ prefix }), await another({ prefix })];
        await Promise.all([a.whenReady(), b.whenReady()]);
        const key = randomKey('race');
        await a.set(key, 'start', { version: 0 });
        for (let round = 0; round < 15; round++) {
          const outcomes = await Promise.all(
            [a, b].map((c, who) =>
              c.compareAndSet(key, `${who}@${round}`, { expectedVersion: round, version: round + 1 }).then(
                () => 'won',
                (err: ConnectorError) => err.code,
              ),
            ),
          );
          expect<unknown>(outcomes.sort()).withContext(`round ${round}`).toEqual(['CONFLICT', 'won']);
        }
        const entry = await b.getEntry(key);
        expect<unknown>(entry?.version).toBe(15);
        expect<unknown>(String(entry?.value)).toMatch(/^[01]@14$/);
      },
      T,
    );

    it(
      'two connectors creating one key (expectedVersion null): exactly one wins',
      async () => {
        const prefix = randomPrefix();
        const [a, b] = [await another({ prefix }), await another({ prefix })];
        await Promise.all([a.whenReady(), b.whenReady()]);
        for (let round = 0; round < 10; round++) {
          const key = randomKey('create');
          const outcomes = await Promise.all(
            [a, b].map((c) =>
              c.compareAndSet(key, round, { expectedVersion: null, version: 1 }).then(
                () => 'won',
                (err: ConnectorError) => err.code,
              ),
            ),
          );
          expect<unknown>(outcomes.sort()).toEqual(['CONFLICT', 'won']);
        }
      },
      T,
    );
  });

  describe('TTL', () => {
    it(
      'writes the expiry as epoch seconds in the TTL attribute, and none without a TTL',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey();
        const before = Date.now();
        await connector.set(key, 'expiring', { ttl: 60_000 });
        const expires = Number((await rawGet(raw, table, prefix + key))?.exp?.N);
        expect<unknown>(expires).toBeGreaterThanOrEqual(Math.floor((before + 60_000) / 1000));
        expect<unknown>(expires).toBeLessThanOrEqual(Math.ceil((Date.now() + 60_000) / 1000));
        await connector.set(key, 'lasting');
        expect<unknown>((await rawGet(raw, table, prefix + key))?.exp).toBeUndefined();
      },
      T,
    );

    it(
      'hides an expired item that DynamoDB has not deleted yet, for reads and compare-and-set',
      async () => {
        const { connector, raw, table, prefix } = await setup();
        const key = randomKey('expired');
        const past = String(Math.floor(Date.now() / 1000) - 60);
        await raw.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: prefix + key }, ver: { N: '5' }, val: { S: 'stale' }, exp: { N: past } },
          }),
          deadline(),
        );
        expect<unknown>(await rawGet(raw, table, prefix + key)).toBeDefined();
        expect<unknown>(await connector.get(key)).toBeNull();
        expect<unknown>(await connector.getEntry(key)).toBeNull();
        expect<unknown>(await connector.head(key)).toBeNull();
        expect<unknown>(await connector.getBulk([key])).toEqual([null]);
        expect<unknown>(await connector.headBulk([key])).toEqual([null]);
        await expectCode(connector.compareAndSet(key, 'x', { expectedVersion: 5, version: 6 }), 'CONFLICT');
        await connector.compareAndSet(key, 'fresh', { expectedVersion: null, version: 1 });
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'fresh', version: 1 });
      },
      T,
    );

    it(
      'a table it creates gets TTL enabled on the TTL attribute (or a warning where the server cannot)',
      async () => {
        const { raw } = await setup();
        const warnings: string[] = [];
        const logger: Logger = { warn: (m) => warnings.push(m), error: () => undefined };
        const table = uniqueTable('ttl');
        const connector = await another({
          table,
          logger,
          createTable: true,
          url: service.url.replace(tableOf(service), table),
        });
        await connector.whenReady();
        if (server === 'dynamodb-local') {
          const ttl = await raw.send(new DescribeTimeToLiveCommand({ TableName: table }), deadline());
          expect<unknown>(ttl.TimeToLiveDescription?.AttributeName).toBe('exp');
          expect<unknown>(ttl.TimeToLiveDescription?.TimeToLiveStatus).toMatch(/^ENABL/);
          expect<unknown>(warnings).toEqual([]);
        } else {
          // dynalite does not implement UpdateTimeToLive: the connector says so and carries on.
          expect<unknown>(warnings.length).toBe(1);
          expect<unknown>(warnings[0]).toContain('TTL');
        }
      },
      T,
    );
  });

  describe('table set-up', () => {
    it(
      'a missing table without createTable is a CONFIG error naming the table and the region',
      async () => {
        const table = uniqueTable('missing');
        const connector = new DynamoDBStorage({ url: service.url.replace(tableOf(service), table) });
        const errors: ConnectorError[] = [];
        connector.on('error', (e: ConnectorError) => errors.push(e));
        extra.push(connector);
        const err = await expectCode(connector.whenReady(), 'CONFIG');
        expect<unknown>(err.message).toContain(`"${table}"`);
        expect<unknown>(err.message).toContain('us-east-1');
        expect<unknown>(err.details.field).toBe('table');
        const started = Date.now();
        await expectCode(connector.get('k'), 'CONFIG');
        expect<unknown>(Date.now() - started).toBeLessThan(500);
        expect<unknown>(errors.length).toBe(1);
      },
      T,
    );

    it(
      'createTable creates an on-demand table with the documented key schema, ACTIVE before ready',
      async () => {
        const { raw } = await setup();
        const table = uniqueTable('created');
        const connector = await another({
          url: service.url.replace(tableOf(service), table),
          createTable: true,
        });
        await connector.whenReady();
        const description = (await raw.send(new DescribeTableCommand({ TableName: table }), deadline()))
          .Table;
        expect<unknown>(description?.TableStatus).toBe('ACTIVE');
        expect<unknown>(description?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
        expect<unknown>(description?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
        await connector.set('k', 1);
        expect<unknown>(await connector.get('k')).toBe(1);
      },
      T,
    );

    it(
      'a table with another key schema is CONFIG naming partitionKey; the partitionKey option fits it',
      async () => {
        const { raw } = await setup();
        const table = uniqueTable('idkey');
        await createRawTable(raw, table, 'id');
        const url = service.url.replace(tableOf(service), table);
        const wrong = await another({ url, createTable: false });
        const err = await expectCode(wrong.whenReady(), 'CONFIG');
        expect<unknown>(err.message).toContain('id (HASH)');
        expect<unknown>(err.details.field).toBe('partitionKey');
        const right = await another({ url, createTable: false, partitionKey: 'id' });
        await right.set('k', { fits: true });
        expect<unknown>(await right.get('k')).toEqual({ fits: true });
      },
      T,
    );
  });
}
