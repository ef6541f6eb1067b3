// Issue 2: the first end-to-end test against the real stack.
// 10,000 JSON log lines -> 6-partition topic (kafkajs) -> consumer group with eachBatch and
// manual offset resolve/commit -> bulk-indexed into Elasticsearch with deterministic _ids.
// A second run of the same group after the commit must consume nothing.
import { Partitioners } from 'kafkajs';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  createTopic,
  deleteGroups,
  deleteIndices,
  deleteTopics,
  esClient,
  kafkaClient,
  stackInfo,
  uniqueName,
  withAdmin,
} from './helpers/stack.js';

const TOTAL = 10_000;
const PARTITIONS = 6;
const PRODUCE_CHUNK = 1_000;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const LEVELS = ['info', 'info', 'info', 'warn', 'error'] as const;
const BASE_TIME = Date.parse('2026-11-20T14:03:07.412Z');

interface LogLine {
  timestamp: string;
  level: string;
  event: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  seq: number;
}

function logLine(seq: number): LogLine {
  return {
    timestamp: new Date(BASE_TIME + seq * 37).toISOString(),
    level: LEVELS[seq % LEVELS.length] ?? 'info',
    event: 'http_request',
    method: METHODS[seq % METHODS.length] ?? 'GET',
    path: `/v1/orders/${seq % 500}`,
    status: seq % 50 === 0 ? 500 : 200,
    duration_ms: 5 + (seq % 120),
    seq,
  };
}

const docId = (topic: string, partition: number, offset: string): string => `${topic}-${partition}-${offset}`;

describe('Kafka -> Elasticsearch (real stack)', () => {
  const cleanup = new Cleanup();
  let kafka: Kafka;
  let es: Client;
  let topic: string;
  let index: string;
  let groupId: string;

  beforeAll(async () => {
    const info = stackInfo();
    console.log(
      `[kafka-to-elasticsearch] Kafka ${info.kafkaVersion} at ${info.kafkaBrokers.join(',')}; ` +
        `Elasticsearch ${info.elasticsearchVersion} at ${info.elasticsearchUrl}`,
    );
    kafka = kafkaClient('tripline-it-k2es');
    es = esClient();
    topic = uniqueName('k2es');
    index = topic;
    groupId = `${topic}-group`;
    cleanup.add('close es client', () => es.close());
    cleanup.add(`delete group ${groupId}`, () => deleteGroups(kafka, [groupId]));
    cleanup.add(`delete topic ${topic}`, () => deleteTopics(kafka, [topic]));
    cleanup.add(`delete index ${index}`, () => deleteIndices(es, [index]));

    await createTopic(kafka, topic, PARTITIONS);
    await es.indices.create({
      index,
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '-1' },
      mappings: {
        dynamic: 'strict',
        properties: {
          timestamp: { type: 'date' },
          level: { type: 'keyword' },
          event: { type: 'keyword' },
          method: { type: 'keyword' },
          path: { type: 'keyword' },
          status: { type: 'short' },
          duration_ms: { type: 'integer' },
          seq: { type: 'integer' },
          kafka: { properties: { partition: { type: 'short' }, offset: { type: 'long' } } },
        },
      },
    });
  });

  afterAll(async () => {
    await cleanup.run();
  });

  it('indexes exactly 10,000 lines once, and a committed group re-consumes nothing', async () => {
    // ---- produce
    const t0 = Date.now();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    try {
      for (let start = 0; start < TOTAL; start += PRODUCE_CHUNK) {
        const messages = [];
        for (let seq = start; seq < Math.min(start + PRODUCE_CHUNK, TOTAL); seq++) {
          messages.push({ key: `k${seq}`, value: JSON.stringify(logLine(seq)) });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    const highWatermarks = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
    expect(highWatermarks).toHaveLength(PARTITIONS);
    const produced = highWatermarks.reduce((sum, p) => sum + Number(p.high), 0);
    expect(produced).toBe(TOTAL);
    for (const p of highWatermarks) expect(Number(p.high)).toBeGreaterThan(0);
    const tProduced = Date.now();

    // ---- consume + index
    let consumed = 0;
    let indexed = 0;
    let done!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });

    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        try {
          const operations: unknown[] = [];
          for (const m of batch.messages) {
            const line = JSON.parse(m.value?.toString('utf8') ?? 'null') as LogLine;
            operations.push(
              { create: { _index: index, _id: docId(batch.topic, batch.partition, m.offset) } },
              { ...line, kafka: { partition: batch.partition, offset: Number(m.offset) } },
            );
          }
          const res = await es.bulk({ operations });
          if (res.errors) {
            const firstError = res.items.find((item) => item.create?.error !== undefined)?.create?.error;
            throw new Error(`bulk had errors: ${JSON.stringify(firstError)}`);
          }
          const last = batch.lastOffset();
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          await heartbeat();
          consumed += batch.messages.length;
          indexed += res.items.length;
          if (consumed >= TOTAL) done();
        } catch (err) {
          fail(err);
          throw err;
        }
      },
    });
    try {
      await Promise.race([
        finished,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: consumed ${consumed}/${TOTAL}`)), 45_000)),
      ]);
    } finally {
      await consumer.disconnect();
    }
    expect(consumed).toBe(TOTAL);
    expect(indexed).toBe(TOTAL);
    const tConsumed = Date.now();

    // ---- committed offsets equal the high watermarks
    const committed = await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const committedByPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    for (const p of highWatermarks) expect(committedByPartition.get(p.partition)).toBe(p.high);

    // ---- Elasticsearch has exactly TOTAL documents, one per line
    await es.indices.refresh({ index });
    const { count } = await es.count({ index });
    expect(count).toBe(TOTAL);
    const distinctSeq = await es.search({
      index,
      size: 0,
      aggs: { seqs: { cardinality: { field: 'seq', precision_threshold: 40_000 } } },
    });
    expect((distinctSeq.aggregations?.seqs as { value: number }).value).toBe(TOTAL);

    const sample = await es.search<LogLine & { kafka: { partition: number; offset: number } }>({
      index,
      query: { query_string: { query: 'seq:4242 AND event:http_request' } },
    });
    expect(sample.hits.hits).toHaveLength(1);
    const hit = sample.hits.hits[0];
    expect(hit?._source).toMatchObject(logLine(4242));
    const src = hit?._source;
    expect(hit?._id).toBe(docId(topic, src?.kafka.partition ?? -1, String(src?.kafka.offset ?? -1)));

    // ---- second run of the same group: nothing left to consume
    let reconsumed = 0;
    const again = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const joined = new Promise<void>((resolve) => {
      again.on(again.events.GROUP_JOIN, () => resolve());
    });
    await again.connect();
    try {
      await again.subscribe({ topics: [topic], fromBeginning: true });
      await again.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch }: EachBatchPayload) => {
          reconsumed += batch.messages.length;
        },
      });
      await joined;
      await new Promise((r) => setTimeout(r, 4_000));
    } finally {
      await again.disconnect();
    }
    expect(reconsumed).toBe(0);

    console.log(
      `[kafka-to-elasticsearch] produce ${tProduced - t0} ms, consume+index ${tConsumed - tProduced} ms, ` +
        `total ${Date.now() - t0} ms`,
    );
  });
});
