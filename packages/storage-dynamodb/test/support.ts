/** Shared helpers of the DynamoDB specs: connectors and raw SDK clients against a launched server. */
import '@connector-kit/test-suite/dist/services';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ServiceFixture } from '@connector-kit/test-suite';
import { freePort, localDynamoClient } from '@connector-kit/test-suite/dist/services';
import { DynamoDBStorage, type DynamoDBStorageOptions } from '@connector-kit/storage-dynamodb';

export type RawItem = Record<string, AttributeValue>;

/** Every raw request gets a deadline, so a dead server fails a spec instead of hanging it. */
export const deadline = (ms = 5000): { abortSignal: AbortSignal } => ({
  abortSignal: AbortSignal.timeout(ms),
});

export function endpointOf(service: ServiceFixture): string {
  return String(service.handle.info.endpoint);
}

export function tableOf(service: ServiceFixture): string {
  return decodeURIComponent(new URL(service.url).pathname.replace(/^\//, ''));
}

/** A connector on the service's table (created on demand), with the spec listening for errors. */
export function connectorOn(service: ServiceFixture, options: DynamoDBStorageOptions = {}): DynamoDBStorage {
  const connector = new DynamoDBStorage({ url: service.url, createTable: true, ...options });
  connector.on('error', () => undefined);
  return connector;
}

/** A raw SDK client on the service (dummy credentials, no SDK retries). Destroy it after use. */
export function rawClient(service: ServiceFixture): DynamoDBClient {
  return localDynamoClient(endpointOf(service));
}

export async function rawGet(
  client: DynamoDBClient,
  table: string,
  pk: string,
): Promise<RawItem | undefined> {
  const out = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    deadline(),
  );
  return out.Item;
}

/** Counts the SDK commands a client sends, by name (to see chunking, batching and retries). */
export function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown');
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

/** A URL whose endpoint is a loopback port nobody listens on. */
export async function unreachableUrl(): Promise<string> {
  return `dynamodb://us-east-1/connector_kit_test?endpoint=http://127.0.0.1:${await freePort()}`;
}

export function uniqueTable(label: string): string {
  return `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
