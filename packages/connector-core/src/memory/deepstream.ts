import { deepstreamPluginFor } from '../deepstream/plugin';
import { MemoryCache, type MemoryCacheOptions } from './memory-cache';

/** `cache: { path: '@connector-kit/connector-core/dist/memory/deepstream' }` style loading. */
export const MemoryCacheDeepstreamPlugin = deepstreamPluginFor(
  (options) => new MemoryCache(options as MemoryCacheOptions),
);

/** deepstream loads `require(path).default` when present. */
export default MemoryCacheDeepstreamPlugin;
