import type { ConnectorError } from '@connector-kit/connector-core';

/**
 * One request waiting for its reply. It settles exactly once — by the reply, a connection
 * failure, the sweep or close — and leaves its list when it does.
 */
export class InFlightRequest {
  prev: InFlightRequest | null = null;
  next: InFlightRequest | null = null;
  settled = false;

  constructor(
    readonly deadline: number,
    private readonly list: InFlightList,
    private readonly resolve: (result: unknown) => void,
    private readonly reject: (err: ConnectorError) => void,
  ) {
    list.append(this);
  }

  settle(err: ConnectorError | null, result?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.list.unlink(this);
    if (err === null) this.resolve(result);
    else this.reject(err);
  }
}

/**
 * The requests waiting on one server, oldest first. A linked list rather than a Set: at tens of
 * thousands of requests a second, a Set's add/delete churn (and the tables V8 keeps for iterators
 * over it) made the garbage collector the bottleneck.
 */
export class InFlightList {
  private head: InFlightRequest | null = null;
  private tail: InFlightRequest | null = null;

  append(request: InFlightRequest): void {
    request.prev = this.tail;
    if (this.tail) this.tail.next = request;
    else this.head = request;
    this.tail = request;
  }

  unlink(request: InFlightRequest): void {
    if (request.prev) request.prev.next = request.next;
    else if (this.head === request) this.head = request.next;
    if (request.next) request.next.prev = request.prev;
    else if (this.tail === request) this.tail = request.prev;
    request.prev = request.next = null;
  }

  /** The oldest request, or null. */
  first(): InFlightRequest | null {
    return this.head;
  }

  /** Settles every request with `error`. */
  failAll(error: ConnectorError): void {
    while (this.head) this.head.settle(error);
  }
}
