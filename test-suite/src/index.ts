export * from './services/types';
export * from './services/registry';
export * from './spec';
