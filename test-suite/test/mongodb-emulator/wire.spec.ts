// The wire protocol without a driver: OP_MSG sections, checksums, moreToCome, OP_QUERY hello.
import { encodeOpMsgRequest, encodeOpQueryRequest } from '../../dist/emulators/mongodb/wire';
import { RawConnection, T, useEmulator } from './helpers';

describe('mongodb emulator: wire protocol', () => {
  const h = useEmulator();
  let conn: RawConnection;
  let requestId = 100;

  beforeEach(async () => {
    conn = await RawConnection.open(h.emulator.port);
  });
  afterEach(() => conn.close());

  it('answers a legacy OP_QUERY hello with OP_REPLY', async () => {
    conn.send(encodeOpQueryRequest(++requestId, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    const reply = await conn.reply();
    expect(reply?.ok).toBe(1);
    expect(reply?.ismaster).toBe(true);
    expect(reply?.helloOk).toBe(true);
    expect(reply?.maxWireVersion).toBe(21);
  });

  it('refuses any other OP_QUERY command with UnsupportedOpQueryCommand (352)', async () => {
    conn.send(encodeOpQueryRequest(++requestId, 'test.$cmd', { insert: 'c', documents: [{ a: 1 }] }));
    const reply = await conn.reply();
    expect(reply?.ok).toBe(0);
    expect(reply?.code).toBe(352);
    expect(reply?.errmsg).toContain('does not implement OP_QUERY');
  });

  it('accepts documents as a kind-1 document sequence (insert documents, update updates, delete deletes)', async () => {
    conn.send(
      encodeOpMsgRequest(
        ++requestId,
        { insert: 'seq', $db: 'wire' },
        { sequences: { documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] } },
      ),
    );
    expect((await conn.reply())?.n).toBe(3);
    conn.send(
      encodeOpMsgRequest(
        ++requestId,
        { update: 'seq', $db: 'wire' },
        { sequences: { updates: [{ q: { _id: 1 }, u: { $set: { x: 1 } } }] } },
      ),
    );
    expect((await conn.reply())?.nModified).toBe(1);
    conn.send(
      encodeOpMsgRequest(
        ++requestId,
        { delete: 'seq', $db: 'wire' },
        { sequences: { deletes: [{ q: { _id: 2 }, limit: 1 }] } },
      ),
    );
    expect((await conn.reply())?.n).toBe(1);
    conn.send(encodeOpMsgRequest(++requestId, { find: 'seq', $db: 'wire' }));
    const found = await conn.reply();
    expect(found?.cursor.firstBatch).toEqual([{ _id: 1, x: 1 }, { _id: 3 }]);
    expect(found?.cursor.id).toBe(0);
  });

  it('refuses a sequence that repeats a body field', async () => {
    conn.send(
      encodeOpMsgRequest(
        ++requestId,
        { insert: 'seq2', documents: [], $db: 'wire' },
        { sequences: { documents: [{}] } },
      ),
    );
    const reply = await conn.reply();
    expect(reply?.ok).toBe(0);
    expect(reply?.errmsg).toBe('Duplicate field documents');
  });

  it('checks a CRC-32C checksum when the checksumPresent flag is set, and drops a corrupt message', async () => {
    conn.send(encodeOpMsgRequest(++requestId, { ping: 1, $db: 'admin' }, { checksum: true }));
    expect((await conn.reply())?.ok).toBe(1);
    const bad = encodeOpMsgRequest(++requestId, { ping: 1, $db: 'admin' }, { checksum: true });
    bad[bad.length - 1] ^= 0xff;
    conn.send(bad);
    expect(await conn.reply(1000)).toBeUndefined();
    expect(conn.closed).toBe(true);
  });

  it('sends no reply for moreToCome (w: 0) but applies the write', async () => {
    conn.send(
      encodeOpMsgRequest(
        ++requestId,
        { insert: 'fire', documents: [{ _id: 'f' }], writeConcern: { w: 0 }, $db: 'wire' },
        { moreToCome: true },
      ),
    );
    conn.send(encodeOpMsgRequest(++requestId, { find: 'fire', $db: 'wire' }));
    const reply = await conn.reply();
    expect(reply?.cursor).toBeDefined();
    expect(reply?.cursor.firstBatch).toEqual([{ _id: 'f' }]);
  });

  it(
    'reassembles messages split across many TCP writes',
    async () => {
      await conn.sendSlowly(encodeOpMsgRequest(++requestId, { hello: 1, $db: 'admin' }), 3);
      expect((await conn.reply())?.isWritablePrimary).toBe(true);
    },
    T,
  );

  it('requires $db, and a valid database name', async () => {
    conn.send(encodeOpMsgRequest(++requestId, { ping: 1 }));
    expect((await conn.reply())?.code).toBe(40571);
    conn.send(encodeOpMsgRequest(++requestId, { ping: 1, $db: 'a.b' }));
    expect((await conn.reply())?.code).toBe(73);
  });

  it('closes the connection on a message with an impossible length', async () => {
    const junk = Buffer.alloc(16);
    junk.writeInt32LE(3, 0);
    conn.send(junk);
    expect(await conn.reply(1000)).toBeUndefined();
    expect(conn.closed).toBe(true);
  });
});
