/**
 * Compacted single-partition Kafka topics used as small key/value stores (the checkpoint topic,
 * src/source/checkpoint-store.ts; the PagerDuty delivered-events topic,
 * src/sink/pagerduty/delivered-store.ts): create one if missing, and read one to its end at start
 * with a throwaway consumer group (the high watermark is fetched first; reading stops at it).
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import { mapKafkaError } from './kafka-client.js';

export interface EnsureCompactedTopicOptions {
  kafka: Kafka;
  topic: string;
  /** Extra topic configs (cleanup.policy=compact is always set). */
  configEntries?: ReadonlyArray<{ name: string; value: string }>;
  /** For error messages: `creating the checkpoint topic <topic>`. */
  what: string;
  kafkaConfig?: KafkaConfig | undefined;
}

/**
 * Polls until `topic` has `partitions` partitions, each with a leader (after createTopics with
 * waitForLeaders: false: kafkajs' own wait fails with UNKNOWN_TOPIC_OR_PARTITION on a busy broker
 * whose metadata has not propagated yet).
 */
export async function waitForTopicLeaders(admin: Admin, topic: string, partitions: number, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics.find((t) => t.name === topic)?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new TriplineError('KAFKA_UNAVAILABLE', `${what}: partitions have no leader after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates the topic (compacted, one partition) if missing. Returns true when it was created. */
export async function ensureCompactedTopic(o: EnsureCompactedTopicOptions): Promise<boolean> {
  const admin = o.kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    if (existing.has(o.topic)) return false;
    await admin.createTopics({
      waitForLeaders: false, // see waitForTopicLeaders
      topics: [{ topic: o.topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...(o.configEntries ?? [])] }],
    });
    await waitForTopicLeaders(admin, o.topic, 1, `${o.what} ${o.topic}`);
    return true;
  } catch (e) {
    if ((e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return false;
    throw mapKafkaError(e, `${o.what} ${o.topic}`, o.kafkaConfig);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface CompactedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
}

export interface ReadCompactedTopicOptions {
  kafka: Kafka;
  topic: string;
  /** Prefix of the throwaway consumer group id (a random suffix is appended; the group is deleted after). */
  groupPrefix: string;
  /** Called for every record of partition 0 up to the high watermark, in offset order. */
  onRecord: (r: CompactedRecord) => void;
  /** For error messages: `reading the checkpoint topic`. */
  what: string;
  kafkaConfig?: KafkaConfig | undefined;
  /** Give up after this long, ms (default 60000): STATE_RESTORE_FAILED. */
  timeoutMs?: number;
}

/** Reads partition 0 of a compacted topic from the beginning to its current end. Returns the number of records seen. */
export async function readCompactedTopic(o: ReadCompactedTopicOptions): Promise<number> {
  const { kafka, topic } = o;
  const admin = kafka.admin();
  let high: bigint;
  try {
    await admin.connect();
    const offs = await admin.fetchTopicOffsets(topic);
    const p0 = offs.find((x) => x.partition === 0);
    if (p0 === undefined || BigInt(p0.high) <= BigInt(p0.low)) return 0;
    high = BigInt(p0.high);
  } catch (e) {
    throw mapKafkaError(e, `${o.what} ${topic}`, o.kafkaConfig);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const groupId = `${o.groupPrefix}${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TriplineError('STATE_RESTORE_FAILED', `timed out ${o.what} ${topic}`)), o.timeoutMs ?? 60_000);
      let done = false;
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (done) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= high) break;
              seen++;
              try {
                o.onRecord({ key: m.key ?? null, value: m.value ?? null, offset: m.offset });
              } catch (e) {
                done = true;
                clearTimeout(timer);
                reject(e);
                return;
              }
            }
            if (BigInt(batch.lastOffset()) + 1n >= high) {
              done = true;
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } catch (e) {
    throw e instanceof TriplineError ? e : mapKafkaError(e, `${o.what} ${topic}`, o.kafkaConfig);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const a = kafka.admin();
    await a
      .connect()
      .then(() => a.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => void a.disconnect().catch(() => undefined));
  }
  return seen;
}
