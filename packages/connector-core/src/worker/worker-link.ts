import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConnectorError } from '../errors';
import {
  deserializeError,
  type Reply,
  type Request,
  type SerializedError,
  type WorkerIdentity,
  type WorkerInit,
} from './protocol';

/** A request without its id (the link numbers them); distributes over the union of requests. */
type WithoutId<R> = R extends unknown ? Omit<R, 'id'> : never;
export type Call = WithoutId<Request>;

export interface LinkEvents {
  /** An `'error'` event of the connector in the worker. */
  error(err: ConnectorError): void;
  /** The thread ended without `terminate()` (crash, or exit from inside). */
  exit(err: ConnectorError): void;
}

interface Waiting {
  resolve(result: unknown): void;
  reject(err: ConnectorError): void;
}

const WORKER_MAIN = path.join(__dirname, 'worker-main.js');

/**
 * One worker thread running one connector: numbers requests, matches replies, and rejects
 * everything in flight with BACKEND if the thread ends. No policy here (see WorkerConnector).
 */
export class WorkerLink {
  private readonly pending = new Map<number, Waiting>();
  private nextId = 0;
  private ended = false;
  private terminating = false;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
    readonly identity: WorkerIdentity,
    events: LinkEvents,
  ) {
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'error') events.error(deserializeError(reply.error, label));
      else if (reply.type === 'result') this.settle(reply);
    });
    const ended = (detail: string): void => {
      if (this.ended) return;
      this.ended = true;
      const error = new ConnectorError('BACKEND', `The worker thread running ${label} ${detail}`, {
        details: { worker: label },
      });
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      if (!this.terminating) events.exit(error);
    };
    worker.on('error', (err: Error) => ended(`failed: ${err.message}`));
    worker.on('exit', (code: number) => ended(`exited (code ${code})`));
  }

  /** Starts a thread and waits until its connector is built (CONFIG/BACKEND if it cannot be). */
  static spawn(init: WorkerInit, label: string, timeoutMs: number, events: LinkEvents): Promise<WorkerLink> {
    return new Promise<WorkerLink>((resolve, reject) => {
      let worker: Worker;
      try {
        worker = new Worker(WORKER_MAIN, { workerData: init });
      } catch (err) {
        reject(new ConnectorError('CONFIG', `Could not start a worker thread for ${label}`, { cause: err }));
        return;
      }
      const detach = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const fail = (err: ConnectorError): void => {
        detach();
        void worker.terminate();
        reject(err);
      };
      const timer = setTimeout(
        () =>
          fail(
            new ConnectorError('TIMEOUT', `The worker thread for ${label} did not start in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      const onMessage = (reply: Reply): void => {
        if (reply.type === 'identity') {
          detach();
          resolve(new WorkerLink(worker, label, reply.identity, events));
        } else if (reply.type === 'failed') fail(deserializeError(reply.error, label));
        else fail(new ConnectorError('BACKEND', `The worker thread for ${label} answered before starting`));
      };
      const onError = (err: Error): void =>
        fail(
          new ConnectorError('BACKEND', `The worker thread for ${label} failed: ${err.message}`, {
            cause: err,
          }),
        );
      const onExit = (code: number): void =>
        fail(
          new ConnectorError(
            'BACKEND',
            `The worker thread for ${label} exited while starting (code ${code})`,
          ),
        );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  request(call: Call, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.ended) {
      return Promise.reject(
        new ConnectorError('BACKEND', `The worker thread running ${this.label} has ended`, {
          details: { worker: this.label },
        }),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ ...call, id }, transfer);
      } catch (err) {
        reject(
          new ConnectorError(
            'BACKEND',
            `Could not send ${call.op} to the worker thread running ${this.label}`,
            {
              cause: err,
              details: { worker: this.label },
            },
          ),
        );
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
  }

  /** Ends the thread; what is in flight fails with BACKEND. Not reported as an exit. */
  async terminate(): Promise<void> {
    this.terminating = true;
    await this.worker.terminate();
  }

  private settle(reply: Extract<Reply, { type: 'result' }>): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(deserializeError(reply.error as SerializedError, this.label));
  }
}
