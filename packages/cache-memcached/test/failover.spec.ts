import { FailoverPlan, type RingControl } from '@connector-kit/cache-memcached/dist/failover';

/** A ring that records the positions each server holds, as HashRing's swap/add/remove do. */
function recordingRing(servers: string[]): RingControl & { members: () => string[]; log: string[] } {
  const members = new Set(servers);
  const log: string[] = [];
  return {
    log,
    members: () => [...members].sort(),
    swap(from, to) {
      if (!members.has(from) || members.has(to)) throw new Error(`bad swap ${from} -> ${to}`);
      members.delete(from);
      members.add(to);
      log.push(`swap ${from} ${to}`);
    },
    add(server) {
      members.add(server);
      log.push(`add ${server}`);
    },
    remove(server) {
      members.delete(server);
      log.push(`remove ${server}`);
    },
  };
}

describe('FailoverPlan', () => {
  const servers = ['a:1', 'b:1', 'c:1'];

  function plan(spares: string[], remove: boolean) {
    const down = new Set<string>();
    const ring = recordingRing(servers);
    const p = new FailoverPlan(servers, { spares, remove }, ring, (s) => down.has(s));
    return {
      plan: p,
      ring,
      down(server: string) {
        down.add(server);
        p.onDown(server);
      },
      up(server: string) {
        down.delete(server);
        p.onUp(server);
      },
    };
  }

  it('without spares or remove, a down server stays in the ring (its keys fail)', () => {
    const t = plan([], false);
    t.down('a:1');
    expect(t.ring.members()).toEqual(servers);
    expect(t.plan.usable).toBe(true);
    t.down('b:1');
    t.down('c:1');
    expect(t.plan.usable).toBe(false);
    t.up('b:1');
    expect(t.plan.usable).toBe(true);
    expect(t.ring.log).toEqual([]);
  });

  it('a spare takes the slot of a down server and gives it back when the server returns', () => {
    const t = plan(['s:1'], false);
    t.down('b:1');
    expect(t.ring.members()).toEqual(['a:1', 'c:1', 's:1']);
    expect(t.plan.snapshot()).toEqual({ 'a:1': 'a:1', 'b:1': 's:1', 'c:1': 'c:1' });
    // No spare left for the second failure.
    t.down('c:1');
    expect(t.ring.members()).toEqual(['a:1', 'c:1', 's:1']);
    t.up('b:1');
    expect(t.ring.log).toEqual(['swap b:1 s:1', 'swap s:1 b:1']);
    expect(t.plan.snapshot()).toEqual({ 'a:1': 'a:1', 'b:1': 'b:1', 'c:1': 'c:1' });
  });

  it('a spare that dies while standing in is replaced by the next healthy spare', () => {
    const t = plan(['s:1', 's:2'], false);
    t.down('a:1');
    t.down('s:1');
    expect(t.plan.snapshot()['a:1']).toBe('s:2');
    expect(t.ring.log).toEqual(['swap a:1 s:1', 'swap s:1 s:2']);
    t.up('a:1');
    expect(t.plan.snapshot()['a:1']).toBe('a:1');
    expect(t.ring.members()).toEqual(servers);
  });

  it('a spare that returns stands in for a server that had no replacement', () => {
    const t = plan(['s:1'], false);
    t.down('s:1'); // the spare is down first: not in the ring, nothing changes
    expect(t.ring.log).toEqual([]);
    t.down('c:1');
    expect(t.plan.snapshot()['c:1']).toBe('c:1');
    t.up('s:1');
    expect(t.plan.snapshot()['c:1']).toBe('s:1');
    t.up('c:1');
    expect(t.ring.members()).toEqual(servers);
  });

  it('with remove, a down server leaves the ring (never the last one) and rejoins', () => {
    const t = plan([], true);
    t.down('a:1');
    t.down('b:1');
    t.down('c:1');
    expect(t.ring.members()).toEqual(['c:1']);
    expect(t.plan.usable).toBe(false);
    t.up('a:1');
    expect(t.ring.members()).toEqual(['a:1', 'c:1']);
    expect(t.plan.usable).toBe(true);
    t.up('b:1');
    t.up('c:1');
    expect(t.ring.members()).toEqual(servers);
    expect(t.ring.log).toEqual(['remove a:1', 'remove b:1', 'add a:1', 'add b:1']);
  });
});
