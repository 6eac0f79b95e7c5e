import { KeyOrder } from '@connector-kit/connector-core';

describe('KeyOrder (per-key order of the base class)', () => {
  const deferred = (): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } => {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('starts a write of a key only after the earlier write of it, and others at once', async () => {
    const order = new KeyOrder();
    const started: string[] = [];
    const first = deferred();
    const a1 = order.run(['a'], true, () => (started.push('a1'), first.promise));
    const a2 = order.run(['a'], true, async () => void started.push('a2'));
    const b = order.run(['b'], true, async () => void started.push('b'));
    await b;
    expect(started).toEqual(['a1', 'b']);
    first.resolve();
    await Promise.all([a1, a2]);
    expect(started).toEqual(['a1', 'b', 'a2']);
  });

  it('a bulk write waits for every key it shares with earlier writes; a read waits but is not waited for', async () => {
    const order = new KeyOrder();
    const started: string[] = [];
    const x = deferred();
    const y = deferred();
    void order.run(['x'], true, () => x.promise);
    void order.run(['y'], true, () => y.promise);
    const bulk = order.run(['x', 'y', 'z'], true, async () => void started.push('bulk'));
    x.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([]);
    y.resolve();
    await bulk;
    const read = deferred();
    const reading = order.run(['z'], false, () => (started.push('read'), read.promise));
    await order.run(['z'], true, async () => void started.push('write after read'));
    expect(started).toEqual(['bulk', 'read', 'write after read']);
    read.resolve();
    await reading;
  });

  it('a failed write releases its keys, and no key is held once every write has settled', async () => {
    const order = new KeyOrder();
    const failing = order.run(['k', 'j'], true, () => Promise.reject(new Error('down')));
    const after = order.run(['k'], true, async () => 'ran');
    await expectAsync(failing).toBeRejectedWithError('down');
    expect(await after).toBe('ran');
    await new Promise((r) => setImmediate(r));
    expect(order.size).toBe(0);
  });

  it("start holds a write's keys until settled is called, even after the write has settled", async () => {
    const order = new KeyOrder();
    const started: string[] = [];
    const first = order.start(['k'], true, async () => void started.push('first'));
    await first;
    expect(order.size).toBe(1);
    expect(order.has('k')).toBeTrue();
    const read = order.run(['k'], false, async () => void started.push('read'));
    await read;
    expect(started).toEqual(['first', 'read']);
    order.settled(['other'], first); // not its key: no effect
    expect(order.has('k')).toBeTrue();
    order.settled(['k'], first);
    expect(order.has('k')).toBeFalse();
    expect(order.size).toBe(0);
  });

  it('keeps order across the sweep of emptied keys', async () => {
    const order = new KeyOrder();
    const slow = deferred();
    const started: string[] = [];
    void order.run(['held'], true, () => slow.promise);
    // Far more keys than the sweep threshold, each settled: swept while 'held' stays.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 5000 }, (_, i) => order.run([`k${round}-${i}`], true, async () => undefined)),
      );
    }
    expect(order.size).toBe(1);
    const after = order.run(['held'], false, async () => void started.push('read'));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([]);
    slow.resolve();
    await after;
    expect(started).toEqual(['read']);
    await new Promise((r) => setImmediate(r));
    expect(order.size).toBe(0);
  });
});
