/**
 * Dead-letter writer: produces the raw record value to `<topic>.dlq` (or KAFKA_DLQ_TOPIC) with
 * headers saying why and where it came from. Idempotent producer, acks=all; `write` resolves only
 * once the broker acknowledged, so the pipeline can hold the source offset until then:
 *
 *   ctx.hold(record); dlq.write({ record, reason, detail }).then(() => ctx.ack(record));
 */
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { dlqTopicFor } from '../config/service-config.js';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import type { Sink } from '../sink/sink.js';
import type { Metrics } from '../telemetry/metrics.js';
import { mapKafkaError } from './kafka-client.js';
import type { SourceRecord } from './kafka-source.js';

export const DLQ_HEADERS = {
  reason: 'tripline.reason',
  detail: 'tripline.detail',
  topic: 'tripline.source.topic',
  partition: 'tripline.source.partition',
  offset: 'tripline.source.offset',
  timestamp: 'tripline.source.timestamp',
} as const;

/** Longest `tripline.detail` header, characters. */
const MAX_DETAIL = 1024;

export interface DlqEntry {
  readonly record: SourceRecord;
  /** Machine-readable reason (`not_json`, `too_large`, `sink_rejected`...). */
  readonly reason: string;
  /** One safe sentence (never the raw line, never a secret). */
  readonly detail: string;
}

export interface DlqWriterOptions {
  kafka: Kafka;
  config: Pick<KafkaConfig, 'dlq_topic'>;
  logger: Logger;
  metrics?: Metrics;
}

/** The Kafka message for a dead-letter entry (pure). Original headers are kept; ours win. */
export function dlqMessage(entry: DlqEntry): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  const { record } = entry;
  const detail = entry.detail.length > MAX_DETAIL ? `${entry.detail.slice(0, MAX_DETAIL - 1)}…` : entry.detail;
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: entry.reason,
      [DLQ_HEADERS.detail]: detail,
      [DLQ_HEADERS.topic]: record.topic,
      [DLQ_HEADERS.partition]: String(record.partition),
      [DLQ_HEADERS.offset]: record.offset,
      [DLQ_HEADERS.timestamp]: String(record.timestamp),
    },
  };
}

export class DlqWriter {
  readonly #o: DlqWriterOptions;
  readonly #producer: Producer;
  #connected = false;
  #closed = false;

  constructor(opts: DlqWriterOptions) {
    this.#o = opts;
    this.#producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  topicFor(sourceTopic: string): string {
    return dlqTopicFor(this.#o.config, sourceTopic);
  }

  async start(): Promise<void> {
    if (this.#connected) return;
    try {
      await this.#producer.connect();
    } catch (e) {
      throw mapKafkaError(e, 'connecting the dead-letter producer');
    }
    this.#connected = true;
  }

  /** Writes one entry; resolves when the broker acknowledged it (acks=all). */
  async write(entry: DlqEntry): Promise<void> {
    await this.writeMany([entry]);
  }

  /** Writes entries (grouped by DLQ topic); resolves when all are acknowledged. */
  async writeMany(entries: readonly DlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#closed) throw new TriplineError('SINK_CLOSED', 'dead-letter writer is closed');
    if (!this.#connected) await this.start();
    const byTopic = new Map<string, DlqEntry[]>();
    for (const e of entries) {
      const t = this.topicFor(e.record.topic);
      byTopic.set(t, [...(byTopic.get(t) ?? []), e]);
    }
    const m = this.#o.metrics;
    const started = process.hrtime.bigint();
    m?.sinkRequests.inc({ sink: 'dlq' });
    try {
      await this.#producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list.map(dlqMessage) })),
      });
    } catch (e) {
      const mapped = mapKafkaError(e, 'writing to the dead-letter topic');
      const err =
        mapped.code === 'KAFKA_AUTH'
          ? mapped
          : new TriplineError('DLQ_WRITE_FAILED', `dead-letter write of ${entries.length} record(s) failed: ${mapped.message}`, {
              cause: mapped,
            });
      m?.sinkErrors.inc({ sink: 'dlq', error_type: err.code.toLowerCase() });
      m?.componentErrors.inc({ stage: 'sink', error_type: 'dlq_write_failed' });
      this.#o.logger.warn({ err }, 'dead-letter write failed');
      throw err;
    } finally {
      m?.sinkRequestDuration.observe({ sink: 'dlq' }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    for (const e of entries) m?.dlqRecords.inc({ topic: e.record.topic, reason: e.reason });
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connected) await this.#producer.disconnect().catch(() => undefined);
    this.#connected = false;
  }
}

/** The writer as a Sink, for the service's DeliveryQueue (retry until acknowledged, stall = pause). */
export function dlqAsSink(dlq: DlqWriter): Sink<DlqEntry> {
  let stalled = false;
  return {
    async send(batch) {
      try {
        await dlq.writeMany(batch);
      } catch (e) {
        stalled = true;
        throw e;
      }
      stalled = false;
      return { acknowledged: batch, duplicates: 0, deadLettered: [] };
    },
    flush: async () => undefined,
    close: () => dlq.stop(),
    isStalled: () => stalled,
    health: () => ({ healthy: !stalled, stalled }),
  };
}
