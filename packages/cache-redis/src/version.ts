/** Reported as `connector.version`; kept in step with package.json. */
export const CONNECTOR_VERSION = '0.1.0';
