/**
 * Delivery until acknowledged, for the service: one `DeliveryQueue` per sink sends batches strictly
 * in order (batch N+1 only after batch N is acknowledged, so per-key order holds across retries),
 * and retries a rejected send with capped exponential backoff until it succeeds or the queue is
 * aborted. Every sink is idempotent on redelivery (ES `create` + deterministic ids -> 409,
 * PagerDuty same event identity / dedup_key), so resending a partly acknowledged batch is safe.
 *
 * `AlertFanOut` sends each batch of transitions to several queues; its promise resolves when all
 * of them acknowledged. The service holds the source offsets until then (see src/pipeline.ts).
 */
import type { Logger } from 'pino';
import { TriplineError } from '../model/errors.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { DeadLetter, Sink } from './sink.js';

export interface DeliveryQueueOptions<T> {
  readonly name: string;
  readonly sink: Sink<T>;
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
  /** Backoff between failed sends, ms (default 250 .. 5000). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A delivery outstanding longer than this counts as stalled (default 10000). */
  readonly stallAfterMs?: number;
  /**
   * Where items the destination refused for good go (the sink dead-letter topic, see
   * src/sink/sink-dlq.ts). Awaited: a batch counts as delivered only once this resolved, so the
   * service checkpoint (which waits for `idle()`) never passes a refused item that is not yet
   * dead-lettered. A rejection is retried with the same backoff (the sink is not re-sent to).
   * Without it, refused items are logged and dropped.
   */
  readonly deadLetter?: (items: readonly DeadLetter<T>[], sink: string) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** What the service needs to watch a queue, whatever it carries. */
export interface QueueStatus {
  readonly name: string;
  idle(): Promise<void>;
  pending(): number;
  stalled(now?: number): boolean;
  abort(): void;
}

export class DeliveryQueue<T> implements QueueStatus {
  readonly #o: DeliveryQueueOptions<T>;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #oldest: number[] = [];
  #failing = false;
  #aborted = false;
  #lastWarn = 0;

  constructor(opts: DeliveryQueueOptions<T>) {
    this.#o = opts;
  }

  get name(): string {
    return this.#o.name;
  }

  /** Queues a batch; resolves when the sink acknowledged (or dead-lettered) every item. */
  enqueue(batch: readonly T[]): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    this.#pending++;
    const since = Date.now();
    this.#oldest.push(since);
    const run = this.#tail.then(() => this.#deliver(batch));
    this.#tail = run.catch(() => undefined);
    return run.finally(() => {
      this.#pending--;
      const i = this.#oldest.indexOf(since);
      if (i >= 0) this.#oldest.splice(i, 1);
    });
  }

  async #deliver(batch: readonly T[]): Promise<void> {
    const { sink, metrics, name } = this.#o;
    let delay = this.#o.minDelayMs ?? 250;
    let refused: readonly DeadLetter<T>[] | undefined;
    for (;;) {
      if (this.#aborted) throw new TriplineError('SINK_CLOSED', `${name}: delivery aborted`);
      try {
        if (refused === undefined) {
          const res = await sink.send(batch);
          metrics?.componentSentEvents.inc({ stage: 'sink' }, res.acknowledged.length);
          refused = res.deadLettered;
        }
        if (refused.length > 0) await this.#deadLetter(refused);
        this.#failing = false;
        return;
      } catch (e) {
        this.#failing = true;
        const err = e instanceof TriplineError ? e : new TriplineError('SINK_RETRIABLE', `${name}: send failed`, { cause: e });
        if (err.code === 'SINK_CLOSED') throw err;
        metrics?.componentErrors.inc({ stage: 'sink', error_type: err.code.toLowerCase() });
        if (Date.now() - this.#lastWarn > 5000) {
          this.#lastWarn = Date.now();
          const what = refused === undefined ? 'sink delivery failed' : 'dead-lettering refused items failed';
          this.#o.logger.warn({ sink: name, err }, `${what}; retrying (consumption pauses while stalled)`);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxDelayMs ?? 5000);
      }
    }
  }

  async #deadLetter(items: readonly DeadLetter<T>[]): Promise<void> {
    const { logger, metrics, name, deadLetter } = this.#o;
    if (deadLetter !== undefined) await deadLetter(items, name);
    for (const d of items) {
      metrics?.componentErrors.inc({ stage: 'sink', error_type: 'dead_lettered' });
      logger.error(
        { sink: name, reason: d.reason, detail: d.detail, ...(d.status === undefined ? {} : { status: d.status }) },
        deadLetter === undefined ? 'sink refused an item for good; dropped (no dead-letter topic)' : 'sink refused an item for good; dead-lettered',
      );
    }
  }

  /** Resolves when everything queued so far is delivered. */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.#tail;
      await tail;
      if (tail === this.#tail) return;
    }
  }

  pending(): number {
    return this.#pending;
  }

  /** Failing right now, or a delivery outstanding for longer than stallAfterMs. */
  stalled(now = Date.now()): boolean {
    if (this.#failing || this.#o.sink.isStalled()) return true;
    const oldest = this.#oldest[0];
    return oldest !== undefined && now - oldest > (this.#o.stallAfterMs ?? 10_000);
  }

  /** Stops retrying: queued deliveries reject with SINK_CLOSED (their offsets stay uncommitted). */
  abort(): void {
    this.#aborted = true;
  }
}

/** One batch of transitions to several sinks; resolves when every sink acknowledged it. */
export class AlertFanOut<T> {
  constructor(readonly queues: readonly DeliveryQueue<T>[]) {}

  send(batch: readonly T[]): Promise<void> {
    return Promise.all(this.queues.map((q) => q.enqueue(batch))).then(() => undefined);
  }

  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  stalled(): string[] {
    return this.queues.filter((q) => q.stalled()).map((q) => q.name);
  }

  abort(): void {
    for (const q of this.queues) q.abort();
  }
}
