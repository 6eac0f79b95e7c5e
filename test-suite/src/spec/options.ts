import type { Codec, Connector, Supports } from '@connector-kit/connector-core';

/** How the common spec reaches the connector under test. */
export interface ConnectorSpecOptions {
  /** Title of the top-level `describe`. */
  name: string;
  /**
   * Returns a NEW connector working under `prefix` (a random string, unique per test group).
   * Connectors created with different prefixes must share one backend (one server, or for
   * in-process stores one shared store), so that prefix isolation and persistence can be tested.
   */
  create(context: { prefix: string }): Connector | Promise<Connector>;
  /**
   * Returns a connector pointed at a backend that is not there (e.g. a closed loopback port),
   * with a short `operationTimeoutMs`. Omit only for in-process connectors without a backend.
   */
  createUnreachable?(): Connector | Promise<Connector>;
  /**
   * The manifest the connector must report. Fields given here are asserted against
   * `connector.supports`; omitted fields are taken from what the connector reports.
   */
  supports?: Partial<Supports>;
  /** The codec the connector was configured with (for exact size-limit tests). Default JSON. */
  codec?: Codec;
  /** Runs once before / after the whole spec (e.g. to start a server). */
  beforeAll?(): Promise<void> | void;
  afterAll?(): Promise<void> | void;
  /** Per-test timeout in ms. Default 20 000. */
  timeoutMs?: number;
  /** How long a TTL test waits, in ms. Default max(1500, 2 × supports.ttlGranularityMs + 500). */
  ttlWaitMs?: number;
}
