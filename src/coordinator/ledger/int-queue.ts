/**
 * A queue of non-negative integers (FIFO, plus insertion at the head) in one typed array (a ring buffer): the ledger's pending queue
 * of mini-batch ids. A job with millions of mini-batches costs 4 bytes per queued id and no object per
 * id. The capacity is fixed at creation: the ledger never queues a mini-batch twice, so the number of
 * mini-batches is always enough.
 */
export class IntQueue {
  private readonly items: Uint32Array;
  private head = 0;
  private size = 0;

  /** A queue that can hold `capacity` ids at once. */
  constructor(capacity: number) {
    this.items = new Uint32Array(Math.max(1, capacity));
  }

  /** Ids queued now. */
  get length(): number {
    return this.size;
  }

  /** Appends `value` (0 ≤ value < 2^32) at the tail; throws when the queue is full (a ledger bug). */
  push(value: number): void {
    if (this.size === this.items.length) throw new RangeError(`IntQueue is full (capacity ${this.items.length})`);
    this.items[(this.head + this.size) % this.items.length] = value;
    this.size += 1;
  }

  /** Inserts `value` at the head (it is leased next); throws when the queue is full (a ledger bug). */
  unshift(value: number): void {
    if (this.size === this.items.length) throw new RangeError(`IntQueue is full (capacity ${this.items.length})`);
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = value;
    this.size += 1;
  }

  /** Removes and returns the head; throws when empty. */
  shift(): number {
    const value = this.peek(0);
    this.head = (this.head + 1) % this.items.length;
    this.size -= 1;
    return value;
  }

  /** The id `offset` places behind the head, without removing it; throws when there is none. */
  peek(offset = 0): number {
    if (offset < 0 || offset >= this.size)
      throw new RangeError(`IntQueue has no element at offset ${offset} (length ${this.size})`);
    return this.items[(this.head + offset) % this.items.length] as number;
  }

  /** A queue of capacity `capacity` holding `ids` in order (one copy, no per-id call: a recovered ledger). */
  static from(ids: Uint32Array, capacity: number): IntQueue {
    const queue = new IntQueue(Math.max(capacity, ids.length));
    queue.items.set(ids);
    queue.size = ids.length;
    return queue;
  }

  /** The queued ids, head first, as one typed array (at most two copies of the ring's halves). */
  toUint32Array(): Uint32Array {
    const out = new Uint32Array(this.size);
    const firstPart = Math.min(this.size, this.items.length - this.head);
    out.set(this.items.subarray(this.head, this.head + firstPart));
    out.set(this.items.subarray(0, this.size - firstPart), firstPart);
    return out;
  }

  /** The queued ids, head first (a copy; for tests and reports). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.peek(i));
    return out;
  }
}
