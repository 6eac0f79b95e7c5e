export { DynamoDBStorage, VERSION } from './dynamodb-storage';
export { DYNAMODB_STORAGE_DEFAULTS, type DynamoDBStorageOptions } from './options';
export { ATTRIBUTES, type Item } from './item-shape';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';
export { DeepstreamPlugin as default } from './deepstream';
