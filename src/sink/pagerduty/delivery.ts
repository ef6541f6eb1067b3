/**
 * The delivery loop around a Notifier: one FIFO queue per (routing key, dedup key), so a resolve
 * never overtakes its trigger, while different keys proceed in parallel. Each event is retried
 * (p-retry, jittered backoff, rate limited per routing key) only while the notifier says "retry";
 * once PagerDuty answered 202 it is never sent again (a redelivered identical event is answered
 * `duplicate` from memory). When retries are exhausted the event stays at the head of its queue,
 * the waiters get a retriable error, and the queue resumes when that key is delivered to again
 * (the service redelivers the batch) or on `resume()`.
 *
 * Durable memory (delivered.ts): an event delivered with a `DeliveryMark` is recorded in the
 * DeliveredMemory (in the service: a compacted Kafka topic, acks=all) after the 202 and BEFORE its
 * waiters hear `delivered`; an event the memory already covers (resolve delivered for that dedup
 * key, or the same/an earlier trigger) is answered `duplicate` without being sent, also after a
 * restart. When the record write fails the entry stays at the head marked as sent: the waiters get
 * a retriable error and the retry only rewrites the record (PagerDuty is not called again).
 */
import type { Logger } from 'pino';
import { TriplineError } from '../../model/errors.js';
import { withRetry } from '../retry.js';
import type { RetryPolicy } from '../retry.js';
import { DeliveredMemory } from './delivered.js';
import type { DeliveryMark } from './delivered.js';
import type { PdEvent } from './event.js';
import type { Notifier } from './notifier.js';
import { TokenBucket } from './token-bucket.js';

export type DeliveryOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'duplicate' }
  | { readonly status: 'rejected'; readonly error: TriplineError; readonly httpStatus?: number };

interface Waiter {
  resolve(o: DeliveryOutcome): void;
  reject(e: TriplineError): void;
}

interface Entry {
  readonly event: PdEvent;
  readonly identity: string;
  readonly mark: DeliveryMark | undefined;
  /** PagerDuty answered 202; only the durable record is missing. */
  sent: boolean;
  waiters: Waiter[];
}

interface Queue {
  readonly entries: Entry[];
  running: boolean;
  stalled: boolean;
}

export interface DeliveryOptions {
  readonly notifier: Notifier;
  readonly retry: RetryPolicy;
  readonly ratePerMinute: number;
  readonly logger: Logger;
  /** How many delivered identities to remember (redelivery dedup within this process). */
  readonly rememberDelivered?: number;
  /** Durable memory of delivered events (default: in memory only). */
  readonly memory?: DeliveredMemory;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface DeliveryStats {
  delivered: number;
  duplicates: number;
  rejected: number;
  retries: number;
  exhausted: number;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class PagerDutyDelivery {
  private readonly queues = new Map<string, Queue>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly delivered = new Map<string, true>();
  private readonly idle = new Set<() => void>();
  readonly memory: DeliveredMemory;
  private closed = false;
  readonly stats: DeliveryStats = { delivered: 0, duplicates: 0, rejected: 0, retries: 0, exhausted: 0 };

  constructor(private readonly opts: DeliveryOptions) {
    this.memory = opts.memory ?? new DeliveredMemory();
  }

  /**
   * Queues `event` behind earlier events for the same (routing key, dedup key). `identity` names
   * this transition (same identity = same event, e.g. redelivered after a restart of the batch).
   * `mark` identifies it for the durable memory (see delivered.ts); without it only the in-process
   * identity memory applies.
   */
  deliver(event: PdEvent, identity: string, mark?: DeliveryMark): Promise<DeliveryOutcome> {
    if (this.closed) return Promise.reject(new TriplineError('SINK_CLOSED', 'pagerduty delivery is closed'));
    if (this.delivered.has(identity) || (mark !== undefined && this.memory.covers(mark))) {
      this.stats.duplicates++;
      return Promise.resolve({ status: 'duplicate' });
    }
    const qk = `${event.routing_key}\u0000${event.dedup_key ?? ''}`;
    let q = this.queues.get(qk);
    if (q === undefined) {
      q = { entries: [], running: false, stalled: false };
      this.queues.set(qk, q);
    }
    const queue = q;
    return new Promise<DeliveryOutcome>((resolve, reject) => {
      const waiter = { resolve, reject };
      const existing = queue.entries.find((e) => e.identity === identity);
      if (existing !== undefined) existing.waiters.push(waiter);
      else queue.entries.push({ event, identity, mark, sent: false, waiters: [waiter] });
      if (!queue.running) void this.run(qk, queue);
    });
  }

  /** Restarts queues stalled after exhausting their retries. */
  resume(): void {
    for (const [qk, q] of this.queues) if (!q.running && q.entries.length > 0) void this.run(qk, q);
  }

  isStalled(): boolean {
    for (const q of this.queues.values()) if (q.stalled) return true;
    return false;
  }

  /** Resolves when no queue is running (everything delivered, rejected, or stalled). */
  async flush(): Promise<void> {
    while ([...this.queues.values()].some((q) => q.running)) {
      await new Promise<void>((resolve) => this.idle.add(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async run(qk: string, q: Queue): Promise<void> {
    q.running = true;
    try {
      while (q.entries.length > 0) {
        const entry = q.entries[0]!;
        let outcome: DeliveryOutcome;
        try {
          if (entry.sent) outcome = { status: 'delivered' };
          else if (entry.mark !== undefined && this.memory.covers(entry.mark)) outcome = { status: 'duplicate' };
          else outcome = await this.attempt(entry.event);
          if (outcome.status === 'delivered' && entry.mark !== undefined) {
            entry.sent = true;
            await this.memory.record(entry.mark);
          }
        } catch (e) {
          const err = e instanceof TriplineError ? e : new TriplineError('INTERNAL', 'pagerduty delivery failed', { cause: e });
          this.stats.exhausted++;
          q.stalled = true;
          this.opts.logger.warn({ action: entry.event.event_action, dedup_key: entry.event.dedup_key, code: err.code }, `pagerduty delivery stalled: ${err.message}`);
          // The event stays at the head: nothing behind it for this key may overtake it. Everyone
          // waiting on this queue is told to retry later; the entries stay queued in order.
          for (const blocked of q.entries) {
            const waiters = blocked.waiters;
            blocked.waiters = [];
            for (const w of waiters) w.reject(new TriplineError(err.code, err.message, { retriable: true }));
          }
          return;
        }
        q.stalled = false;
        q.entries.shift();
        if (outcome.status === 'delivered') {
          this.stats.delivered++;
          this.remember(entry.identity);
        } else if (outcome.status === 'duplicate') {
          this.stats.duplicates++;
        } else if (outcome.status === 'rejected') {
          this.stats.rejected++;
        }
        for (const w of entry.waiters) w.resolve(outcome);
      }
      this.queues.delete(qk);
    } finally {
      q.running = false;
      for (const f of this.idle) f();
      this.idle.clear();
    }
  }

  private async attempt(event: PdEvent): Promise<DeliveryOutcome> {
    const sleep = this.opts.sleep ?? defaultSleep;
    return withRetry(
      this.opts.retry,
      async () => {
        const wait = this.bucket(event.routing_key).reserve();
        if (wait > 0) await sleep(wait);
        const r = await this.opts.notifier.notify(event);
        if (r.retry) throw r.error ?? new TriplineError('SINK_RETRIABLE', 'pagerduty asked to retry');
        if (r.error !== undefined) {
          return r.status === undefined ? { status: 'rejected', error: r.error } : { status: 'rejected', error: r.error, httpStatus: r.status };
        }
        return { status: 'delivered' } as const;
      },
      { onRetry: () => void this.stats.retries++ },
    );
  }

  private bucket(routingKey: string): TokenBucket {
    let b = this.buckets.get(routingKey);
    if (b === undefined) {
      b = new TokenBucket(this.opts.ratePerMinute, this.opts.now);
      this.buckets.set(routingKey, b);
    }
    return b;
  }

  private remember(identity: string): void {
    this.delivered.set(identity, true);
    const max = this.opts.rememberDelivered ?? 10_000;
    while (this.delivered.size > max) this.delivered.delete(this.delivered.keys().next().value!);
  }
}
