/**
 * Which failed batch requests are resent item by item: those that may be one item's fault, never
 * those every item shares. The shapes below are the ones the AWS SDK and Node's HTTP client produce.
 */
import { ConnectorError } from '@connector-kit/connector-core';
import { mayBeItemSpecific } from '@connector-kit/storage-dynamodb/dist/sdk-errors';

function sdkError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  const err = new Error(`${name} happened`);
  return Object.assign(err, {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...extra,
  });
}

describe('DynamoDB batch failures: item-specific or shared', () => {
  it('validation and other client errors may be one item’s fault, bare or wrapped in a ConnectorError', () => {
    const validation = sdkError('ValidationException', 400, { $fault: 'client' });
    expect<unknown>(mayBeItemSpecific(validation)).toBe(true);
    expect<unknown>(mayBeItemSpecific(new ConnectorError('BACKEND', 'x', { cause: validation }))).toBe(true);
    expect<unknown>(
      mayBeItemSpecific(new ConnectorError('VALUE_TOO_LARGE', 'x', { cause: validation })),
    ).toBe(true);
    expect<unknown>(mayBeItemSpecific(sdkError('SerializationException', 400))).toBe(true);
    // Raised before anything was sent (e.g. while serialising a request): no status at all.
    expect<unknown>(mayBeItemSpecific(new TypeError('cannot serialise'))).toBe(true);
  });

  it('lost connections, timeouts, aborts, throttling, credentials, a missing table and server faults are shared by every item', () => {
    const shared: unknown[] = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' }),
      sdkError('AbortError', undefined),
      sdkError('ProvisionedThroughputExceededException', 400),
      sdkError('ThrottlingException', 400),
      sdkError('RequestLimitExceeded', 400),
      sdkError('UnrecognizedClientException', 400),
      sdkError('ResourceNotFoundException', 400),
      sdkError('InternalServerError', 500),
      sdkError('ServiceUnavailable', 503),
      new ConnectorError('TIMEOUT', 'DynamoDB still left 3 of 25 writes of a BatchWriteItem unprocessed'),
      new ConnectorError('BACKEND', 'x', {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
      }),
    ];
    for (const err of shared) expect<unknown>(mayBeItemSpecific(err)).withContext(String(err)).toBe(false);
  });
});
