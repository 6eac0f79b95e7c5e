import type { Client, PlannedCommand } from './commands';
import { commandError } from './errors';

/** Record bytes in one pipeline write before the next pipeline starts. */
const MAX_PIPELINE_BYTES = 64 * 1024 * 1024;

/**
 * Sends what the batcher planned for one flush, in order, and hands every reply or error to its
 * command. On one connection the flush becomes one pipeline (one write, one round trip); a
 * cluster client gets the commands one by one and routes each to its slot's node. It also keeps
 * count of commands waiting for an answer, for the stall watchdog.
 */
export class CommandSender {
  private outstanding = 0;
  private lastProgressAt = 0;

  constructor(
    private readonly client: Client,
    private readonly where: string,
  ) {}

  /** How long commands have been waiting without any answer arriving; 0 when none wait. */
  silentForMs(now: number): number {
    return this.outstanding === 0 ? 0 : now - this.lastProgressAt;
  }

  execute(commands: PlannedCommand[]): void {
    if (this.client.isCluster) {
      // ioredis auto-pipelines the commands of one tick per node.
      for (const command of commands) this.sendOne(command);
      return;
    }
    // Consecutive pipelines on one connection keep the order; each stays a bounded allocation.
    let group: PlannedCommand[] = [];
    let bytes = 0;
    for (const command of commands) {
      if (group.length > 0 && bytes + command.bytes > MAX_PIPELINE_BYTES) {
        this.sendGroup(group);
        group = [];
        bytes = 0;
      }
      group.push(command);
      bytes += command.bytes;
    }
    this.sendGroup(group);
  }

  private error(err: unknown): Error {
    return commandError(err, this.where);
  }

  private begin(count: number): void {
    if (this.outstanding === 0) this.lastProgressAt = Date.now();
    this.outstanding += count;
  }

  private progress(count: number): void {
    this.outstanding -= count;
    this.lastProgressAt = Date.now();
  }

  private sendGroup(commands: PlannedCommand[]): void {
    if (commands.length === 1) this.sendOne(commands[0]!);
    else this.sendPipeline(commands);
  }

  private sendOne(command: PlannedCommand, resent = false): void {
    this.begin(1);
    let reply: Promise<unknown>;
    try {
      reply = command.send(this.client);
    } catch (err) {
      this.progress(1);
      command.settle(this.error(err), undefined);
      return;
    }
    reply.then(
      (value) => {
        this.progress(1);
        command.settle(null, value);
      },
      (err: unknown) => {
        this.progress(1);
        if (!resent && this.client.isCluster && isUnsentRegrouping(err)) {
          this.sendOne(command, true);
          return;
        }
        command.settle(this.error(err), undefined);
      },
    );
  }

  private sendPipeline(commands: PlannedCommand[]): void {
    const count = commands.length;
    this.begin(count);
    const failAll = (err: unknown): void => {
      this.progress(count);
      const error = this.error(err);
      for (const command of commands) command.settle(error, undefined);
    };
    let exec: Promise<[Error | null, unknown][] | null>;
    try {
      const pipeline = (this.client as Extract<Client, { pipeline(): unknown }>).pipeline();
      for (const command of commands) command.queue(pipeline);
      exec = pipeline.exec();
    } catch (err) {
      failAll(err);
      return;
    }
    exec.then((results) => {
      if (!results) {
        failAll(new Error('Redis pipeline returned no results'));
        return;
      }
      this.progress(count);
      for (let i = 0; i < count; i++) {
        const [err, value] = results[i] ?? [new Error('Redis pipeline returned too few results'), undefined];
        commands[i]!.settle(err ? this.error(err) : null, value);
      }
    }, failAll);
  }
}

/**
 * ioredis groups a cluster's auto-pipelined commands by node when they are issued and checks the
 * grouping again when the pipeline runs; if its slot table changed in between (a MOVED reply
 * updates it one slot at a time), it rejects the whole pipeline before sending any of it. Nothing
 * reached Redis, so sending again (once, in the order the rejections arrive) is safe. (The case
 * CI met, scripts grouped by their key count, is fixed where it arose: scripts go as EVAL, see
 * scripts.ts.)
 */
export function isUnsentRegrouping(err: unknown): boolean {
  return err instanceof Error && err.message.includes('should belong to the same slots allocation group');
}
