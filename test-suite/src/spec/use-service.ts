import { isCI, ServiceUnavailableError, startService } from '../services/registry';
import type { ServiceHandle, StartOptions } from '../services/types';

export interface ServiceFixture {
  /** The running service's URL. In a spec where the service is unavailable locally, marks the spec pending. */
  readonly url: string;
  readonly handle: ServiceHandle;
  /** Why the service could not be started (locally), or null. */
  readonly unavailable: string | null;
}

/**
 * Starts a real server for the enclosing `describe` (beforeAll/afterAll). Locally, a server that
 * cannot be had turns the specs that use it into pending specs (reported as skipped, never as
 * passed); under CI=true it is a failure.
 */
export function useService(
  name: string,
  options: StartOptions = {},
  startTimeoutMs = 120_000,
): ServiceFixture {
  let handle: ServiceHandle | null = null;
  let unavailable: string | null = null;
  beforeAll(async () => {
    try {
      handle = await startService(name, options);
    } catch (err) {
      if (err instanceof ServiceUnavailableError && !isCI()) {
        unavailable = err.message;
        return;
      }
      throw err;
    }
  }, startTimeoutMs);
  afterAll(async () => {
    await handle?.stop();
  }, 60_000);
  const need = (): ServiceHandle => {
    if (handle) return handle;
    if (unavailable !== null) pending(`${name} unavailable: ${unavailable}`);
    throw new Error(`Service ${name} was not started (see the beforeAll failure above)`);
  };
  return {
    get url() {
      return need().url;
    },
    get handle() {
      return need();
    },
    get unavailable() {
      return unavailable;
    },
  };
}
