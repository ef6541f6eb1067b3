// KafkaSource + DlqWriter against the real broker: out-of-order delayed acks, a crash without
// commit mid-way, restart with the same group -> every record processed at least once, committed
// offsets never ahead of acknowledged records; dead-letter writes land with their headers.
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaConfig } from '../../../src/config/service-config.js';
import { DLQ_HEADERS, DlqWriter } from '../../../src/source/dlq.js';
import { createKafka } from '../../../src/source/kafka-client.js';
import { KafkaSource } from '../../../src/source/kafka-source.js';
import type { BatchHandler, SourceRecord } from '../../../src/source/kafka-source.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { Cleanup, createTopic, deleteGroups, deleteTopics, kafkaClient, stackInfo, uniqueName, withAdmin } from '../helpers/stack.js';

const N = 600;
const PARTITIONS = 4;
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const key = (r: { partition: number; offset: string }) => `${r.partition}:${r.offset}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(what: string, timeoutMs: number, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
  const res = await withAdmin(kafkaClient(), (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return new Map(res[0]!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

describe('KafkaSource (real broker)', () => {
  it('at-least-once across a crash, commits never ahead of acks, DLQ with headers', async () => {
    const topic = uniqueName('source');
    const dlqTopic = `${topic}.dlq`;
    const groupId = uniqueName('source-group');
    const admin = kafkaClient();
    await createTopic(admin, topic, PARTITIONS);
    await createTopic(admin, dlqTopic, 1);
    cleanup.add('topics', () => deleteTopics(admin, [topic, dlqTopic]));
    cleanup.add('group', () => deleteGroups(admin, [groupId]));

    const producer = admin.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: N }, (_, i) => ({ key: `k${i % 37}`, value: JSON.stringify({ i }) })),
    });
    await producer.disconnect();

    const config: KafkaConfig = {
      brokers: stackInfo().kafkaBrokers,
      topics: [topic],
      group_id: groupId,
      client_id: 'tripline-it-source',
      ssl: false,
    };
    const logger = createLogger({ level: 'warn' });
    const metrics = createMetrics();
    const processed = new Map<string, number>(); // record -> times handed to the handler
    const acked = new Set<string>();

    // Run 1: every record gets one derived output acked after a random delay (out of order).
    // Stop without committing (a crash) once about half the records were handed out.
    const handler1: BatchHandler = async (records, ctx) => {
      for (const r of records) {
        processed.set(key(r), (processed.get(key(r)) ?? 0) + 1);
        ctx.hold(r);
        setTimeout(() => {
          acked.add(key(r));
          ctx.ack(r);
        }, Math.random() * 300);
      }
    };
    const s1 = new KafkaSource({
      kafka: createKafka(config, logger),
      config,
      handler: handler1,
      logger,
      metrics,
      commitIntervalMs: 100,
      lagIntervalMs: 0,
      maxBytesPerPartition: 2048, // small batches: many commits while acks are outstanding
    });
    // Check the invariant at every commit the source makes.
    const violations: string[] = [];
    const origCommit = s1.commit.bind(s1);
    s1.commit = async () => {
      const pending = s1.tracker.pendingCommits();
      for (const c of pending) {
        for (let o = 0n; o < BigInt(c.offset); o++) {
          if (processed.has(`${c.partition}:${o}`) && !acked.has(`${c.partition}:${o}`)) {
            violations.push(`commit ${c.partition}@${c.offset} ahead of unacked ${o}`);
          }
        }
      }
      return origCommit();
    };
    await s1.start();
    await waitUntil('half the records', 60_000, () => processed.size >= N / 2);
    await sleep(200); // let some acks and a periodic commit happen
    await s1.stop({ commit: false });
    expect(violations).toEqual([]);

    // Committed offsets after the crash are never ahead of what was acknowledged.
    const afterCrash = await committedOffsets(groupId, topic);
    for (const [p, c] of afterCrash) {
      for (let o = 0n; o < c; o++) expect(acked.has(`${p}:${o}`), `partition ${p} offset ${o} < committed ${c}`).toBe(true);
    }
    const committedSomething = [...afterCrash.values()].some((c) => c > 0n);
    expect(committedSomething).toBe(true);

    // Run 2: same group, immediate acks, DLQ every 50th record; graceful stop.
    const dlq = new DlqWriter({ kafka: createKafka(config, logger), config, logger, metrics });
    await dlq.start();
    const dlqWritten: SourceRecord[] = [];
    const second = new Set<string>();
    const handler2: BatchHandler = async (records, ctx) => {
      for (const r of records) {
        processed.set(key(r), (processed.get(key(r)) ?? 0) + 1);
        second.add(key(r));
        const { i } = JSON.parse(r.value!.toString()) as { i: number };
        if (i % 50 === 0) {
          ctx.hold(r);
          dlqWritten.push(r);
          void dlq.write({ record: r, reason: 'test_reason', detail: `record ${i} sent to DLQ` }).then(() => ctx.ack(r));
        }
      }
    };
    const s2 = new KafkaSource({ kafka: createKafka(config, logger), config, handler: handler2, logger, metrics, commitIntervalMs: 200, lagIntervalMs: 0 });
    const ends = await withAdmin(kafkaClient(), (a) => a.fetchTopicOffsets(topic));
    await s2.start();
    // Done when run 2 acknowledged every partition up to its end (redeliveries included).
    await waitUntil('run 2 acknowledged everything', 90_000, () =>
      ends.every((e) => s2.tracker.committable(topic, e.partition) === e.high || (e.high === '0' && true)),
    );
    expect(s2.probe().ok).toBe(true);
    await s2.stop({ drainTimeoutMs: 10_000 });
    await dlq.stop();

    // At least once: every record was seen; records not committed by run 1 were seen again.
    expect(processed.size).toBe(N);
    for (const [k] of processed) {
      const [p, o] = k.split(':');
      if (BigInt(o!) >= (afterCrash.get(Number(p)) ?? -1n)) expect(second.has(k), `redelivery of ${k}`).toBe(true);
    }
    // Final commit reached the end of every partition.
    const final = await committedOffsets(groupId, topic);
    for (const e of ends) expect(final.get(e.partition)).toBe(BigInt(e.high));

    // Dead-letter records landed with their headers.
    const dlqConsumer = kafkaClient().consumer({ groupId: uniqueName('dlq-reader') });
    const got: Array<{ value: string; headers: Record<string, string> }> = [];
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({ value: message.value!.toString(), headers });
      },
    });
    await waitUntil('DLQ records', 60_000, () => got.length >= dlqWritten.length);
    await dlqConsumer.disconnect();
    expect(dlqWritten.length).toBeGreaterThan(0);
    const sample = dlqWritten[0]!;
    const landed = got.find((g) => g.headers[DLQ_HEADERS.offset] === sample.offset && g.headers[DLQ_HEADERS.partition] === String(sample.partition));
    expect(landed).toBeDefined();
    expect(landed!.value).toBe(sample.value!.toString());
    expect(landed!.headers).toMatchObject({
      [DLQ_HEADERS.reason]: 'test_reason',
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.timestamp]: String(sample.timestamp),
    });
    expect(landed!.headers[DLQ_HEADERS.detail]).toMatch(/^record \d+ sent to DLQ$/);
    expect((await metrics.dlqRecords.get()).values.reduce((a, v) => a + v.value, 0)).toBe(dlqWritten.length);
  });
});
