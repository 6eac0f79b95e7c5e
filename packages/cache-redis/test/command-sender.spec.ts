import type { Client, PlannedCommand } from '@connector-kit/cache-redis/dist/commands';
import { CommandSender } from '@connector-kit/cache-redis/dist/command-sender';

/*
 * The sender's resend rule, on its own: ioredis' cluster auto-pipelining can reject a whole
 * pipeline before sending it when its slot table changes between issue and run (seen once in a
 * loaded full test run; a live cluster does not do it on cue). A client that only answers
 * `isCluster` and commands that script their replies stand in for ioredis here: what is under
 * test is which failures are sent again, not Redis.
 */
const REGROUPING = new Error('All keys in the pipeline should belong to the same slots allocation group');

class ScriptedCommand implements PlannedCommand {
  readonly bytes = 0;
  sends = 0;
  settled: [Error | null, unknown][] = [];
  constructor(private readonly replies: (() => Promise<unknown>)[]) {}
  send(): Promise<unknown> {
    const reply = this.replies[this.sends++];
    return reply ? reply() : Promise.reject(new Error('no more replies scripted'));
  }
  queue(): void {
    throw new Error('not pipelined in these specs');
  }
  settle(err: Error | null, reply: unknown): void {
    this.settled.push([err, reply]);
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CommandSender (cluster): a pipeline ioredis refused to send', () => {
  const cluster = { isCluster: true } as unknown as Client;

  it('is sent once more, and its reply settles the command', async () => {
    const command = new ScriptedCommand([() => Promise.reject(REGROUPING), () => Promise.resolve('OK')]);
    new CommandSender(cluster, 'test').execute([command]);
    await flush();
    expect(command.sends).toBe(2);
    expect(command.settled).toEqual([[null, 'OK']]);
  });

  it('fails the command when the second send is refused too, and other errors are never resent', async () => {
    const twice = new ScriptedCommand([() => Promise.reject(REGROUPING), () => Promise.reject(REGROUPING)]);
    const other = new ScriptedCommand([() => Promise.reject(new Error('MOVED 1 127.0.0.1:7001'))]);
    new CommandSender(cluster, 'test').execute([twice, other]);
    await flush();
    expect(twice.sends).toBe(2);
    expect(twice.settled.length).toBe(1);
    expect(twice.settled[0]![0]!.message).toContain('slots allocation group');
    expect(other.sends).toBe(1);
    expect(other.settled[0]![0]!.message).toContain('MOVED');
  });
});
