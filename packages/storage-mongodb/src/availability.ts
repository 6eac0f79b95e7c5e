import type { MongoClient, ServerHeartbeatFailedEvent, TopologyDescriptionChangedEvent } from 'mongodb';

export interface AvailabilityListener {
  /** A writable server (standalone, primary or mongos) became reachable. */
  available(): void;
  /** No writable server is reachable any more; `reason` is the driver's last error, if any. */
  unavailable(reason: string): void;
}

/**
 * Follows the driver's server discovery and monitoring (SDAM) events: the topology either has a
 * writable server or it does not. A storage connector needs one (a stepped-down primary is a
 * secondary until an election completes). Returns a function that stops watching.
 */
export function watchAvailability(client: MongoClient, listener: AvailabilityListener): () => void {
  let writable: boolean | null = null;
  let lastFailure = '';
  const onTopology = (event: TopologyDescriptionChangedEvent): void => {
    const servers = [...event.newDescription.servers.values()];
    const now = servers.some((server) => server.isWritable);
    if (now === writable) return;
    writable = now;
    if (now) {
      listener.available();
    } else {
      const error = servers.find((server) => server.error)?.error;
      listener.unavailable(error?.message ?? (lastFailure || 'no writable server in the topology'));
    }
  };
  const onHeartbeatFailed = (event: ServerHeartbeatFailedEvent): void => {
    lastFailure = `${event.connectionId}: ${event.failure.message}`;
  };
  client.on('topologyDescriptionChanged', onTopology);
  client.on('serverHeartbeatFailed', onHeartbeatFailed);
  return () => {
    client.off('topologyDescriptionChanged', onTopology);
    client.off('serverHeartbeatFailed', onHeartbeatFailed);
  };
}
