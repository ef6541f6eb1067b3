/**
 * The PagerDuty delivered-event memory (delivered.ts) in a compacted Kafka topic,
 * `<group_id>-pagerduty-delivered` by default (kafka.pagerduty_delivered_topic): one partition,
 * record key = JSON [receiver, dedup_key], value = JSON {action, severity, repeat, ts, at}, null =
 * tombstone. Written with acks=all by an idempotent producer; read to its end at start by a
 * throwaway consumer group `<group_id>-state-reader-pd-<random>` (the same prefix as the checkpoint
 * reader, so the same prefixed group ACL covers both).
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../../config/service-config.js';
import { ensureCompactedTopic, readCompactedTopic } from '../../source/compacted-topic.js';
import { mapKafkaError } from '../../source/kafka-client.js';
import type { DeliveredRecord, DeliveredStore } from './delivered.js';
import { parseDeliveredRecord } from './delivered.js';

export function pagerDutyDeliveredTopic(cfg: Pick<KafkaConfig, 'group_id' | 'pagerduty_delivered_topic'>): string {
  return cfg.pagerduty_delivered_topic ?? `${cfg.group_id}-pagerduty-delivered`;
}

export interface KafkaDeliveredStoreOptions {
  kafka: Kafka;
  topic: string;
  /** Consumer group id of the service (names the throwaway reader group). */
  groupId: string;
  logger: Logger;
  kafkaConfig?: KafkaConfig | undefined;
  loadTimeoutMs?: number;
}

export class KafkaDeliveredStore implements DeliveredStore {
  readonly #o: KafkaDeliveredStoreOptions;
  readonly #producer: Producer;
  #connecting: Promise<void> | undefined;

  constructor(opts: KafkaDeliveredStoreOptions) {
    this.#o = opts;
    this.#producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  get topic(): string {
    return this.#o.topic;
  }

  async ensureTopic(): Promise<void> {
    const created = await ensureCompactedTopic({
      kafka: this.#o.kafka,
      topic: this.#o.topic,
      configEntries: [{ name: 'min.compaction.lag.ms', value: '60000' }],
      what: 'creating the PagerDuty delivered-events topic',
      kafkaConfig: this.#o.kafkaConfig,
    });
    if (created) this.#o.logger.info({ 'kafka.topic': this.#o.topic }, 'created the PagerDuty delivered-events topic (compacted)');
  }

  async write(key: string, value: DeliveredRecord | null): Promise<void> {
    this.#connecting ??= this.#producer.connect().catch((e: unknown) => {
      this.#connecting = undefined;
      throw mapKafkaError(e, 'connecting the PagerDuty delivered-events producer', this.#o.kafkaConfig);
    });
    await this.#connecting;
    try {
      await this.#producer.send({ topic: this.#o.topic, acks: -1, messages: [{ key, value: value === null ? null : JSON.stringify(value) }] });
    } catch (e) {
      throw mapKafkaError(e, `writing to ${this.#o.topic}`, this.#o.kafkaConfig);
    }
  }

  async readAll(onRecord: (key: string, value: DeliveredRecord | null) => void): Promise<void> {
    let bad = 0;
    await readCompactedTopic({
      kafka: this.#o.kafka,
      topic: this.#o.topic,
      groupPrefix: `${this.#o.groupId}-state-reader-pd-`,
      what: 'reading the PagerDuty delivered-events topic',
      kafkaConfig: this.#o.kafkaConfig,
      ...(this.#o.loadTimeoutMs === undefined ? {} : { timeoutMs: this.#o.loadTimeoutMs }),
      onRecord: (m) => {
        if (m.key === null) return;
        const v = parseDeliveredRecord(m.value);
        if (v === undefined) {
          bad++;
          return;
        }
        onRecord(m.key.toString('utf8'), v);
      },
    });
    if (bad > 0) this.#o.logger.warn({ 'kafka.topic': this.#o.topic, records: bad }, 'ignored unreadable PagerDuty delivered-event records');
  }

  async close(): Promise<void> {
    const c = this.#connecting;
    this.#connecting = undefined;
    if (c !== undefined) await c.then(() => this.#producer.disconnect()).catch(() => undefined);
  }
}
