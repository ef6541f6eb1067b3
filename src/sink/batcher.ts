/**
 * Batching bounded by count, bytes and time, plus a pure `chunk` used by sinks to split an
 * oversized batch. A Batcher hands each full batch to `onBatch`; `add` resolves once the item is
 * buffered, or, when the item filled a batch, once that batch has been handed off (backpressure).
 */
export interface BatchLimits {
  /** Max items per batch (>= 1). */
  readonly maxItems: number;
  /** Max summed `sizeOf` per batch; a single larger item forms a batch on its own. */
  readonly maxBytes: number;
  /** Max time an item waits in the buffer before the batch is handed off, ms. */
  readonly maxDelayMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxItems: 500, maxBytes: 5 * 1024 * 1024, maxDelayMs: 1000 };

/** Splits `items` in order into chunks within maxItems/maxBytes. Never drops or reorders. */
export function chunk<T>(items: readonly T[], limits: Pick<BatchLimits, 'maxItems' | 'maxBytes'>, sizeOf: (item: T) => number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (cur.length > 0 && (cur.length >= limits.maxItems || bytes + size > limits.maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export class Batcher<T> {
  private buf: T[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private closed = false;

  constructor(
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
    private readonly onBatch: (batch: T[]) => Promise<void>,
  ) {}

  /** Buffers `item`; flushes first if it would not fit. Rethrows a previous onBatch failure. */
  async add(item: T): Promise<void> {
    if (this.closed) throw new Error('batcher is closed');
    this.rethrow();
    const size = this.sizeOf(item);
    if (this.buf.length > 0 && this.bytes + size > this.limits.maxBytes) await this.handOff();
    this.buf.push(item);
    this.bytes += size;
    if (this.buf.length >= this.limits.maxItems || this.bytes >= this.limits.maxBytes) {
      await this.handOff();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.handOff().catch(() => undefined), this.limits.maxDelayMs);
      this.timer.unref();
    }
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Hands off whatever is buffered and waits for every batch in flight. */
  async flush(): Promise<void> {
    await this.handOff();
    await Promise.allSettled([...this.inFlight]);
    this.rethrow();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async handOff(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buf.length === 0) return;
    const batch = this.buf;
    this.buf = [];
    this.bytes = 0;
    const p = this.onBatch(batch).catch((e: unknown) => {
      this.failure ??= e;
      throw e;
    });
    const tracked = p.finally(() => this.inFlight.delete(tracked)).catch(() => undefined);
    this.inFlight.add(tracked);
    await p;
  }

  private rethrow(): void {
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      throw f;
    }
  }
}
