// Stage1Source against the real broker: raw lines (bench traffic + malformed lines) on a
// 4-partition topic -> partials topic (read_committed) whose entry weights per pattern equal what
// a fresh in-process Combiner counts on the same lines; every partials partition got source marks;
// malformed lines in the DLQ with their reason; committed raw offsets == end offsets. Crash case:
// an instance stopped without flushing while a second one joins the same group (two rebalances):
// still exactly the same weights (no double count, no loss); a transaction left open by a killed
// instance (partials + offsets) is aborted by the coordinator and never seen.
import { Partitioners } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPatterns } from '../../../src/config/load-patterns.js';
import type { KafkaConfig } from '../../../src/config/service-config.js';
import type { Pattern } from '../../../src/model/pattern.js';
import { Combiner } from '../../../src/shuffle/combiner.js';
import { decodeBatch, encodeBatch } from '../../../src/shuffle/partial.js';
import type { PartialBatch } from '../../../src/shuffle/partial.js';
import { Stage1Source, ensurePartialsTopic } from '../../../src/shuffle/stage1-source.js';
import { DLQ_HEADERS, DlqWriter } from '../../../src/source/dlq.js';
import { createKafka } from '../../../src/source/kafka-client.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { generateBenchData } from '../../bench/lib/data.js';
import { Cleanup, createTopic, deleteGroups, deleteTopics, kafkaClient, stackInfo, uniqueName, withAdmin } from '../helpers/stack.js';

const RAW_PARTITIONS = 4;
const PARTIALS = 3;
const N = 12_000;
const cleanup = new Cleanup();
afterAll(() => cleanup.run());
const logger = createLogger({ level: 'warn' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(what: string, timeoutMs: number, cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Line {
  partition: number;
  value: string;
}

/** Bench traffic (all pattern kinds: aggregated and single entries) plus malformed lines. */
function buildLines(): { lines: Line[]; bad: Set<string> } {
  const d = generateBenchData({ lines: N, rate: 200, orgs: 300 });
  const lines: Line[] = [];
  const bad = new Set<string>();
  for (let i = 0; i < d.count; i++) {
    lines.push({ partition: i % RAW_PARTITIONS, value: d.buf.subarray(d.starts[i]!, d.ends[i]!).toString('utf8') });
    if (i % 997 === 500) {
      const v = i % 2 === 0 ? `plain text, not json ${i}` : `{"broken": ${i}`;
      lines.push({ partition: i % RAW_PARTITIONS, value: v });
      bad.add(v);
    }
  }
  return { lines, bad };
}

/** Sum of entry weights per pattern, as a fresh in-process Combiner counts them. */
function expectedWeights(patterns: readonly Pattern[], lines: readonly Line[]): Map<string, number> {
  const c = new Combiner(patterns, { partitions: PARTIALS });
  lines.forEach((l, i) => c.push(l.value, Date.now(), l.partition, i));
  return weights(c.drain());
}

function weights(batches: readonly PartialBatch[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of batches) for (const e of b.e) out.set(e.p, (out.get(e.p) ?? 0) + (e.n ?? 1));
  return out;
}

/** `per` messages per send: small sends = small record batches = small fetches (a fetch returns whole batches). */
async function produce(kafka: Kafka, topic: string, lines: readonly Line[], per = 2000): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < lines.length; i += per) {
    await producer.send({ topic, acks: -1, messages: lines.slice(i, i + per).map((l) => ({ partition: l.partition, value: l.value })) });
  }
  await producer.disconnect();
}

async function offsetsDone(kafka: Kafka, groupId: string, topic: string): Promise<{ done: boolean; committed: Map<number, string>; end: Map<number, string> }> {
  return withAdmin(kafka, async (admin) => {
    const end = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
    const got = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map(got[0]!.partitions.map((p) => [p.partition, p.offset]));
    const done = [...end].every(([p, high]) => committed.get(p) === high);
    return { done, committed, end };
  });
}

/** Reads a topic to its current end with a read_committed consumer. */
async function readAll(kafka: Kafka, topic: string): Promise<Array<{ partition: number; value: Buffer; headers: Record<string, string> }>> {
  const high = await withAdmin(kafka, async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
  const groupId = uniqueName('reader');
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const out: Array<{ partition: number; value: Buffer; headers: Record<string, string> }> = [];
  const reached = new Map<number, bigint>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    reached.set(payload.partition, BigInt(payload.lastOffset) + 1n);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ partition, value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  try {
    await waitUntil(`reading ${topic} to its end`, 60_000, () => [...high].every(([p, h]) => h === 0n || (reached.get(p) ?? 0n) >= h));
  } finally {
    await consumer.disconnect();
    await deleteGroups(kafka, [groupId]).catch(() => undefined);
  }
  return out;
}

interface Setup {
  topic: string;
  groupId: string;
  partials: string;
  config: KafkaConfig;
}

async function setup(kafka: Kafka, name: string, lines: readonly Line[], per?: number): Promise<Setup> {
  const topic = uniqueName(name);
  const groupId = `${topic}-g`;
  const partials = `${groupId}-partials`;
  await createTopic(kafka, topic, RAW_PARTITIONS, [{ name: 'retention.ms', value: '-1' }]);
  await createTopic(kafka, `${topic}.dlq`, 1);
  cleanup.add(`topics of ${name}`, () => deleteTopics(kafka, [topic, `${topic}.dlq`, partials]));
  cleanup.add(`group of ${name}`, () => deleteGroups(kafka, [groupId]));
  await ensurePartialsTopic(kafka, partials, PARTIALS);
  await produce(kafka, topic, lines, per);
  const config: KafkaConfig = { brokers: stackInfo().kafkaBrokers, topics: [topic], group_id: groupId, client_id: 'tripline-it-stage1', ssl: false };
  return { topic, groupId, partials, config };
}

function stage1(s: Setup, patterns: readonly Pattern[], extra: { maxBytesPerPartition?: number } = {}) {
  const metrics = createMetrics();
  const kafka = createKafka(s.config, logger);
  const dlq = new DlqWriter({ kafka, config: s.config, logger, metrics });
  const fatal: Error[] = [];
  const src = new Stage1Source({
    kafka,
    config: s.config,
    combiner: new Combiner(patterns, { partitions: PARTIALS }),
    partialsTopic: s.partials,
    partitions: PARTIALS,
    dlq,
    logger,
    metrics,
    flushIntervalMs: 200,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    onFatal: (e) => fatal.push(e),
    ...extra,
  });
  return { src, dlq, metrics, fatal };
}

async function counter(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

function latencySummary(ms: readonly number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  return `n=${s.length} p50=${q(0.5)}ms p90=${q(0.9)}ms p99=${q(0.99)}ms max=${s.at(-1)!.toFixed(1)}ms`;
}

async function checkPartials(kafka: Kafka, s: Setup, want: Map<string, number>): Promise<PartialBatch[]> {
  const recs = await readAll(kafka, s.partials);
  const batches = recs.map((r) => ({ partition: r.partition, b: decodeBatch(r.value) }));
  expect(weights(batches.map((x) => x.b))).toEqual(want);
  for (let p = 0; p < PARTIALS; p++) {
    const mine = batches.filter((x) => x.partition === p).map((x) => x.b);
    expect(mine.length, `partials partition ${p} got batches`).toBeGreaterThan(0);
    const sources = new Set(mine.flatMap((b) => b.w.map((w) => w[0])));
    expect([...sources].sort(), `partials partition ${p}: marks of every source partition`).toEqual([0, 1, 2, 3]);
    expect(mine.every((b) => b.of === RAW_PARTITIONS)).toBe(true);
  }
  return batches.map((x) => x.b);
}

async function checkDlq(kafka: Kafka, s: Setup, bad: ReadonlySet<string>): Promise<void> {
  const dlq = await readAll(kafka, `${s.topic}.dlq`);
  expect(new Set(dlq.map((r) => r.value.toString('utf8')))).toEqual(bad);
  for (const r of dlq) {
    expect(r.headers[DLQ_HEADERS.reason]).toMatch(/^[a-z_]+$/);
    expect(r.headers[DLQ_HEADERS.topic]).toBe(s.topic);
  }
}

describe('Stage1Source (real broker)', () => {
  const kafka = kafkaClient('tripline-it-stage1');
  const { lines, bad } = buildLines();
  let patterns: Pattern[];

  it('exactly-once partials: weights per pattern, source marks, DLQ, committed offsets', async () => {
    patterns = await loadPatterns('patterns');
    const want = expectedWeights(patterns, lines);
    expect(want.size).toBeGreaterThan(3);
    const s = await setup(kafka, 'stage1', lines);
    await ensurePartialsTopic(kafka, s.partials, PARTIALS); // exists with the same count: fine
    await expect(ensurePartialsTopic(kafka, s.partials, PARTIALS + 2)).rejects.toThrow(/has 3 partition\(s\) but 5/);

    const { src, dlq, metrics, fatal } = stage1(s, patterns);
    await src.start();
    expect(src.sourceIndex?.total).toBe(RAW_PARTITIONS);
    await waitUntil('raw offsets committed to the end', 90_000, async () => (await offsetsDone(kafka, s.groupId, s.topic)).done);
    expect(src.probe().ok).toBe(true);
    await src.stop();
    await dlq.stop();
    expect(fatal).toEqual([]);
    console.log(`stage1 txn latency (local broker): ${latencySummary(src.txnLatenciesMs)}`);

    const { committed, end } = await offsetsDone(kafka, s.groupId, s.topic);
    expect(committed).toEqual(end);
    await checkPartials(kafka, s, want);
    await checkDlq(kafka, s, bad);
    expect(await counter(metrics, 'tripline_records_invalid_total')).toBe(bad.size);
    expect(await counter(metrics, 'tripline_partials_transactions_total', { outcome: 'committed' })).toBeGreaterThan(0);
  });

  it('crash without flush + a second instance joining: no double count, no loss', async () => {
    patterns ??= await loadPatterns('patterns');
    const want = expectedWeights(patterns, lines);
    const s = await setup(kafka, 'stage1-crash', lines, 40);

    // Small record batches and fetches: the first instance is still mid-way when the second joins and when it crashes.
    const a = stage1(s, patterns, { maxBytesPerPartition: 2048 });
    await a.src.start();
    await waitUntil('a few transactions of instance A', 60_000, async () => (await counter(a.metrics, 'tripline_partials_transactions_total', { outcome: 'committed' })) >= 3);
    const b = stage1(s, patterns, { maxBytesPerPartition: 2048 });
    await b.src.start();
    await waitUntil('B owns partitions', 60_000, () => b.src.assignment().length > 0);
    const mid = await offsetsDone(kafka, s.groupId, s.topic);
    expect(mid.done, 'crash happens before everything is committed').toBe(false);
    const unflushed = a.src.unflushed();
    await a.src.stop({ flush: false });
    await a.dlq.stop();

    // A dead instance killed mid-transaction: partials written and raw offsets sent, never
    // committed. The coordinator aborts it after its transaction timeout; nobody may see it. Until
    // then the partials partition's last stable offset stays at the zombie's record, so
    // read_committed readers (stage 2, and this test's reader) wait there: a delay, not a loss.
    const zombie = kafka.producer({ transactionalId: `${s.groupId}-partials-zombie`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 5_000 });
    await zombie.connect();
    const zt = await zombie.transaction();
    const fake: PartialBatch = { v: 1, of: RAW_PARTITIONS, e: [{ p: [...want.keys()][0]!, k: 'zombie', r: 1, t: Date.now(), n: 1_000_000 }], w: [] };
    const [zmd] = await zt.send({ topic: s.partials, acks: -1, messages: [{ partition: 0, value: encodeBatch(fake) }] });
    const zombieOffset = BigInt(zmd?.baseOffset ?? '0');
    await zt.sendOffsets({ consumerGroupId: s.groupId, topics: [{ topic: s.topic, partitions: [{ partition: 0, offset: mid.end.get(0)! }] }] });
    await zombie.disconnect(); // no commit, no abort
    console.log(`crash: instance A stopped with ${unflushed.entries} unflushed entries over ${unflushed.partitions} partition(s); zombie transaction left open`);

    await waitUntil('raw offsets committed to the end', 120_000, async () => (await offsetsDone(kafka, s.groupId, s.topic)).done);
    await b.src.stop();
    await b.dlq.stop();
    expect(a.fatal).toEqual([]);
    expect(b.fatal).toEqual([]);
    console.log(`stage1 txn latency, crash case (B): ${latencySummary(b.src.txnLatenciesMs)}`);
    // The "end" kafkajs' admin reports for the partials topic is its last stable offset: wait
    // until the coordinator aborted the zombie (LSO past its record) before reading to the end.
    await waitUntil('zombie transaction aborted', 60_000, async () =>
      withAdmin(kafka, async (admin) => BigInt((await admin.fetchTopicOffsets(s.partials)).find((o) => o.partition === 0)!.high) > zombieOffset),
    );
    await checkPartials(kafka, s, want);
    await checkDlq(kafka, s, bad);
  });
});
