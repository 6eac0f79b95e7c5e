import { ConnectorError } from '../errors';
import type { Codec } from './codec';
import { jsonCodec } from './json-codec';
import { msgpackCodec } from './msgpack-codec';

export type { Codec } from './codec';
export { jsonCodec } from './json-codec';
export { msgpackCodec } from './msgpack-codec';
export { assertJsonValue, MAX_VALUE_DEPTH } from './validate';

export type CodecOption = 'json' | 'msgpack' | Codec;

/** Resolves the `codec` option of a connector. */
export function resolveCodec(option: CodecOption | undefined): Codec {
  if (option === undefined || option === 'json') return jsonCodec;
  if (option === 'msgpack') return msgpackCodec;
  if (
    typeof option === 'object' &&
    typeof option.encode === 'function' &&
    typeof option.decode === 'function'
  ) {
    return option;
  }
  throw new ConnectorError(
    'CONFIG',
    `Unknown codec ${JSON.stringify(option)}: use 'json', 'msgpack' or a Codec object`,
    {
      details: { field: 'codec' },
    },
  );
}
