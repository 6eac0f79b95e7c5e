export { describeConnector } from './describe-connector';
export type { ConnectorSpecOptions } from './options';
export { useService, type ServiceFixture } from './use-service';
export * from './helpers';
export { ROUND_TRIP_VALUES, AWKWARD_KEYS } from './values';
