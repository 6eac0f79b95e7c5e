/**
 * `npm run tour`: a short tour of the kit on the embedded memory cache (no server needed).
 * The same code works with any URL: `redis://127.0.0.1:6379#app:`, `mongodb://…`, `dynamodb://…`.
 */
import { ConnectorError, createConnector } from '../index';

async function main(): Promise<void> {
  const url = process.argv[2] ?? 'memory://?maxEntries=10000#demo:';
  const store = createConnector(url);
  store.on('error', (err: ConnectorError) => console.error(`background error ${err.code}: ${err.message}`));
  await store.whenReady();
  console.log(`connected: ${store.name} ${store.version} (prefix "${store.prefix}")`);
  console.log('supports:', JSON.stringify(store.supports));

  await store.set('user/ada', { name: 'Ada', langs: ['en', 'fr'] }, { version: 1 });
  console.log('get user/ada →', JSON.stringify(await store.get('user/ada')));
  console.log('head user/ada → version', await store.head('user/ada'));

  // Optimistic concurrency: only one of two writers expecting version 1 wins.
  const results = await Promise.allSettled([
    store.compareAndSet('user/ada', { name: 'Ada L.' }, { expectedVersion: 1, version: 2 }),
    store.compareAndSet('user/ada', { name: 'Ada B.' }, { expectedVersion: 1, version: 2 }),
  ]);
  console.log(
    'compareAndSet race →',
    results.map((r) => (r.status === 'fulfilled' ? 'won' : (r.reason as ConnectorError).code)).join(', '),
  );

  // Bad input gets a clear error with a stable code, and nothing stored is damaged.
  try {
    await store.set('user/ada', { born: new Date(1815, 11, 10) } as never);
  } catch (err) {
    console.log(`rejected: ${(err as ConnectorError).code} — ${(err as ConnectorError).message}`);
  }
  console.log('still stored →', JSON.stringify(await store.getEntry('user/ada')));

  // Callback style works too (deepstream's convention).
  await new Promise<void>((resolve) =>
    store.set('session/1', { ttlDemo: true }, { ttl: 200 }, (err) => {
      if (err) console.error(err);
      resolve();
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  console.log('session/1 after its 200 ms TTL →', JSON.stringify(await store.get('session/1')));

  const stats = store.stats();
  console.log(
    `stats: ${JSON.stringify(stats.operations)} hits=${stats.hits} misses=${stats.misses} p99=${stats.latencyMs.p99.toFixed(3)} ms`,
  );
  await store.close();
  console.log('closed.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
