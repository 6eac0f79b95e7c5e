import { TickBatcher, type BatchedCall } from '@connector-kit/connector-core';

describe('TickBatcher', () => {
  it('hands the calls of one tick to one flush, in call order', async () => {
    const batches: number[][] = [];
    const batcher = new TickBatcher<number, number>((calls) => {
      batches.push(calls.map((c) => c.input));
      for (const call of calls) call.resolve(call.input * 10);
    }, 100);
    const answers = await Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    await batcher.add(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('splits a tick into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const batcher = new TickBatcher<number, void>((calls) => {
      sizes.push(calls.length);
      for (const call of calls) call.resolve();
    }, 25);
    await Promise.all(Array.from({ length: 60 }, (_, i) => batcher.add(i)));
    expect(sizes).toEqual([25, 25, 10]);
  });

  it('settles each call on its own: one failure does not fail the others', async () => {
    const batcher = new TickBatcher<number, number>((calls) => {
      for (const call of calls) {
        if (call.input === 2) call.reject(new Error('two is bad'));
        else call.resolve(call.input);
      }
    }, 10);
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every unsettled call when flush rejects or throws, keeping answers already given', async () => {
    const rejecting = new TickBatcher<number, number>(async (calls) => {
      calls[0]!.resolve(1);
      throw new Error('backend down');
    }, 10);
    const results = await Promise.allSettled([rejecting.add(1), rejecting.add(2)]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1]!.status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('backend down');

    const throwing = new TickBatcher<number, number>(() => {
      throw new Error('sync failure');
    }, 10);
    await expectAsync(throwing.add(1)).toBeRejectedWithError('sync failure');
  });

  it('never leaves a call hanging when flush forgets it', async () => {
    const batcher = new TickBatcher<number, number>((calls: BatchedCall<number, number>[]) => {
      calls[0]!.resolve(0);
    }, 10);
    const results = await Promise.allSettled([batcher.add(0), batcher.add(1)]);
    expect(results[0]!.status).toBe('fulfilled');
    expect(results[1]!.status).toBe('rejected');
  });

  it('refuses a maxBatch that is not a positive integer', () => {
    expect(() => new TickBatcher<number, number>(() => undefined, 0)).toThrowError(RangeError);
  });
});
