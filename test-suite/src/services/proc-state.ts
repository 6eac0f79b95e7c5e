/**
 * Linux /proc helpers for the fault tools. SIGSTOP is not instantaneous: every thread of the
 * target stops itself when next scheduled, which on a busy 2-core machine took up to ~150 ms in
 * our measurements, and a multi-threaded server (memcached, redis I/O threads, the JVM) may still
 * answer a request in that window. `pause()` therefore waits until every thread is stopped.
 */
import * as fs from 'node:fs';

/**
 * The /proc stat fields of every thread of `pid` from field 3 (the state) on, or undefined
 * without /proc. The name before them (field 2) may contain spaces or parentheses, so the fields
 * start after its last ')'.
 */
function threadStatFields(pid: number): string[][] | undefined {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads: string[][] = [];
  for (const task of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      threads.push(stat.slice(stat.lastIndexOf(')') + 2).split(' '));
    } catch {
      // The thread exited meanwhile.
    }
  }
  return threads;
}

/** One-letter scheduler states of every thread of `pid`, or undefined without /proc. */
function threadStates(pid: number): string[] | undefined {
  return threadStatFields(pid)?.map((fields) => fields[0]!);
}

/** The nice value of every thread of `pid` (stat field 19), or undefined without /proc. */
export function threadNiceness(pid: number): number[] | undefined {
  return threadStatFields(pid)?.map((fields) => Number(fields[19 - 3]));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks (synchronously, so `pause()` can stay synchronous) until every thread of `pid` is in
 * the stopped state. Returns false if that did not happen within `timeoutMs`; true at once where
 * /proc is unavailable (nothing better can be done there).
 */
export function waitUntilStoppedSync(pid: number, timeoutMs = 5000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = threadStates(pid);
    if (states === undefined) return true;
    if (states.every((s) => s === 'T' || s === 't' || s === 'Z' || s === 'X')) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, 1);
  }
}
