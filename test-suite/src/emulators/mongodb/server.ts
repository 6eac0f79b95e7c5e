/**
 * The TCP server: accepts connections on loopback, frames and parses each message, runs the
 * command, writes the journal, and answers with OP_MSG (or OP_REPLY for a legacy OP_QUERY
 * handshake). Messages of one connection are handled strictly in order.
 */
import * as net from 'node:net';
import { Double, type Document } from 'bson';
import { runCommand, type CommandContext } from './commands';
import { checkDatabaseName, MAX_MESSAGE_SIZE_BYTES } from './commands/args';
import { CursorRegistry } from './cursors';
import { ErrorCode, MongoCommandError, NOT_IMPLEMENTED } from './errors';
import { DataFile } from './persistence';
import { Store } from './store';
import { hasField, isDocument } from './values';
import {
  encodeOpMsgReply,
  encodeOpReply,
  MessageFramer,
  MessageParseError,
  MSG_MORE_TO_COME,
  parseMessage,
  ProtocolError,
  type OpQueryRequest,
} from './wire';

export const EMULATOR_BANNER = 'MongoDB wire-protocol EMULATOR for tests — not a MongoDB server';

export interface MongoEmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Journal file: every mutation is appended, and start-up replays it. Without it, data is in memory only. */
  dataFile?: string;
  /** No banner and no log lines on stderr. */
  quiet?: boolean;
  /** How often the TTL monitor deletes expired documents (mongod: every 60 s, the default). */
  ttlMonitorIntervalMs?: number;
}

export interface MongoEmulator {
  readonly host: string;
  readonly port: number;
  /** `mongodb://host:port/?directConnection=true` */
  readonly url: string;
  /** Stops listening, destroys open connections, closes the data file. Safe to call twice. */
  close(): Promise<void>;
}

const LEGACY_HELLO = new Set(['hello', 'isMaster', 'ismaster']);

function errorReply(code: number, errmsg: string): Document {
  return new MongoCommandError(code, errmsg).toReply();
}

/** Replies carry `ok` as a double, like mongod's. */
function withDoubleOk(reply: Document): Document {
  if (typeof reply.ok === 'number') reply.ok = new Double(reply.ok);
  return reply;
}

export async function startMongoEmulator(options: MongoEmulatorOptions = {}): Promise<MongoEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  log(EMULATOR_BANNER);

  const store = new Store();
  const dataFile = options.dataFile ? DataFile.open(options.dataFile, store, log) : undefined;
  const cursors = new CursorRegistry();
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;

  const execute = (cmd: Document, db: unknown, connectionId: number): Document => {
    try {
      const ctx: CommandContext = { store, cursors, db: checkDatabaseName(db), connectionId };
      return withDoubleOk(runCommand(cmd, ctx));
    } catch (err) {
      if (err instanceof MongoCommandError) return withDoubleOk(err.toReply());
      const message = err instanceof Error ? err.message : String(err);
      log(`mongodb-emulator: internal error running ${JSON.stringify(Object.keys(cmd)[0])}: ${message}`);
      return withDoubleOk(errorReply(1, `mongodb-emulator internal error: ${message}`));
    } finally {
      dataFile?.flush();
    }
  };

  const answerOpQuery = (request: OpQueryRequest, connectionId: number): Buffer => {
    const { fullCollectionName } = request;
    let query = request.query;
    if (isDocument(query.$query)) query = query.$query;
    const name = Object.keys(query)[0] ?? '';
    const reply =
      fullCollectionName.endsWith('.$cmd') && LEGACY_HELLO.has(name)
        ? execute(query, fullCollectionName.slice(0, -'.$cmd'.length), connectionId)
        : withDoubleOk(
            errorReply(
              ErrorCode.UnsupportedOpQueryCommand,
              `${NOT_IMPLEMENTED} OP_QUERY except for the hello handshake (got '${name}' on ${fullCollectionName}); use OP_MSG`,
            ),
          );
    return encodeOpReply(request.header.requestId, reply);
  };

  /** The reply to one message, or undefined when the client asked for none (moreToCome). */
  const answer = (message: Buffer, connectionId: number): Buffer | undefined => {
    let request;
    try {
      request = parseMessage(message);
    } catch (err) {
      if (err instanceof MessageParseError) {
        return encodeOpMsgReply(message.readInt32LE(4), withDoubleOk(errorReply(err.code, err.message)));
      }
      throw err;
    }
    if (request.kind === 'query') return answerOpQuery(request, connectionId);
    if (request.kind === 'unsupported') {
      throw new ProtocolError(`${NOT_IMPLEMENTED} opcode ${request.header.opCode}`);
    }
    const { command } = request;
    const reply = hasField(command, '$db')
      ? execute(command, command.$db, connectionId)
      : withDoubleOk(errorReply(40571, 'OP_MSG requests require a $db argument'));
    if (request.flags & MSG_MORE_TO_COME) return undefined;
    return encodeOpMsgReply(request.header.requestId, reply);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = nextConnectionId++;
    const framer = new MessageFramer(MAX_MESSAGE_SIZE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of framer.push(chunk)) {
          const reply = answer(message, connectionId);
          if (reply && !socket.destroyed) socket.write(reply);
        }
      } catch (err) {
        log(`mongodb-emulator: closing connection ${connectionId}: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);

  const ttlTimer = setInterval(() => {
    try {
      store.expire(Date.now());
      dataFile?.flush();
    } catch (err) {
      log(`mongodb-emulator: TTL monitor failed: ${(err as Error).message}`);
    }
  }, options.ttlMonitorIntervalMs ?? 60_000);
  ttlTimer.unref();
  const cursorTimer = setInterval(() => cursors.sweep(Date.now()), 60_000);
  cursorTimer.unref();

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `mongodb://${host}:${port}/?directConnection=true`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(ttlTimer);
        clearInterval(cursorTimer);
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          cursors.clear();
          dataFile?.close();
          resolve();
        });
      });
      return closing;
    },
  };
}
