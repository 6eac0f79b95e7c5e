import { DeadlineQueue } from '@connector-kit/connector-core';

describe('DeadlineQueue (operation timeouts on one timer)', () => {
  const timerOf = (queue: DeadlineQueue): NodeJS.Timeout | null =>
    (queue as unknown as { timer: NodeJS.Timeout | null }).timer;
  const ringOf = (queue: DeadlineQueue): { count: number } => queue as unknown as { count: number };

  it('expires deadlines in order at their time, and not the cancelled ones', async () => {
    const queue = new DeadlineQueue(60);
    const expired: string[] = [];
    const started = performance.now();
    const at: number[] = [];
    const a = queue.add(() => (expired.push('a'), at.push(performance.now() - started)));
    const b = queue.add(() => expired.push('b'));
    await new Promise((r) => setTimeout(r, 20));
    queue.add(() => (expired.push('c'), at.push(performance.now() - started)));
    queue.cancel(b);
    await new Promise((r) => setTimeout(r, 150));
    expect(expired).toEqual(['a', 'c']);
    expect(at[0]).toBeGreaterThanOrEqual(58);
    expect(at[1]).toBeGreaterThanOrEqual(78);
    queue.cancel(a); // already expired: no effect
    expect(queue.size).toBe(0);
    queue.dispose();
  });

  it('holds the process only while a deadline is pending', () => {
    const queue = new DeadlineQueue(5_000);
    const d = queue.add(() => undefined);
    expect(timerOf(queue)!.hasRef()).toBe(true);
    queue.cancel(d);
    expect(timerOf(queue)!.hasRef()).toBe(false);
    const e = queue.add(() => undefined);
    expect(timerOf(queue)!.hasRef()).toBe(true);
    queue.cancel(e);
    queue.dispose();
  });

  it('keeps at most about twice the pending deadlines while an old one is stuck at the head', () => {
    const queue = new DeadlineQueue(5_000);
    const stuck = queue.add(() => undefined);
    for (let i = 0; i < 100_000; i++) queue.cancel(queue.add(() => undefined));
    expect(queue.size).toBe(1);
    expect(ringOf(queue).count).toBeLessThan(2_100);
    queue.cancel(stuck);
    expect(ringOf(queue).count).toBe(0);
    queue.dispose();
  });

  it('grows past its first capacity with every deadline kept in order', async () => {
    const queue = new DeadlineQueue(30);
    const expired: number[] = [];
    for (let i = 0; i < 500; i++) queue.add(() => expired.push(i));
    await new Promise((r) => setTimeout(r, 120));
    expect(expired).toEqual(Array.from({ length: 500 }, (_, i) => i));
    queue.dispose();
  });
});
