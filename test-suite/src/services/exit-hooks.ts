/**
 * Synchronous clean-up when the test process ends, so that no server outlives the tests that
 * started it (a leftover redis-server would hold its port and memory until the machine reboots).
 */

type Hook = () => void;

/** Phase 0 hooks (killing processes) run before phase 1 hooks (removing their files). */
const hooks = new Map<Hook, 0 | 1>();
let installed = false;

function runHooks(): void {
  const ordered = [...hooks].sort((a, b) => a[1] - b[1]).map(([hook]) => hook);
  for (const hook of ordered) {
    try {
      hook();
    } catch {
      // Best effort: the process is going away; one failing hook must not stop the others.
    }
  }
  hooks.clear();
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' covers normal ends and process.exit(); only synchronous work is possible there.
  process.on('exit', runHooks);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      // A signal's default action skips 'exit' handlers. When nobody else handles the signal we
      // clean up and re-raise it, so the process still dies the way it would have without us.
      // When someone else listens, they decide whether the process ends (and 'exit' then runs).
      if (process.listenerCount(signal) > 1) return;
      runHooks();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Registers a synchronous hook run once when the process exits; returns a function removing it.
 * `phase` 1 runs after every phase 0 hook (remove files only once the processes using them died).
 */
export function onProcessExit(hook: Hook, phase: 0 | 1 = 0): () => void {
  install();
  hooks.set(hook, phase);
  return () => {
    hooks.delete(hook);
  };
}
