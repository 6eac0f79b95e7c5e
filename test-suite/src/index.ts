export * from './services/types';
export * from './services/registry';
export * from './spec';
export { SummaryReporter, summaryLine, type SummaryCounts } from './reporter/summary-reporter';
export { runSpecs, type RunSpecsOptions } from './run-specs';
export * from './services/index';
