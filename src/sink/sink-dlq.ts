/**
 * Dead-letter topic for sink output: alert transitions and metric documents a destination refused
 * for good (Elasticsearch item 4xx such as a mapping error, PagerDuty 400, an oversized document).
 *
 * Topic: `<group_id>-sink.dlq`, one per consumer group, created (1 partition) at startup when
 * missing. Not `<topic>.dlq`: that topic holds raw input records that could not be decoded, while
 * a refused transition or metric document is derived output of many records (of possibly several
 * input topics) and is JSON we produced. One dedicated topic keeps both DLQs homogeneous.
 *
 * Message: key = the item's id (alert id / document id, when known), value = the item as JSON,
 * headers (DLQ_HEADERS): reason (machine-readable, e.g. `mapper_parsing_exception`, `http_400`),
 * detail (redacted, one sentence), sink (the queue name, e.g. `elasticsearch-alerts`, `pagerduty`),
 * kind (`alert` | `metric`), status (HTTP status when there was one). Written with acks=all; the
 * DeliveryQueue awaits the write before it counts a batch as delivered, so the service checkpoint
 * (and the source offsets) never pass a refused item that is not in this topic yet.
 */
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { TriplineError } from '../model/errors.js';
import { waitForTopicLeaders } from '../source/compacted-topic.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { DeadLetter } from './sink.js';

export const SINK_DLQ_HEADERS = {
  reason: 'tripline.reason',
  detail: 'tripline.detail',
  sink: 'tripline.sink',
  kind: 'tripline.kind',
  status: 'tripline.status',
} as const;

export type SinkItemKind = 'alert' | 'metric';

/** Longest `tripline.detail` header, characters. */
const MAX_DETAIL = 1024;

export function sinkDlqTopic(groupId: string): string {
  return `${groupId}-sink.dlq`;
}

/** The Kafka message for one refused item (pure). */
export function sinkDlqMessage<T>(sink: string, kind: SinkItemKind, d: DeadLetter<T>, key?: string): { key: string | null; value: string; headers: IHeaders } {
  const detail = d.detail.length > MAX_DETAIL ? `${d.detail.slice(0, MAX_DETAIL - 1)}…` : d.detail;
  const headers: IHeaders = {
    [SINK_DLQ_HEADERS.reason]: d.reason,
    [SINK_DLQ_HEADERS.detail]: detail,
    [SINK_DLQ_HEADERS.sink]: sink,
    [SINK_DLQ_HEADERS.kind]: kind,
  };
  if (d.status !== undefined) headers[SINK_DLQ_HEADERS.status] = String(d.status);
  return { key: key ?? null, value: JSON.stringify(d.item), headers };
}

/** The parts of kafkajs the writer uses (a fake in unit tests). */
export type SinkDlqKafka = Pick<Kafka, 'producer' | 'admin'>;

export interface SinkDeadLetterWriterOptions {
  kafka: SinkDlqKafka;
  topic: string;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Maps kafkajs errors (secrets redacted); default wraps them as DLQ_WRITE_FAILED. */
  mapError?: (e: unknown, what: string) => TriplineError;
}

export class SinkDeadLetterWriter {
  readonly #o: SinkDeadLetterWriterOptions;
  readonly #producer: Producer;
  #connected = false;
  #closed = false;

  constructor(opts: SinkDeadLetterWriterOptions) {
    this.#o = opts;
    this.#producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  get topic(): string {
    return this.#o.topic;
  }

  #map(e: unknown, what: string): TriplineError {
    if (e instanceof TriplineError) return e;
    return this.#o.mapError?.(e, what) ?? new TriplineError('DLQ_WRITE_FAILED', `${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** Creates the topic (1 partition) when missing. */
  async ensureTopic(): Promise<void> {
    const admin = this.#o.kafka.admin();
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(this.#o.topic)) {
        await admin.createTopics({ waitForLeaders: false, topics: [{ topic: this.#o.topic, numPartitions: 1 }] });
        await waitForTopicLeaders(admin, this.#o.topic, 1, `creating the sink dead-letter topic ${this.#o.topic}`);
        this.#o.logger.info({ 'kafka.topic': this.#o.topic }, 'created the sink dead-letter topic');
      }
    } catch (e) {
      if ((e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return;
      throw this.#map(e, `creating the sink dead-letter topic ${this.#o.topic}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Writes the refused items of one sink; resolves once the broker acknowledged all (acks=all). */
  async write<T>(sink: string, kind: SinkItemKind, items: readonly DeadLetter<T>[], keyOf?: (item: T) => string | undefined): Promise<void> {
    if (items.length === 0) return;
    if (this.#closed) throw new TriplineError('SINK_CLOSED', 'sink dead-letter writer is closed');
    const m = this.#o.metrics;
    if (!this.#connected) {
      await this.#producer.connect().catch((e: unknown) => {
        throw this.#map(e, 'connecting the sink dead-letter producer');
      });
      this.#connected = true;
    }
    m?.sinkRequests.inc({ sink: 'sink_dlq' });
    try {
      await this.#producer.send({ topic: this.#o.topic, acks: -1, messages: items.map((d) => sinkDlqMessage(sink, kind, d, keyOf?.(d.item))) });
    } catch (e) {
      const err = this.#map(e, `writing ${items.length} refused item(s) to ${this.#o.topic}`);
      m?.sinkErrors.inc({ sink: 'sink_dlq', error_type: err.code.toLowerCase() });
      throw err;
    }
    for (const d of items) m?.sinkDeadLettered.inc({ sink, reason: d.reason });
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connected) await this.#producer.disconnect().catch(() => undefined);
    this.#connected = false;
  }
}
