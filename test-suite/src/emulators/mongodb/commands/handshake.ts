/** `hello` (and the legacy `isMaster`), `ping`, `buildInfo`, `endSessions`: what a driver needs to connect. */
import { Int32, type Document } from 'bson';
import { notImplemented } from '../errors';
import { hasField, isTruthy } from '../values';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES, MAX_WRITE_BATCH_SIZE, ok } from './args';
import type { CommandContext, CommandDefinition } from './context';

export const EMULATOR_VERSION = '7.0.0-emulator';
export const MAX_WIRE_VERSION = 21;

function hello(cmd: Document, ctx: CommandContext): Document {
  if (hasField(cmd, 'saslSupportedMechs') || hasField(cmd, 'speculativeAuthenticate')) {
    throw notImplemented('authentication (the emulator has no users; connect without credentials)');
  }
  if (hasField(cmd, 'loadBalanced') && isTruthy(cmd.loadBalanced)) throw notImplemented('load-balanced mode');
  const legacy = !hasField(cmd, 'hello');
  const reply: Document = {};
  if (cmd.helloOk === true) reply.helloOk = true;
  if (legacy) reply.ismaster = true;
  else reply.isWritablePrimary = true;
  Object.assign(reply, {
    maxBsonObjectSize: new Int32(MAX_BSON_OBJECT_SIZE),
    maxMessageSizeBytes: new Int32(MAX_MESSAGE_SIZE_BYTES),
    maxWriteBatchSize: new Int32(MAX_WRITE_BATCH_SIZE),
    localTime: new Date(),
    logicalSessionTimeoutMinutes: new Int32(30),
    connectionId: new Int32(ctx.connectionId),
    minWireVersion: new Int32(0),
    maxWireVersion: new Int32(MAX_WIRE_VERSION),
    readOnly: false,
    emulator: true,
  });
  return ok(reply);
}

const helloDefinition: CommandDefinition = {
  handler: hello,
  accepted: [
    'helloOk',
    'client',
    'compression',
    'topologyVersion',
    'maxAwaitTimeMS',
    'loadBalanced',
    'saslSupportedMechs',
    'speculativeAuthenticate',
  ],
};

function buildInfo(): Document {
  return ok({
    version: EMULATOR_VERSION,
    gitVersion: 'mongodb-emulator',
    versionArray: [new Int32(7), new Int32(0), new Int32(0), new Int32(0)],
    bits: new Int32(64),
    debug: false,
    maxBsonObjectSize: new Int32(MAX_BSON_OBJECT_SIZE),
    storageEngines: ['emulator-memory'],
    modules: [],
    javascriptEngine: 'none',
    emulator: true,
  });
}

export const handshakeCommands: Record<string, CommandDefinition> = {
  hello: helloDefinition,
  isMaster: helloDefinition,
  ismaster: helloDefinition,
  ping: { handler: () => ok(), accepted: [] },
  buildInfo: { handler: buildInfo, accepted: [] },
  buildinfo: { handler: buildInfo, accepted: [] },
  endSessions: { handler: () => ok(), accepted: [] },
};
