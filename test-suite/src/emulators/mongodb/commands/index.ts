/**
 * Command dispatch: finds the handler for a command's first field, checks the generic fields every
 * command may carry (`$db`, `lsid`, `readConcern`, `writeConcern`, …) and rejects everything the
 * emulator does not implement by name.
 */
import type { Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from '../errors';
import { hasField, isDocument, toJsNumber } from '../values';
import { checkFields, commandName } from './args';
import { catalogCommands } from './catalog';
import type { CommandContext, CommandDefinition } from './context';
import { findAndModifyCommands } from './find-and-modify';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { readCommands } from './read';
import { writeCommands } from './write';

export type { CommandContext } from './context';
export { EMULATOR_VERSION, MAX_WIRE_VERSION } from './handshake';

const commands = new Map<string, CommandDefinition>(
  Object.entries({
    ...handshakeCommands,
    ...readCommands,
    ...writeCommands,
    ...findAndModifyCommands,
    findandmodify: findAndModifyCommands.findAndModify,
    ...catalogCommands,
    ...indexCommands,
  }),
);

/** Names of the commands the emulator implements. */
export function implementedCommands(): string[] {
  return [...commands.keys()];
}

/** Fields any command may carry. */
const GENERIC_FIELDS = [
  '$db',
  'lsid',
  '$readPreference',
  '$clusterTime',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
];
const TRANSACTION_FIELDS = ['txnNumber', 'autocommit', 'startTransaction', 'stmtId', 'stmtIds'];

/** Executes one command document; throws MongoCommandError for a failure reply. */
export function runCommand(cmd: Document, ctx: CommandContext): Document {
  const name = commandName(cmd);
  if (name === undefined) throw commandError(ErrorCode.FailedToParse, 'Empty command object');
  const definition = commands.get(name);
  if (!definition) throw notImplemented(`command '${name}'`, ErrorCode.CommandNotFound);
  for (const field of TRANSACTION_FIELDS) {
    if (hasField(cmd, field)) {
      throw notImplemented(`transactions or retryable writes (field '${field}' on '${name}')`);
    }
  }
  const accepted = [...GENERIC_FIELDS, ...definition.accepted];
  if (definition.readConcern) accepted.push('readConcern');
  if (definition.writeConcern) accepted.push('writeConcern');
  checkFields(cmd, name, accepted, [...(definition.unsupported ?? []), 'readConcern', 'writeConcern']);
  checkGenericFields(cmd, name);
  return definition.handler(cmd, ctx);
}

function checkGenericFields(cmd: Document, name: string): void {
  if (hasField(cmd, 'maxTimeMS')) {
    const ms = toJsNumber(cmd.maxTimeMS);
    if (ms === undefined || ms < 0 || !Number.isInteger(ms)) {
      throw commandError(ErrorCode.BadValue, `${name}: maxTimeMS must be a non-negative integer`);
    }
  }
  if (hasField(cmd, 'apiVersion') && cmd.apiVersion !== '1') {
    throw commandError(322, `API version must be "1"`);
  }
  if (hasField(cmd, 'readConcern')) {
    const rc: unknown = cmd.readConcern;
    if (!isDocument(rc)) throw commandError(ErrorCode.TypeMismatch, 'readConcern must be an object');
    for (const key of Object.keys(rc)) {
      if (key !== 'level') throw notImplemented(`readConcern option '${key}'`);
    }
    if (rc.level !== undefined && !['local', 'available', 'majority'].includes(String(rc.level))) {
      throw notImplemented(`readConcern level '${String(rc.level)}'`);
    }
  }
  if (hasField(cmd, 'writeConcern')) {
    const wc: unknown = cmd.writeConcern;
    if (!isDocument(wc)) throw commandError(ErrorCode.TypeMismatch, 'writeConcern must be an object');
    for (const key of Object.keys(wc)) {
      if (!['w', 'j', 'wtimeout', 'fsync', 'provenance'].includes(key))
        throw notImplemented(`writeConcern option '${key}'`);
    }
    if (wc.w !== undefined && wc.w !== 'majority') {
      const w = toJsNumber(wc.w);
      if (w === undefined) throw notImplemented(`writeConcern w '${String(wc.w)}' (tagged write concerns)`);
      if (w > 1) {
        throw commandError(ErrorCode.BadValue, `cannot use 'w' > 1 with a standalone`);
      }
    }
  }
}
