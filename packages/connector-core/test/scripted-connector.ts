import {
  BaseConnector,
  ConnectorError,
  type ConnectorOptions,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';

/**
 * A test double for the BASE CLASS (not for any backend): a Map behind hooks whose latency,
 * failures and readiness each test scripts, so the shared machinery can be observed.
 */
export class ScriptedConnector extends BaseConnector {
  readonly data = new Map<string, { data: Uint8Array; version: number }>();
  /** Per-call latency for _set, by value (lets a test reorder completions). */
  setDelay: (key: string, record: WriteRecord) => number = () => 0;
  getDelay = 0;
  /** Resolves _open after this many failures. */
  openFailures = 0;
  openError: () => Error = () => new Error('connection refused');
  openCalls = 0;
  closeCalls = 0;
  hang = false;
  readonly setCalls: string[] = [];

  constructor(options: ConnectorOptions = {}, preservesOrder = false) {
    super(options, {
      name: 'scripted',
      version: '1.0.0',
      preservesOrder,
      supports: {
        ttl: false,
        ttlGranularityMs: 1,
        bulk: false,
        compareAndSet: false,
        maxKeyBytes: 100,
        maxValueBytes: 1000,
        persistent: false,
      },
    });
  }

  goDown(err: unknown): void {
    this.markUnavailable(err);
  }

  comeBack(): void {
    this.markReady();
  }

  /** The first this-many _open calls never settle. */
  openHangs = 0;

  protected async _open(): Promise<void> {
    this.openCalls++;
    if (this.openHangs > 0) {
      this.openHangs--;
      return new Promise(() => undefined);
    }
    if (this.openFailures > 0) {
      this.openFailures--;
      throw this.openError();
    }
  }

  protected async _close(): Promise<void> {
    this.closeCalls++;
  }

  protected async _get(key: string): Promise<ReadRecord | null> {
    if (this.hang) return new Promise(() => undefined);
    if (this.getDelay) await new Promise((r) => setTimeout(r, this.getDelay));
    return this.data.get(key) ?? null;
  }

  protected async _set(key: string, record: WriteRecord): Promise<void> {
    this.setCalls.push(key);
    if (this.hang) return new Promise(() => undefined);
    const delay = this.setDelay(key, record);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (record.value === 'explode') throw new Error('backend exploded');
    if (record.value === 'conflict') throw new ConnectorError('CONFLICT', 'scripted conflict');
    this.data.set(key, { data: record.data, version: record.version });
  }

  protected async _delete(key: string): Promise<void> {
    this.data.delete(key);
  }
}
