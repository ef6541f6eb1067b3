/**
 * The output edge. A Sink takes a batch, delivers it (retrying retriable failures inside, with
 * jittered exponential backoff) and tells exactly which items were acknowledged and which were
 * dead-lettered, and why. Nothing is silently dropped: when `send` resolves,
 * `acknowledged.length + deadLettered.length === batch.length`.
 *
 * When `send` rejects, it rejects with a TriplineError; `retriable: true` means "pause consumption
 * and try the same batch again later" (every sink here is idempotent on redelivery).
 * Modelled on OpenTelemetry's SpanExporter (export/forceFlush/shutdown).
 */
import { TriplineError } from '../model/errors.js';

export interface DeadLetter<T> {
  readonly item: T;
  /** Short machine-readable reason, e.g. `mapper_parsing_exception`, `http_400`, `too_large`. */
  readonly reason: string;
  /** Human-readable detail, redacted, safe to log. */
  readonly detail: string;
  /** HTTP / protocol status if there was one. */
  readonly status?: number;
}

export interface SendResult<T> {
  /** Items the destination has (including `duplicates`, already there from an earlier delivery). */
  readonly acknowledged: readonly T[];
  /** How many of `acknowledged` were already present (409 on create, dedup hit). */
  readonly duplicates: number;
  /** Items the destination refused for good; the caller sends them to the dead-letter topic. */
  readonly deadLettered: readonly DeadLetter<T>[];
}

export interface SinkHealth {
  readonly healthy: boolean;
  /** The last send failed and none has succeeded since: the service should pause consumption. */
  readonly stalled: boolean;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
}

export interface Sink<T> {
  send(batch: readonly T[]): Promise<SendResult<T>>;
  /** Waits for anything buffered or in flight. */
  flush(): Promise<void>;
  /** Flushes, then refuses further sends with SINK_CLOSED. */
  close(): Promise<void>;
  isStalled(): boolean;
  health(): SinkHealth;
}

export function emptyResult<T>(): SendResult<T> {
  return { acknowledged: [], duplicates: 0, deadLettered: [] };
}

/** Tracks stalled/healthy state from send outcomes; shared by the sinks. */
export class HealthTracker {
  private lastError: SinkHealth['lastError'];
  private stalled = false;

  ok(): void {
    this.stalled = false;
    this.lastError = undefined;
  }

  failed(err: TriplineError): void {
    this.stalled = true;
    this.lastError = { code: err.code, message: err.message, at: new Date().toISOString() };
  }

  isStalled(): boolean {
    return this.stalled;
  }

  health(): SinkHealth {
    return this.lastError === undefined
      ? { healthy: !this.stalled, stalled: this.stalled }
      : { healthy: !this.stalled, stalled: this.stalled, lastError: this.lastError };
  }
}

/**
 * The send/flush/close/health plumbing every sink shares: in-flight tracking for `flush`, refusal
 * after `close`, and a HealthTracker. Subclasses implement `doSend` and report outcomes through
 * `health_`.
 */
export abstract class BaseSink<T> implements Sink<T> {
  protected readonly health_ = new HealthTracker();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly sinkName: string) {}

  protected abstract doSend(batch: readonly T[]): Promise<SendResult<T>>;

  send(batch: readonly T[]): Promise<SendResult<T>> {
    if (this.closed) return Promise.reject(new TriplineError('SINK_CLOSED', `${this.sinkName} sink is closed`));
    const p = this.doSend(batch);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  isStalled(): boolean {
    return this.health_.isStalled();
  }

  health(): SinkHealth {
    return this.health_.health();
  }
}
