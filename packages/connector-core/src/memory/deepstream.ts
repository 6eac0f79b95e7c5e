import { deepstreamPluginFor } from '../deepstream/plugin';
import { MemoryCache, type MemoryCacheOptions } from './memory-cache';

/**
 * The memory cache as a deepstream plugin: `cache: { path: '@connector-kit/connector-core' }` (the
 * package's default export is this class; `…/dist/memory/deepstream` loads it too).
 */
export const MemoryCacheDeepstreamPlugin = deepstreamPluginFor(
  (options) => new MemoryCache(options as MemoryCacheOptions),
);

/** deepstream loads `require(path).default` when present. */
export default MemoryCacheDeepstreamPlugin;
