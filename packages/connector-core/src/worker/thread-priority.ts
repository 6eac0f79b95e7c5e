/*
 * The worker thread's CPU priority (WorkerConnectorOptions.lowPriority). Linux keeps a nice value
 * per thread, and a thread's id is a valid target for setpriority(PRIO_PROCESS), so one thread of
 * the process can run at the lowest priority while the event loop keeps its own. Other systems
 * apply nice values to the whole process, which would slow the event loop too: there the option
 * is refused rather than silently doing that or nothing.
 */
import { promises as fs, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { ConnectorError } from '../errors';

/** The lowest priority (highest nice value) Linux gives a thread. */
export const LOWEST_THREAD_PRIORITY = 19;

export function lowPrioritySupported(): boolean {
  return process.platform === 'linux';
}

let poolStarted: Promise<void> | null = null;

/**
 * Before a thread lowers its priority, libuv's thread pool must exist: it starts lazily, from
 * the first thread that needs it, and Linux threads inherit the nice value of the thread that
 * starts them, so a pool started by the lowered thread would run every fs, dns and crypto job
 * of the process at that priority. Any pool job from this (the main) thread starts it, once per
 * process; only that the job ran matters, not its result.
 */
export function startThreadPoolHere(): Promise<void> {
  const ignore = (): void => undefined;
  poolStarted ??= fs.stat(__filename).then(ignore, ignore);
  return poolStarted;
}

/** Lowers the calling thread (only it) to LOWEST_THREAD_PRIORITY; CONFIG if the system cannot. */
export function lowerThisThread(): void {
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" of whichever thread reads it.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) throw new Error('no thread id in /proc/thread-self');
    setPriority(tid, LOWEST_THREAD_PRIORITY);
  } catch (err) {
    throw new ConnectorError(
      'CONFIG',
      `WorkerConnector lowPriority: could not lower the worker thread's priority (${err instanceof Error ? err.message : String(err)}); it needs Linux with /proc mounted`,
      { details: { field: 'lowPriority' }, cause: err },
    );
  }
}
