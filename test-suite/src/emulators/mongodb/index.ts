/**
 * A MongoDB wire-protocol server EMULATOR for tests (not a MongoDB server): the real `mongodb`
 * driver talks to it over TCP; it implements what the kit's MongoDB connector needs and rejects
 * everything else by name. See README.md.
 */
export { startMongoEmulator, EMULATOR_BANNER, type MongoEmulator, type MongoEmulatorOptions } from './server';
export { EMULATOR_VERSION, MAX_WIRE_VERSION, implementedCommands } from './commands';
export { NOT_IMPLEMENTED, ErrorCode } from './errors';
