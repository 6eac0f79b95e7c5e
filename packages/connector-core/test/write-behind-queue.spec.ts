import { WriteBehindQueue, type QueuedWrite } from '@connector-kit/connector-core';
import { eventually } from '@connector-kit/test-suite';

/** A set of `key` to the bytes of `text`, as the tiered store queues it. */
function setOf(key: string, text: string): QueuedWrite {
  return { key, op: 'set', data: Buffer.from(text), version: 0, ttl: 0, token: null };
}

function queueWith(write: (batch: readonly QueuedWrite[]) => Promise<void>): WriteBehindQueue {
  return new WriteBehindQueue(
    { write, failed: () => undefined },
    { writeDelayMs: 0, lingerMs: 0, retryInitialDelayMs: 200, retryMaxDelayMs: 200 },
  );
}

function commit(queue: WriteBehindQueue, write: QueuedWrite): void {
  queue.commit(queue.tryReserve(WriteBehindQueue.sizeOf(write.key, write.data))!, write);
}

const text = (data: Uint8Array | null): string => Buffer.from(data!).toString();

// The queue keeps its own copy of a pending write's bytes and overwrites it in place when the
// key is rewritten with a value of the same length (no young object per write for the garbage
// collector to copy). These specs pin down whose bytes that may never touch.
describe('WriteBehindQueue, a rewritten key', () => {
  it("never changes the caller's bytes: the queue copies them", async () => {
    const written: string[] = [];
    const queue = queueWith((batch) => {
      written.push(...batch.map((w) => text(w.data)));
      return Promise.resolve();
    });
    const first = setOf('k', '"aaaa"');
    // Both before the pump can take the key (it runs on the next timer turn at the earliest).
    commit(queue, first);
    commit(queue, setOf('k', '"bbbb"'));
    expect(text(first.data)).toBe('"aaaa"');
    await queue.flush();
    expect(written).toEqual(['"bbbb"']);
    await queue.close(1000);
  });

  it('never changes bytes a storage attempt had, even after that attempt failed', async () => {
    const attempts: Uint8Array[] = [];
    let fail = true;
    const queue = queueWith((batch) => {
      attempts.push(...batch.map((w) => w.data!));
      return fail ? Promise.reject(new Error('storage down')) : Promise.resolve();
    });
    commit(queue, setOf('k', '"aaaa"'));
    await eventually(() => attempts.length >= 1, 1000, 'a failed storage attempt');
    expect(attempts.length).toBe(1); // the retry waits ~200 ms
    commit(queue, setOf('k', '"bbbb"')); // coalesces into the failed entry, back in pending
    commit(queue, setOf('k', '"cccc"')); // and again, now into bytes no one has seen
    expect(text(attempts[0]!)).toBe('"aaaa"');
    fail = false;
    await queue.flush();
    expect(text(attempts[0]!)).toBe('"aaaa"');
    expect(text(attempts.at(-1)!)).toBe('"cccc"');
    await queue.close(1000);
  });
});

describe('WriteBehindQueue, when full (wait policy)', () => {
  const size = WriteBehindQueue.sizeOf('k', null);

  function fullQueue(): { queue: WriteBehindQueue; held: ReturnType<WriteBehindQueue['tryReserve']>[] } {
    const queue = new WriteBehindQueue(
      { write: () => Promise.resolve(), failed: () => undefined },
      { maxEntries: 2, whenFull: 'wait', writeDelayMs: 0, lingerMs: 0 },
    );
    const held = [queue.tryReserve(size), queue.tryReserve(size)];
    expect(held).not.toContain(null);
    return { queue, held };
  }

  it('serves waiting writes first come, first served: nothing issued after room frees starts before them', async () => {
    const { queue, held } = fullQueue();
    const started: string[] = [];
    queue.reserveThen(size, 1000, (err) => started.push(err ? `waiter:${err.code}` : 'waiter'));
    queue.cancel(held[0]!);
    queue.cancel(held[1]!);
    // Room for two, one of it granted to the waiter: a write issued now must still queue behind
    // it, or a write of the same key issued after the waiter's could start first.
    expect(queue.tryReserve(size)).toBeNull();
    queue.reserveThen(size, 1000, (err) => started.push(err ? `late:${err.code}` : 'late'));
    expect(started).toEqual([]);
    await eventually(() => started.length === 2, 1000, 'both waiters');
    expect(started).toEqual(['waiter', 'late']);
    await queue.close(1000);
  });

  it('a waiter that times out lets the writes behind it through at once', async () => {
    const queue = new WriteBehindQueue(
      { write: () => Promise.resolve(), failed: () => undefined },
      { maxEntries: 10, maxBytes: 3 * size, whenFull: 'wait', writeDelayMs: 0, lingerMs: 0 },
    );
    expect(queue.tryReserve(size)).not.toBeNull();
    expect(queue.tryReserve(size)).not.toBeNull();
    const outcomes: string[] = [];
    // Too big for the room left: it waits, and the small write behind it waits its turn.
    queue.reserveThen(2 * size, 30, (err) => outcomes.push(err ? `big:${err.code}` : 'big'));
    queue.reserveThen(size, 1000, (err) => outcomes.push(err ? `small:${err.code}` : 'small'));
    await new Promise((r) => setTimeout(r, 10));
    expect(outcomes).toEqual([]);
    await eventually(() => outcomes.length === 2, 1000, 'both waiters');
    expect(outcomes).toEqual(['big:TIMEOUT', 'small']);
    await queue.close(1000);
  });
});
