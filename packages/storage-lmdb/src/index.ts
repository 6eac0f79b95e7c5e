export { LmdbStorage, LMDB_STORAGE_VERSION } from './lmdb-storage';
export {
  LMDB_STORAGE_DEFAULTS,
  type LmdbDurability,
  type LmdbSettings,
  type LmdbStorageOptions,
} from './options';
export { LMDB_MAX_KEY_BYTES } from './record';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';

/** deepstream resolves a plugin module's `default` export when it has one. */
export { DeepstreamPlugin as default } from './deepstream';
