/**
 * Publishes alert transitions as JSON to a Kafka topic, keyed by alert id (so one incident's
 * transitions stay in one partition, in order). The producer is passed in and must be idempotent
 * with acks=all (`createAlertProducer`). Delivery is at-least-once: a redelivered batch is published
 * again; consumers dedupe on (key, alert.state, alert.repeat, @timestamp).
 * Retriable broker errors retry with p-retry; authorization failures stall (SINK_AUTH); oversized
 * batches are split and a single oversized record is dead-lettered; anything else stalls.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { TriplineError } from '../../model/errors.js';
import type { AlertTransition } from '../../model/transition.js';
import { withRetry } from '../retry.js';
import type { RetryPolicy } from '../retry.js';
import { BaseSink } from '../sink.js';
import type { DeadLetter, SendResult } from '../sink.js';

export interface KafkaAlertSinkOptions {
  readonly producer: Pick<Producer, 'send'>;
  readonly topic: string;
  readonly retry: RetryPolicy;
  /** Records larger than this are dead-lettered before sending (broker default ~1 MB). */
  readonly maxMessageBytes?: number;
  readonly logger: Logger;
}

/** Idempotent producer, one in-flight request (ordering), for use with acks=all. */
export function createAlertProducer(kafka: Pick<Kafka, 'producer'>): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

const AUTH_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const RETRIABLE_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError']);

class TooLarge extends Error {}

interface KafkaLikeError {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  message?: unknown;
}

/** Pure: kafkajs error -> TriplineError (TooLarge for the split path). */
export function mapKafkaError(e: unknown): TriplineError | TooLarge {
  const k = (e ?? {}) as KafkaLikeError;
  const name = typeof k.name === 'string' ? k.name : 'Error';
  const type = typeof k.type === 'string' ? k.type : undefined;
  const detail = `${name}${type === undefined ? '' : ` ${type}`}`;
  if (name === 'KafkaJSSASLAuthenticationError' || (type !== undefined && AUTH_TYPES.has(type))) {
    return new TriplineError('SINK_AUTH', `kafka alert publish refused: ${detail}; sink stalled until credentials or ACLs are fixed`);
  }
  if (type !== undefined && TOO_LARGE_TYPES.has(type)) return new TooLarge(detail);
  if (k.retriable === true || RETRIABLE_NAMES.has(name)) return new TriplineError('SINK_RETRIABLE', `kafka alert publish failed: ${detail}`);
  return new TriplineError('SINK_STALLED', `kafka alert publish failed: ${detail}; sink stalled, nothing dropped`);
}

interface Encoded {
  readonly item: AlertTransition;
  readonly message: Message;
}

export class KafkaAlertSink extends BaseSink<AlertTransition> {

  constructor(private readonly opts: KafkaAlertSinkOptions) {
    super('kafka alert');
  }

  protected async doSend(batch: readonly AlertTransition[]): Promise<SendResult<AlertTransition>> {
    const max = this.opts.maxMessageBytes ?? 1_000_000;
    const encoded: Encoded[] = [];
    const deadLettered: DeadLetter<AlertTransition>[] = [];
    for (const t of batch) {
      let value: string;
      try {
        value = JSON.stringify(t);
      } catch {
        deadLettered.push({ item: t, reason: 'not_serializable', detail: 'transition cannot be serialised to JSON' });
        continue;
      }
      const bytes = Buffer.byteLength(value) + Buffer.byteLength(t.alert.id);
      if (bytes > max) {
        deadLettered.push({ item: t, reason: 'too_large', detail: `record of ${bytes} bytes exceeds ${max}` });
        continue;
      }
      const ts = Date.parse(t['@timestamp']);
      encoded.push({
        item: t,
        message: {
          key: t.alert.id,
          value,
          headers: { 'content-type': 'application/json', 'tripline-alert-state': t.alert.state },
          ...(Number.isFinite(ts) ? { timestamp: String(ts) } : {}),
        },
      });
    }
    try {
      const acknowledged: AlertTransition[] = [];
      await this.publish(encoded, acknowledged, deadLettered);
      this.health_.ok();
      return { acknowledged, duplicates: 0, deadLettered };
    } catch (e) {
      const err = e instanceof TriplineError ? e : new TriplineError('INTERNAL', 'kafka alert sink failed', { cause: e });
      this.health_.failed(err);
      this.opts.logger.warn({ code: err.code, items: batch.length, topic: this.opts.topic }, err.message);
      throw err;
    }
  }

  private async publish(items: readonly Encoded[], acknowledged: AlertTransition[], deadLettered: DeadLetter<AlertTransition>[]): Promise<void> {
    if (items.length === 0) return;
    let tooLarge = false;
    await withRetry(
      this.opts.retry,
      async () => {
        try {
          await this.opts.producer.send({ topic: this.opts.topic, acks: -1, messages: items.map((i) => i.message) });
        } catch (e) {
          const mapped = mapKafkaError(e);
          if (mapped instanceof TooLarge) {
            tooLarge = true;
            return;
          }
          throw mapped;
        }
      },
      { shouldRetry: (err) => err.code === 'SINK_RETRIABLE' },
    );
    if (!tooLarge) {
      for (const i of items) acknowledged.push(i.item);
      return;
    }
    if (items.length === 1) {
      deadLettered.push({ item: items[0]!.item, reason: 'too_large', detail: 'broker refused the record as too large' });
      return;
    }
    const mid = Math.ceil(items.length / 2);
    await this.publish(items.slice(0, mid), acknowledged, deadLettered);
    await this.publish(items.slice(mid), acknowledged, deadLettered);
  }
}
