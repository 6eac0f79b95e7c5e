/**
 * The module `connector-kit spec <url>` hands to the common spec: a driver that builds whatever
 * connector core's registry builds for the URL (`memory://`, `redis://…`, a scheme a preloaded
 * package registered).
 */
import { createConnector, type ConnectorDriver } from '@connector-kit/connector-core';

export const driver: ConnectorDriver = {
  name: 'url',
  schemes: [],
  create: (options) => createConnector(options),
};
