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
