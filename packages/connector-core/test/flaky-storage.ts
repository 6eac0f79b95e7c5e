import {
  BaseConnector,
  ConnectorError,
  MemoryStore,
  type ConnectorOptions,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';

/**
 * A storage TIER for tiered-store unit tests (the tiered store's logic is under test, not a
 * backend): a MemoryStore behind hooks whose outages, latency and call counts the test controls.
 * The real-backend tiered tests live with the backend packages.
 */
export class FlakyStorage extends BaseConnector {
  readonly store: MemoryStore;
  down = false;
  latencyMs = 0;
  /** Per-call latency, overriding latencyMs (lets a test reorder completions). */
  latency: ((write: boolean) => number) | null = null;
  /** Fail each write call with this probability (deterministic when `random` is seeded). */
  failureRate = 0;
  random: () => number = Math.random;
  reads = 0;
  writeCalls = 0;
  writtenKeys = 0;
  /** While set, write calls wait for it (see holdWrites). */
  private writesHeld: Promise<void> | null = null;

  constructor(options: ConnectorOptions & { store?: MemoryStore } = {}) {
    super(options, {
      name: 'flaky-storage',
      version: '1.0.0',
      // No per-key ordering from the base class: the test must see the tiered store's own ordering.
      preservesOrder: true,
      supports: {
        ttl: true,
        ttlGranularityMs: 1,
        bulk: true,
        compareAndSet: false,
        maxKeyBytes: 1024,
        maxValueBytes: 16 * 1024 * 1024,
        persistent: false,
      },
    });
    this.store = options.store ?? new MemoryStore();
  }

  /**
   * Fails each write call with probability `failureRate` and delays every call 0…`maxLatencyMs`
   * ms (which reorders completions), drawn from a generator seeded with `seed`, so that a
   * property-test run repeats.
   */
  injectFaults(seed: number, failureRate: number, maxLatencyMs: number): void {
    let state = seed;
    this.random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    this.failureRate = failureRate;
    this.latency = () => Math.floor(this.random() * (maxLatencyMs + 1));
  }

  /** Holds every write call until the returned function is called (a write stays in flight). */
  holdWrites(): () => void {
    let release!: () => void;
    this.writesHeld = new Promise((resolve) => (release = resolve));
    return () => {
      this.writesHeld = null;
      release();
    };
  }

  private async gate(write: boolean): Promise<void> {
    if (write && this.writesHeld) await this.writesHeld;
    const delay = this.latency ? this.latency(write) : this.latencyMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.down) throw new ConnectorError('BACKEND', 'storage is down (test)');
    if (write && this.failureRate > 0 && this.random() < this.failureRate) {
      throw new ConnectorError('BACKEND', 'injected storage failure (test)');
    }
  }

  protected async _open(): Promise<void> {}
  protected async _close(): Promise<void> {}

  protected async _get(key: string): Promise<ReadRecord | null> {
    this.reads++;
    await this.gate(false);
    return this.store.get(key) ?? null;
  }

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    this.writeCalls++;
    await this.gate(true);
    this.writtenKeys++;
    this.store.set(key, record.data, record.version, ttl);
  }

  protected async _delete(key: string): Promise<void> {
    this.writeCalls++;
    await this.gate(true);
    this.writtenKeys++;
    this.store.delete(key);
  }

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    this.writeCalls++;
    await this.gate(true);
    this.writtenKeys += items.length;
    for (const { key, record } of items) this.store.set(key, record.data, record.version, ttl);
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    this.writeCalls++;
    await this.gate(true);
    this.writtenKeys += keys.length;
    for (const key of keys) this.store.delete(key);
  }
}
