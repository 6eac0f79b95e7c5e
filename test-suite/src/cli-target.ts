import { resolve } from 'node:path';
import type { Connector, ConnectorOptions } from '@connector-kit/connector-core';

/** What the `connector-spec` CLI was asked to test (passed to the spec file through the environment). */
export interface CliTarget {
  /** A package name or a path to a module. */
  module: string;
  /** Named export to construct (`new Export(options)`); default: the module's `driver`, else its default export. */
  exportName?: string;
  url?: string;
  /** A URL where nothing listens, for the unreachable-backend case. */
  unreachableUrl?: string;
  options: Record<string, unknown>;
  timeoutMs?: number;
}

export const CLI_TARGET_ENV = 'CONNECTOR_SPEC_TARGET';

type Factory = (options: ConnectorOptions & Record<string, unknown>) => Connector;

/** Loads the module under test and returns a factory for it. */
export function loadFactory(target: CliTarget): Factory {
  const path =
    target.module.startsWith('.') || target.module.startsWith('/') ? resolve(target.module) : target.module;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path) as Record<string, unknown>;
  if (target.exportName) {
    const Ctor = mod[target.exportName] as (new (o: Record<string, unknown>) => Connector) | undefined;
    if (typeof Ctor !== 'function')
      throw new Error(`${target.module} has no export named ${target.exportName}`);
    return (options) => new Ctor(options);
  }
  const driver = mod.driver as { create?: Factory } | undefined;
  if (driver && typeof driver.create === 'function') return (options) => driver.create!(options);
  const Default = (mod.default ?? mod) as unknown;
  if (typeof Default === 'function') {
    const Ctor = Default as new (o: Record<string, unknown>) => Connector;
    return (options) => new Ctor(options);
  }
  throw new Error(`${target.module} exports neither "driver" nor a connector class; use --export <Name>`);
}
