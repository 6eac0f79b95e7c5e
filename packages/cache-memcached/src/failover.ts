/** The hash ring operations fail-over needs (the client's HashRing). */
export interface RingControl {
  /** `to` takes every ring position of `from`: exactly `from`'s keys move to `to`. */
  swap(from: string, to: string): void;
  add(server: string): void;
  remove(server: string): void;
}

export interface FailoverOptions {
  /** Spare servers, in order of preference. */
  spares: readonly string[];
  /** Without a spare, take a down server out of the ring so its keys go to the others. */
  remove: boolean;
}

/**
 * Decides what the hash ring looks like while servers are down. Every configured server owns a
 * slot (its positions on the ring); the slot is served by the server itself, by a spare standing
 * in for it, or — with `remove` and no spare left — by nobody (its keys spread over the rest).
 * When a server answers again it takes its slot back; a stand-in becomes an idle spare again.
 */
export class FailoverPlan {
  /** configured server → who serves its slot now (null: removed from the ring). */
  private readonly slots = new Map<string, string | null>();
  private readonly idleSpares: string[];

  constructor(
    servers: readonly string[],
    private readonly options: FailoverOptions,
    private readonly ring: RingControl,
    private readonly isDown: (server: string) => boolean,
  ) {
    for (const server of servers) this.slots.set(server, server);
    this.idleSpares = [...options.spares];
  }

  /** True while at least one slot is served by a server that is up. */
  get usable(): boolean {
    for (const current of this.slots.values()) if (current !== null && !this.isDown(current)) return true;
    return false;
  }

  /** `server` (configured, or a spare standing in) was marked down. */
  onDown(server: string): void {
    const slot = this.slotServedBy(server);
    if (slot === undefined) return; // an idle spare: nothing in the ring changes
    if (server !== slot) this.idleSpares.push(server); // a stand-in died: back to the spares
    const spare = this.takeHealthySpare();
    if (spare !== undefined) {
      this.ring.swap(server, spare);
      this.slots.set(slot, spare);
    } else if (this.options.remove && this.servedSlots() > 1) {
      this.ring.remove(server);
      this.slots.set(slot, null);
    }
  }

  /** `server` answers again. */
  onUp(server: string): void {
    const current = this.slots.get(server);
    if (current !== undefined) {
      // A configured server takes its slot back.
      if (current === server) return;
      if (current === null) this.ring.add(server);
      else {
        this.ring.swap(current, server);
        this.idleSpares.push(current);
      }
      this.slots.set(server, server);
      return;
    }
    // A spare: stand in for a slot whose server is down and was not replaced.
    for (const [slot, serving] of this.slots) {
      if (
        serving !== null &&
        serving !== server &&
        this.isDown(serving) &&
        this.idleSpares.includes(server)
      ) {
        this.idleSpares.splice(this.idleSpares.indexOf(server), 1);
        this.ring.swap(serving, server);
        this.slots.set(slot, server);
        if (serving !== slot) this.idleSpares.push(serving);
        return;
      }
    }
  }

  /** Who serves each slot (for diagnostics and tests). */
  snapshot(): Record<string, string | null> {
    return Object.fromEntries(this.slots);
  }

  private slotServedBy(server: string): string | undefined {
    for (const [slot, serving] of this.slots) if (serving === server) return slot;
    return undefined;
  }

  private servedSlots(): number {
    let count = 0;
    for (const serving of this.slots.values()) if (serving !== null) count++;
    return count;
  }

  private takeHealthySpare(): string | undefined {
    const index = this.idleSpares.findIndex((spare) => !this.isDown(spare));
    return index === -1 ? undefined : this.idleSpares.splice(index, 1)[0];
  }
}
