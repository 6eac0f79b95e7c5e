/*
 * Preloaded into a WorkerConnector's thread by worker-connector.spec.ts: registers `scripted://`,
 * a memory cache whose writes misbehave on cue (by key), so the spec can watch what crosses the
 * thread boundary when a connector fails, hangs, or takes its thread down.
 */
import { MemoryCache, registerDriver, type WriteRecord } from '@connector-kit/connector-core';

class MisbehavingCache extends MemoryCache {
  protected override _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    if (key.endsWith('crash')) process.exit(3); // in a worker thread: ends the thread only
    if (key.endsWith('hang')) return new Promise(() => undefined);
    if (key.endsWith('boom')) return Promise.reject(new Error('boom from the driver'));
    return super._set(key, record, ttl);
  }
}

registerDriver({
  name: 'scripted',
  schemes: ['scripted'],
  // The URL named the scheme; the cache itself needs no address.
  create: ({ url: _url, ...options }) => new MisbehavingCache(options),
});
