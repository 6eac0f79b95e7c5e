import {
  CompletionOrder,
  ConnectorError,
  OperationState,
  type OrderedOperation,
} from '@connector-kit/connector-core';
import { ScriptedConnector } from './scripted-connector';

/** An operation that records when it is released. */
function op(name: string, keys: string[], released: string[]): OrderedOperation {
  return {
    keys,
    state: OperationState.Running,
    release: () => released.push(name),
  };
}

describe('CompletionOrder (per-key completion order of the base class)', () => {
  it('holds an outcome until every earlier operation of its key is released', () => {
    const order = new CompletionOrder();
    const released: string[] = [];
    const a = op('a', ['k'], released);
    const b = op('b', ['k'], released);
    const c = op('c', ['k'], released);
    order.enter(a);
    order.enter(b);
    order.enter(c);
    order.complete(c);
    order.complete(b);
    expect(released).toEqual([]);
    order.complete(a);
    expect(released).toEqual(['a', 'b', 'c']);
    expect(order.size).toBe(0);
  });

  it('never holds operations on other keys', () => {
    const order = new CompletionOrder();
    const released: string[] = [];
    const slow = op('slow', ['k'], released);
    const other = op('other', ['j'], released);
    order.enter(slow);
    order.enter(other);
    order.complete(other);
    expect(released).toEqual(['other']);
    order.complete(slow);
    expect(released).toEqual(['other', 'slow']);
  });

  it('a bulk operation waits in every lane it shares, and holds later operations of each', () => {
    const order = new CompletionOrder();
    const released: string[] = [];
    const x = op('x', ['x'], released);
    const y = op('y', ['y'], released);
    const bulk = op('bulk', ['x', 'y', 'z', 'y'], released);
    const afterX = op('afterX', ['x'], released);
    const afterZ = op('afterZ', ['z'], released);
    for (const o of [x, y, bulk, afterX, afterZ]) order.enter(o);
    order.complete(afterZ);
    order.complete(afterX);
    order.complete(bulk);
    order.complete(x);
    expect(released).toEqual(['x']);
    order.complete(y);
    expect(released.slice(0, 3)).toEqual(['x', 'y', 'bulk']);
    expect(released.slice(3).sort()).toEqual(['afterX', 'afterZ']);
    expect(order.size).toBe(0);
  });

  it('keeps a bounded number of emptied lanes for reuse, however many keys pass through', () => {
    const order = new CompletionOrder();
    const released: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const o = op(`k${i}`, [`k${i}`], released);
      order.enter(o);
      order.complete(o);
    }
    expect(released.length).toBe(20_000);
    expect(order.size).toBe(0);
    const lanes = (order as unknown as { lanes: Map<string, unknown> }).lanes;
    expect(lanes.size).toBeLessThanOrEqual(4097);
  });

  it('an operation on no key is released at once', () => {
    const order = new CompletionOrder();
    const released: string[] = [];
    const blocker = op('blocker', ['k'], released);
    order.enter(blocker);
    const unkeyed = op('unkeyed', [], released);
    order.enter(unkeyed);
    order.complete(unkeyed);
    expect(released).toEqual(['unkeyed']);
  });
});

describe('BaseConnector completion order', () => {
  let connector: ScriptedConnector;

  afterEach(async () => {
    await connector.close();
  });

  it('delivers a slow read before a fast write of its key issued after it, callbacks and promises alike', async () => {
    connector = new ScriptedConnector({}, true);
    await connector.whenReady();
    await connector.set('k', 'old');
    connector.getDelay = 30;
    const order: string[] = [];
    const read = connector.get('k').then((v) => order.push(`read ${String(v)}`));
    const written = new Promise<void>((resolve) =>
      connector.set('k', 'new', (err) => {
        order.push(err ? `write failed ${err.code}` : 'write');
        resolve();
      }),
    );
    const unrelated = connector.set('other', 1).then(() => order.push('unrelated'));
    await Promise.all([read, written, unrelated]);
    // The scripted store answers the read after the write landed; the order of delivery holds.
    expect(order).toEqual(['unrelated', 'read new', 'write']);
  });

  it('a write held behind a read that times out is delivered right after the timeout, not lost', async () => {
    connector = new ScriptedConnector({ operationTimeoutMs: 200 }, true);
    await connector.whenReady();
    connector.getDelay = 10_000;
    const order: string[] = [];
    const started = Date.now();
    const read = connector.get('k').then(
      () => order.push('read'),
      (err: ConnectorError) => order.push(`read ${err.code}`),
    );
    const write = connector.set('k', 'v').then(() => order.push('write'));
    await Promise.all([read, write]);
    expect(order).toEqual(['read TIMEOUT', 'write']);
    expect(Date.now() - started).toBeLessThan(2_000);
    connector.getDelay = 0;
    expect<unknown>(await connector.get('k')).toBe('v');
  });

  it('a callback never runs inside the call that issued it, even when the backend answers at once', async () => {
    connector = new ScriptedConnector({}, true);
    await connector.whenReady();
    let inCall = true;
    const ranInCall: boolean[] = [];
    const done = new Promise<void>((resolve) => {
      connector.delete('k', () => {
        ranInCall.push(inCall);
        resolve();
      });
      // An invalid key fails at once, also outside the call.
      connector.get('', () => void ranInCall.push(inCall));
      inCall = false;
    });
    await done;
    await new Promise((r) => setImmediate(r));
    expect(ranInCall).toEqual([false, false]);
  });

  it('an invalid value for a valid key fails in order behind the earlier operations of the key', async () => {
    connector = new ScriptedConnector({}, true);
    await connector.whenReady();
    connector.getDelay = 20;
    const order: string[] = [];
    const read = connector.get('k').then(() => order.push('read'));
    const bad = connector.set('k', NaN).catch((err: ConnectorError) => order.push(err.code));
    await Promise.all([read, bad]);
    expect(order).toEqual(['read', 'INVALID_VALUE']);
  });
});
