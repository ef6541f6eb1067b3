/**
 * PagerDuty as a Sink<AlertTransition>: route each transition to its receivers, build one Events v2
 * event per receiver and hand it to the delivery loop (per-key FIFO). A transition is acknowledged
 * when every receiver's event is delivered (or needs no event), dead-lettered when PagerDuty refused
 * it (400) or its routing key is missing; the send rejects (retriable) while any event is stalled.
 * Each event carries a DeliveryMark (receiver + dedup key, action, severity, repeat, time) for the
 * durable delivered-event memory (delivered.ts), so a replay after a crash sends nothing PagerDuty
 * already has.
 */
import type { Logger } from 'pino';
import { TriplineError } from '../../model/errors.js';
import type { AlertTransition } from '../../model/transition.js';
import { HealthTracker } from '../sink.js';
import type { DeadLetter, SendResult, Sink, SinkHealth } from '../sink.js';
import type { PagerDutyRoutingConfig, Receiver } from './config.js';
import { deliveredKey } from './delivered.js';
import type { DeliveredMemory, DeliveryMark } from './delivered.js';
import { PagerDutyDelivery } from './delivery.js';
import type { DeliveryOutcome } from './delivery.js';
import { buildEvent } from './event.js';
import type { PdEvent } from './event.js';
import { PagerDutyNotifier } from './notifier.js';
import type { Notifier } from './notifier.js';
import { routeReceivers, routingLabels } from './routing.js';

/** Resolves a receiver name to its routing key (from the environment), or undefined. */
export type RoutingKeyLookup = (receiver: string) => string | undefined;

export function routingKeysFromEnv(receivers: readonly Receiver[], env: Readonly<Record<string, string | undefined>> = process.env): RoutingKeyLookup {
  const byName = new Map(receivers.map((r) => [r.name, r.routing_key_env]));
  return (name) => {
    const envName = byName.get(name);
    const v = envName === undefined ? undefined : env[envName];
    return v === undefined || v === '' ? undefined : v;
  };
}

export interface PagerDutySinkOptions {
  readonly config: PagerDutyRoutingConfig;
  readonly routingKeys: RoutingKeyLookup;
  readonly logger: Logger;
  /** Defaults to a PagerDutyNotifier posting to config.events_url. */
  readonly notifier?: Notifier;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Durable memory of delivered events (the service: backed by a compacted topic). */
  readonly memory?: DeliveredMemory;
}

/** Identity of one transition for one receiver: same identity = same event (redelivery). */
export function eventIdentity(t: AlertTransition, receiver: string): string {
  return JSON.stringify([receiver, t.alert.id, t.alert.state, t.alert.repeat, t.alert.severity, t['@timestamp']]);
}

/** The durable-memory identity of `event` (built from `t`) for `receiver`. */
export function deliveryMark(t: AlertTransition, receiver: string, event: PdEvent): DeliveryMark {
  return {
    key: deliveredKey(receiver, event.dedup_key ?? ''),
    action: event.event_action,
    severity: t.alert.severity,
    repeat: t.alert.repeat,
    ts: t['@timestamp'],
  };
}

export class PagerDutySink implements Sink<AlertTransition> {
  readonly delivery: PagerDutyDelivery;
  private readonly health_ = new HealthTracker();
  private closed = false;

  constructor(private readonly opts: PagerDutySinkOptions) {
    const c = opts.config;
    const notifier = opts.notifier ?? new PagerDutyNotifier({ url: c.events_url, timeoutMs: c.request_timeout_ms, logger: opts.logger });
    this.delivery = new PagerDutyDelivery({
      notifier,
      retry: { maxAttempts: c.retry.max_attempts, maxTimeMs: c.retry.max_time_ms, minDelayMs: c.retry.min_delay_ms, maxDelayMs: c.retry.max_delay_ms },
      ratePerMinute: c.rate_limit_per_minute,
      logger: opts.logger,
      ...(opts.sleep === undefined ? {} : { sleep: opts.sleep }),
      ...(opts.memory === undefined ? {} : { memory: opts.memory }),
    });
  }

  async send(batch: readonly AlertTransition[]): Promise<SendResult<AlertTransition>> {
    if (this.closed) throw new TriplineError('SINK_CLOSED', 'pagerduty sink is closed');
    const { config } = this.opts;
    const acknowledged: AlertTransition[] = [];
    const deadLettered: DeadLetter<AlertTransition>[] = [];
    let duplicates = 0;
    // Enqueue synchronously in batch order: per-key FIFO follows the batch order.
    const pending = batch.map((t) => {
      const receivers = routeReceivers(config.route, routingLabels(t));
      const parts: (Promise<DeliveryOutcome> | DeadLetter<AlertTransition>)[] = [];
      for (const receiver of receivers) {
        const key = this.opts.routingKeys(receiver);
        if (key === undefined) {
          parts.push({ item: t, reason: 'no_routing_key', detail: `receiver ${receiver} has no routing key (environment variable unset)` });
          continue;
        }
        const event = buildEvent(t, key, { source: config.source, kibanaUrl: config.kibana_url, sendRepeats: config.send_repeats });
        if (event !== undefined) parts.push(this.delivery.deliver(event, eventIdentity(t, receiver), deliveryMark(t, receiver, event)));
      }
      return { t, parts };
    });
    let failure: TriplineError | undefined;
    for (const { t, parts } of pending) {
      let dead: DeadLetter<AlertTransition> | undefined;
      let dup = parts.length > 0;
      for (const p of parts) {
        if (!(p instanceof Promise)) {
          dead ??= p;
          dup = false;
          continue;
        }
        try {
          const o = await p;
          if (o.status === 'rejected') {
            dead ??= { item: t, reason: o.httpStatus === undefined ? 'rejected' : `http_${o.httpStatus}`, detail: o.error.message, ...(o.httpStatus === undefined ? {} : { status: o.httpStatus }) };
          }
          if (o.status !== 'duplicate') dup = false;
        } catch (e) {
          failure ??= e instanceof TriplineError ? e : new TriplineError('SINK_RETRIABLE', 'pagerduty delivery failed', { cause: e });
        }
      }
      if (dead !== undefined) deadLettered.push(dead);
      else {
        acknowledged.push(t);
        if (dup) duplicates++;
      }
    }
    if (failure !== undefined) {
      this.health_.failed(failure);
      throw failure;
    }
    this.health_.ok();
    return { acknowledged, duplicates, deadLettered };
  }

  async flush(): Promise<void> {
    await this.delivery.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.delivery.close();
  }

  isStalled(): boolean {
    return this.health_.isStalled() || this.delivery.isStalled();
  }

  health(): SinkHealth {
    const h = this.health_.health();
    const stalled = this.isStalled();
    return { ...h, healthy: !stalled, stalled };
  }
}
