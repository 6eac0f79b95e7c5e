import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';

const launchers = new Map<string, ServiceLauncher>();
const running = new Set<ServiceHandle>();

/** Registers a launcher under a name (`redis`, `memcached`, …). */
export function registerService(name: string, launcher: ServiceLauncher): void {
  launchers.set(name, launcher);
}

export function registeredServices(): string[] {
  return [...launchers.keys()];
}

/** Thrown when a service cannot be had; specs turn it into a skip locally and a failure under CI. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/** True when running under CI, where a missing server must fail rather than skip. */
export function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * Starts the named service on a free loopback port, or, when its environment variable is set and
 * `options.local` is not true, returns a handle for that external URL.
 */
export async function startService(name: string, options: StartOptions = {}): Promise<ServiceHandle> {
  const launcher = launchers.get(name);
  if (!launcher) {
    throw new ServiceUnavailableError(
      `No launcher named "${name}". Known: ${registeredServices().join(', ') || '(none)'}`,
    );
  }
  const envUrl = launcher.envVar ? process.env[launcher.envVar] : undefined;
  if (envUrl && options.local !== true) {
    const fromEnv = launcher.fromEnv?.(envUrl) ?? { url: envUrl };
    const handle: ServiceHandle = {
      name,
      url: fromEnv.url,
      external: true,
      nodes: [],
      info: { ...fromEnv.info, envVar: launcher.envVar },
      stop: async () => undefined,
    };
    return handle;
  }
  const availability = await launcher.available();
  if (availability !== true) {
    throw new ServiceUnavailableError(`Service "${name}" is not available here: ${availability}`);
  }
  const handle = await launcher.start(options);
  running.add(handle);
  const stop = handle.stop.bind(handle);
  return Object.assign(handle, {
    stop: async () => {
      running.delete(handle);
      await stop();
    },
  });
}

/** Stops every service started by this process (used on exit). */
export async function stopAllServices(): Promise<void> {
  await Promise.allSettled([...running].map((h) => h.stop()));
  running.clear();
}
