export { MongoStorage, MONGODB_STORAGE_VERSION } from './mongodb-storage';
export { MONGODB_STORAGE_DEFAULTS, type MongoStorageOptions } from './options';
export { KeyMapper, collectionNameProblem, type Location } from './key-mapping';
export { escapeFieldName, unescapeFieldName } from './field-names';
export type { StoredDocument } from './stored-document';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';

/** deepstream resolves a plugin module's `default` export when it has one. */
export { DeepstreamPlugin as default } from './deepstream';
