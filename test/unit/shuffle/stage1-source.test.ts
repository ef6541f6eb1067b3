// Stage1Source with a fake kafkajs (no broker): source indices passed to the combiner, one
// transaction per flush with a batch for every partials partition + next offsets, retry after an
// aborted transaction, rollback (seek back) after repeated failures, discard on GROUP_JOIN,
// a new producer after a failed transaction, DLQ before the transaction, fenced producer -> onFatal, stop without flush commits nothing.
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaConfig } from '../../../src/config/service-config.js';
import type { Pattern } from '../../../src/model/pattern.js';
import { parsePatterns } from '../../../src/config/load-patterns.js';
import { Combiner } from '../../../src/shuffle/combiner.js';
import { decodeBatch } from '../../../src/shuffle/partial.js';
import { Stage1Source } from '../../../src/shuffle/stage1-source.js';
import type { DlqEntry, DlqWriter } from '../../../src/source/dlq.js';
import { createLogger } from '../../../src/telemetry/logger.js';

const PATTERNS: Pattern[] = parsePatterns(
  `
- id: errs
  match: { event: request_failed }
  group_by: [service]
  detect: { type: threshold, window: 1m, resolution: 10s, op: '>=', value: 3 }
  severity: error
  summary: "{{value}} failures"
`,
  'inline.yaml',
);

type Handler = (...a: unknown[]) => void;
interface Txn {
  sent: Array<{ partition: number; value: Buffer }>;
  /** Partitions of each send call. */
  sends: number[][];
  offsets: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  outcome?: 'commit' | 'abort';
}

class FakeKafka {
  txns: Txn[] = [];
  /** Errors thrown by the next commits (one per commit). */
  commitErrors: unknown[] = [];
  seeks: Array<{ topic: string; partition: number; offset: string }> = [];
  handlers = new Map<string, Handler>();
  eachBatch: ((p: unknown) => Promise<void>) | undefined;
  constructor(readonly counts: Record<string, number>) {}
  admin() {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({ name, partitions: Array.from({ length: this.counts[name] ?? 0 }, (_, i) => ({ partitionId: i })) })),
      }),
    };
  }
  producers = 0;
  producer() {
    this.producers++;
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      transaction: async () => {
        const t: Txn = { sent: [], sends: [], offsets: [] };
        let active = true;
        this.txns.push(t);
        return {
          send: async ({ messages }: { messages: Array<{ partition: number; value: Buffer }> }) => {
            t.sent.push(...messages);
            t.sends.push(messages.map((m) => m.partition));
          },
          sendOffsets: async ({ topics }: { topics: Txn['offsets'] }) => void t.offsets.push(...topics),
          commit: async () => {
            const e = this.commitErrors.shift();
            if (e !== undefined) throw e;
            active = false;
            t.outcome = 'commit';
          },
          abort: async () => {
            active = false;
            t.outcome = 'abort';
          },
          isActive: () => active,
        };
      },
    };
  }
  consumer() {
    return {
      events: { GROUP_JOIN: 'join', CRASH: 'crash', STOP: 'stop' },
      on: (ev: string, fn: Handler) => void this.handlers.set(ev, fn),
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async ({ eachBatch }: { eachBatch: (p: unknown) => Promise<void> }) => void (this.eachBatch = eachBatch),
      pause: () => undefined,
      resume: () => undefined,
      seek: (x: { topic: string; partition: number; offset: string }) => void this.seeks.push(x),
      disconnect: async () => undefined,
    };
  }
  join(assignment: Record<string, number[]>): void {
    this.handlers.get('join')!({ payload: { groupId: 'g', memberAssignment: assignment } });
  }
  async batch(topic: string, partition: number, first: number, values: string[]): Promise<string[]> {
    const resolved: string[] = [];
    const messages = values.map((v, i) => ({ offset: String(first + i), timestamp: '1767225600000', value: Buffer.from(v), key: null, headers: {} }));
    const last = String(first + values.length - 1);
    await this.eachBatch!({
      batch: { topic, partition, messages, lastOffset: () => last, highWatermark: String(first + values.length) },
      resolveOffset: (o: string) => void resolved.push(o),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
    return resolved;
  }
}

const line = (service: string, sec: number) => JSON.stringify({ '@timestamp': new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(), event: 'request_failed', service });
const config: KafkaConfig = { brokers: ['x:1'], topics: ['a', 'b'], group_id: 'g', client_id: 'c', ssl: false };

function make(o: { flushIntervalMs?: number; txnAttempts?: number; maxRecordBytes?: number } = {}) {
  const fk = new FakeKafka({ a: 2, b: 3 });
  const dlqWrites: DlqEntry[][] = [];
  const dlq = { start: async () => undefined, writeMany: async (e: readonly DlqEntry[]) => void dlqWrites.push([...e]) } as unknown as DlqWriter;
  const combiner = new Combiner(PATTERNS, { partitions: 2 });
  const fatal: Error[] = [];
  const src = new Stage1Source({
    kafka: fk as unknown as Kafka,
    config,
    combiner,
    partialsTopic: 'g-partials',
    partitions: 2,
    dlq,
    logger: createLogger({ level: 'silent' }),
    flushIntervalMs: o.flushIntervalMs ?? 0,
    txnAttempts: o.txnAttempts ?? 3,
    instanceId: 'i1',
    ...(o.maxRecordBytes === undefined ? {} : { maxRecordBytes: o.maxRecordBytes }),
    onFatal: (e) => fatal.push(e),
  });
  return { fk, dlqWrites, combiner, src, fatal };
}

const weight = (t: { sent: Array<{ value: Buffer }> }) => t.sent.flatMap((m) => decodeBatch(m.value).e).reduce((s, e) => s + (e.n ?? 1), 0);

describe('Stage1Source (fake kafkajs)', () => {
  it('indexes sources densely, writes every partials partition and next offsets in one committed transaction', async () => {
    const { fk, combiner, src } = make();
    await src.start();
    expect(combiner.sourceCount).toBe(5);
    expect(src.transactionalId).toBe('g-partials-i1');
    fk.join({ a: [0, 1], b: [0, 1, 2] });
    const resolved = await fk.batch('b', 1, 10, [line('api', 1), line('web', 2), line('api', 3)]);
    expect(resolved).toEqual(['12']);
    expect(fk.txns).toHaveLength(1);
    const t = fk.txns[0]!;
    expect(t.outcome).toBe('commit');
    expect(t.sent.map((m) => m.partition).sort()).toEqual([0, 1]);
    expect(weight(t)).toBe(3);
    for (const m of t.sent) {
      const b = decodeBatch(m.value);
      expect(b.of).toBe(5);
      expect(b.w.map((w) => w[0])).toEqual([3]); // b[1] = 2 (partitions of a) + 1
    }
    expect(t.offsets).toEqual([{ topic: 'b', partitions: [{ partition: 1, offset: '13' }] }]);
    await src.stop();
    expect(fk.txns).toHaveLength(1); // nothing left to flush
  });

  it('a batch split into several records goes out in rounds (one record per partition per send = per record batch)', async () => {
    const { fk, src } = make({ maxRecordBytes: 400 });
    await src.start();
    fk.join({ a: [0] });
    await fk.batch('a', 0, 0, Array.from({ length: 12 }, (_, i) => line(`svc${i}`, i)));
    const t = fk.txns[0]!;
    expect(t.outcome).toBe('commit');
    expect(t.sends.length).toBeGreaterThan(1);
    for (const parts of t.sends) expect(new Set(parts).size).toBe(parts.length);
    expect(weight(t)).toBe(12);
    for (const p of [0, 1]) {
      const mine = t.sent.filter((m) => m.partition === p).map((m) => decodeBatch(m.value));
      expect(mine.at(-1)!.w.length).toBe(1);
      expect(mine.slice(0, -1).every((b) => b.w.length === 0)).toBe(true);
    }
    await src.stop();
  });

  it('dead-letters bad records before the transaction', async () => {
    const { fk, dlqWrites, src } = make();
    await src.start();
    fk.join({ a: [0] });
    await fk.batch('a', 0, 0, ['not json', line('api', 1)]);
    expect(dlqWrites).toHaveLength(1);
    expect(dlqWrites[0]!.map((d) => [d.record.offset, d.reason])).toEqual([['0', 'not_json']]);
    expect(fk.txns[0]!.offsets[0]!.partitions[0]!.offset).toBe('2');
    await src.stop();
  });

  it('retries an aborted transaction with the same batches', async () => {
    const { fk, src } = make();
    await src.start();
    fk.join({ a: [0] });
    fk.commitErrors.push(Object.assign(new Error('coordinator moved'), { type: 'NOT_COORDINATOR', retriable: true }));
    await fk.batch('a', 0, 0, [line('api', 1), line('api', 2)]);
    expect(fk.txns.map((t) => t.outcome)).toEqual(['abort', 'commit']);
    expect(weight(fk.txns[1]!)).toBe(2);
    expect(fk.producers).toBe(2); // a new producer epoch after the failed transaction
    expect(fk.seeks).toEqual([]);
    await src.stop();
  });

  it('rolls back (seeks to the first uncommitted offset) when every attempt fails', async () => {
    const { fk, combiner, src } = make({ txnAttempts: 2 });
    await src.start();
    fk.join({ a: [0, 1] });
    const boom = () => Object.assign(new Error('timeout'), { type: 'REQUEST_TIMED_OUT', retriable: true });
    fk.commitErrors.push(boom(), boom());
    await fk.batch('a', 1, 7, [line('api', 1)]);
    expect(fk.txns.map((t) => t.outcome)).toEqual(['abort', 'abort']);
    expect(fk.seeks).toEqual([{ topic: 'a', partition: 1, offset: '7' }]);
    expect(combiner.size).toBe(0);
    // Re-read after the seek: committed once.
    await fk.batch('a', 1, 7, [line('api', 1)]);
    expect(fk.txns.at(-1)!.outcome).toBe('commit');
    expect(weight(fk.txns.at(-1)!)).toBe(1);
    await src.stop();
  });

  it('a fenced producer is fatal', async () => {
    const { fk, src, fatal } = make();
    await src.start();
    fk.join({ a: [0] });
    fk.commitErrors.push(Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH', retriable: false }));
    await fk.batch('a', 0, 0, [line('api', 1)]);
    expect(fatal).toHaveLength(1);
    expect(src.probe().ok).toBe(false);
    await src.stop();
  });

  it('GROUP_JOIN discards unflushed state; stop({flush:false}) commits nothing; stop() flushes', async () => {
    const { fk, combiner, src } = make({ flushIntervalMs: 60_000 });
    await src.start();
    fk.join({ a: [0] });
    await fk.batch('a', 0, 0, [line('api', 1), line('web', 1)]);
    expect(combiner.size).toBe(2);
    expect(fk.txns).toHaveLength(0);
    fk.join({ a: [0, 1] });
    expect(combiner.size).toBe(0);
    await fk.batch('a', 0, 0, [line('api', 1)]);
    await src.stop();
    expect(fk.txns).toHaveLength(1);
    expect(weight(fk.txns[0]!)).toBe(1);
    expect(fk.txns[0]!.offsets).toEqual([{ topic: 'a', partitions: [{ partition: 0, offset: '1' }] }]);

    const crash = make({ flushIntervalMs: 60_000 });
    await crash.src.start();
    crash.fk.join({ a: [0] });
    await crash.fk.batch('a', 0, 0, [line('api', 1)]);
    await crash.src.stop({ flush: false });
    expect(crash.fk.txns).toHaveLength(0);
  });
});
