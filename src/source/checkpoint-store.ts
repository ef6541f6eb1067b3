/**
 * Checkpoints of the service in a compacted Kafka topic (Kafka Streams' changelog, simplified):
 * one record per key (the consumer group id), value = gzip(JSON). The topic is created with
 * cleanup.policy=compact, one partition and a large max.message.bytes. `save` resolves once the
 * broker acknowledged the write (acks=all); `load` reads the topic to its end with a throwaway
 * consumer group (src/source/compacted-topic.ts) and returns the latest value for the key.
 *
 * What a checkpoint holds is the caller's business (src/pipeline.ts: engine snapshot, next offsets,
 * metric emission state); this file only stores and fetches JSON.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import { ensureCompactedTopic, readCompactedTopic } from './compacted-topic.js';
import { mapKafkaError } from './kafka-client.js';

export interface CheckpointStoreOptions {
  kafka: Kafka;
  topic: string;
  /** Record key (the consumer group id; with several instances, group id + assignment). */
  key: string;
  logger: Logger;
  /** For error messages (user hints, secret redaction). */
  kafkaConfig?: KafkaConfig;
  /** Largest checkpoint, bytes (topic max.message.bytes; default 64 MiB). */
  maxBytes?: number;
  /** Give up reading the topic after this long, ms (default 60000). */
  loadTimeoutMs?: number;
}

/** The stored form of a checkpoint: gzip(JSON). */
export function encodeCheckpoint(value: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(value)));
}

/** Inverse of encodeCheckpoint; STATE_RESTORE_FAILED when the bytes are not gzip JSON. */
export function decodeCheckpoint(buf: Buffer, where = 'checkpoint'): unknown {
  try {
    return JSON.parse(gunzipSync(buf).toString('utf8')) as unknown;
  } catch (e) {
    throw new TriplineError('STATE_RESTORE_FAILED', `${where} is not valid gzip JSON`, { cause: e });
  }
}

/**
 * Checks the `version` field of a loaded checkpoint. A checkpoint of another version is refused
 * (STATE_RESTORE_FAILED, not retriable) rather than half-restored: the operator decides whether to
 * run the matching tripline version or reset the state topic (and replay from committed offsets).
 */
export function checkCheckpointVersion<T extends { version: number }>(value: unknown, version: T['version'], where: string): T {
  const got = value !== null && typeof value === 'object' ? (value as { version?: unknown }).version : undefined;
  if (got !== version) {
    throw new TriplineError(
      'STATE_RESTORE_FAILED',
      `${where}: unsupported checkpoint version ${JSON.stringify(got) ?? 'undefined'} (this tripline reads version ${version}); ` +
        'run the tripline version that wrote it, or delete the state topic to start from the committed offsets without window state',
    );
  }
  return value as T;
}

export class CheckpointStore {
  readonly #o: CheckpointStoreOptions;
  readonly #producer: Producer;
  #connected = false;
  lastBytes = 0;

  constructor(opts: CheckpointStoreOptions) {
    this.#o = opts;
    this.#producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  get topic(): string {
    return this.#o.topic;
  }

  /** Creates the compacted topic if missing. */
  async ensureTopic(): Promise<void> {
    const created = await ensureCompactedTopic({
      kafka: this.#o.kafka,
      topic: this.#o.topic,
      configEntries: [
        { name: 'max.message.bytes', value: String(this.#o.maxBytes ?? 64 * 1024 * 1024) },
        { name: 'min.compaction.lag.ms', value: '60000' },
      ],
      what: 'creating the checkpoint topic',
      kafkaConfig: this.#o.kafkaConfig,
    });
    if (created) this.#o.logger.info({ 'kafka.topic': this.#o.topic }, 'created the checkpoint topic (compacted)');
  }

  /** Writes a checkpoint; resolves once acknowledged by all in-sync replicas. */
  async save(value: unknown, key: string = this.#o.key): Promise<void> {
    if (!this.#connected) {
      await this.#producer.connect().catch((e: unknown) => {
        throw mapKafkaError(e, 'connecting the checkpoint producer', this.#o.kafkaConfig);
      });
      this.#connected = true;
    }
    const buf = encodeCheckpoint(value);
    this.lastBytes = buf.length;
    try {
      await this.#producer.send({ topic: this.#o.topic, acks: -1, messages: [{ key, value: buf }] });
    } catch (e) {
      throw mapKafkaError(e, `writing a checkpoint to ${this.#o.topic}`, this.#o.kafkaConfig);
    }
  }

  /** The latest checkpoint for the key, or undefined when there is none. */
  async load(): Promise<unknown> {
    const key = this.#o.key;
    const latest = await this.#read((k) => k === key);
    const got = latest.get(key);
    const value = got?.value;
    if (got === undefined || value === null || value === undefined || value.length === 0) return undefined;
    this.#o.logger.info({ 'kafka.topic': this.#o.topic, 'kafka.offset': got.offset, bytes: value.length }, 'loaded checkpoint');
    return decodeCheckpoint(value, `checkpoint in ${this.#o.topic} at offset ${got.offset}`);
  }

  /** The latest value of every key starting with `prefix` (one read of the topic). */
  async loadAll(prefix: string): Promise<Map<string, unknown>> {
    const { topic, logger } = this.#o;
    const latest = await this.#read((k) => k.startsWith(prefix));
    const out = new Map<string, unknown>();
    let bytes = 0;
    for (const [k, { value: v, offset }] of latest) {
      if (v === null || v.length === 0) continue;
      bytes += v.length;
      out.set(k, decodeCheckpoint(v, `checkpoint ${k} in ${topic} at offset ${offset}`));
    }
    logger.info({ 'kafka.topic': topic, keys: out.size, bytes }, 'loaded checkpoints');
    return out;
  }

  /** Reads the topic to its end: the latest value (null = tombstone) of every key `want` accepts. */
  async #read(want: (key: string) => boolean): Promise<Map<string, { value: Buffer | null; offset: string }>> {
    const { kafka, topic, key } = this.#o;
    const latest = new Map<string, { value: Buffer | null; offset: string }>();
    await readCompactedTopic({
      kafka,
      topic,
      groupPrefix: `${key}-state-reader-`,
      what: 'reading the checkpoint topic',
      kafkaConfig: this.#o.kafkaConfig,
      timeoutMs: this.#o.loadTimeoutMs ?? 60_000,
      onRecord: (m) => {
        const k = m.key?.toString();
        if (k !== undefined && want(k)) latest.set(k, { value: m.value ?? null, offset: m.offset });
      },
    });
    return latest;
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#producer.disconnect().catch(() => undefined);
    this.#connected = false;
  }
}
