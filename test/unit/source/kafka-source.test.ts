import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { KafkaConfig } from '../../../src/config/service-config.js';
import { KafkaSource } from '../../../src/source/kafka-source.js';
import type { BatchContext, SourceRecord } from '../../../src/source/kafka-source.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

const config: KafkaConfig = { brokers: ['k:9092'], topics: ['logs'], group_id: 'g', client_id: 'c', ssl: false };
const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
  STOP: 'consumer.stop',
} as const;

function fakeKafka() {
  const listeners = new Map<string, Array<(e: { payload: unknown }) => void>>();
  const commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  const state = { eachBatch: undefined as undefined | ((p: EachBatchPayload) => Promise<void>), paused: [] as unknown[], disconnected: false };
  const consumer = {
    events: EVENTS,
    on: (ev: string, fn: (e: { payload: unknown }) => void) => {
      listeners.set(ev, [...(listeners.get(ev) ?? []), fn]);
      return () => undefined;
    },
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (cfg: { eachBatch: (p: EachBatchPayload) => Promise<void>; autoCommit: boolean; eachBatchAutoResolve: boolean }) => {
      expect(cfg.autoCommit).toBe(false);
      expect(cfg.eachBatchAutoResolve).toBe(false);
      state.eachBatch = cfg.eachBatch;
    },
    commitOffsets: async (o: Array<{ topic: string; partition: number; offset: string }>) => {
      commits.push(o);
    },
    pause: (x: unknown) => state.paused.push(x),
    resume: () => undefined,
    disconnect: async () => {
      state.disconnected = true;
    },
  };
  const emit = (ev: string, payload: unknown) => listeners.get(ev)?.forEach((fn) => fn({ payload }));
  const kafka = { consumer: () => consumer, admin: () => ({}) } as unknown as Kafka;
  return { kafka, commits, state, emit };
}

function payload(partition: number, offsets: number[], heartbeat: () => Promise<void> = async () => undefined) {
  const resolved: string[] = [];
  const messages = offsets.map((o) => ({ offset: String(o), timestamp: '1000', key: null, value: Buffer.from('{}'), headers: {} }) as unknown as KafkaMessage);
  const p = {
    batch: {
      topic: 'logs',
      partition,
      messages,
      highWatermark: String(offsets[offsets.length - 1]! + 10),
      lastOffset: () => String(offsets[offsets.length - 1]),
    },
    resolveOffset: (o: string) => resolved.push(o),
    heartbeat,
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload;
  return { p, resolved };
}

async function started(handler: (r: SourceRecord[], ctx: BatchContext) => Promise<void>, extra: Partial<ConstructorParameters<typeof KafkaSource>[0]> = {}) {
  const f = fakeKafka();
  const metrics = createMetrics();
  const src = new KafkaSource({ kafka: f.kafka, config, handler, logger: silentLogger(), metrics, lagIntervalMs: 0, commitIntervalMs: 60_000, ...extra });
  await src.start();
  f.emit(EVENTS.GROUP_JOIN, { groupId: 'g', memberAssignment: { logs: [0, 1] } });
  return { f, src, metrics };
}

describe('KafkaSource (fake consumer)', () => {
  it('commits only acknowledged, contiguous offsets', async () => {
    let ctxRef: BatchContext | undefined;
    let held: SourceRecord[] = [];
    const { f, src, metrics } = await started(async (records, ctx) => {
      ctxRef = ctx;
      held = records;
      for (const r of records) ctx.hold(r);
    });
    const { p, resolved } = payload(0, [0, 1, 2, 3]);
    await f.state.eachBatch!(p);
    expect(resolved).toEqual(['3']);
    await src.commit();
    expect(f.commits).toEqual([]);
    ctxRef!.ack(held[1]!);
    ctxRef!.ack(held[0]!);
    await src.commit();
    expect(f.commits.at(-1)).toEqual([{ topic: 'logs', partition: 0, offset: '2' }]);
    ctxRef!.ack(held[3]!);
    ctxRef!.ack(held[2]!);
    await src.commit();
    expect(f.commits.at(-1)).toEqual([{ topic: 'logs', partition: 0, offset: '4' }]);
    expect((await metrics.recordsConsumed.get()).values[0]?.value).toBe(4);
    expect(src.probe()).toEqual({ ok: true, detail: 'member of group g, 2 partition(s)' });
  });

  it('on a rebalance: onRevoke, drain, commit, then rethrow', async () => {
    const onRevoke = vi.fn(async () => undefined);
    const { f } = await started(async () => undefined, { onRevoke, revokeDrainTimeoutMs: 100 });
    const err = Object.assign(new Error('rebalance'), { type: 'REBALANCE_IN_PROGRESS' });
    const { p } = payload(1, [5, 6], async () => {
      throw err;
    });
    await expect(f.state.eachBatch!(p)).rejects.toBe(err);
    expect(onRevoke).toHaveBeenCalledOnce();
    expect(f.commits.at(-1)).toEqual([{ topic: 'logs', partition: 1, offset: '7' }]);
  });

  it('ignores acks of a previous generation', async () => {
    let ctxRef: BatchContext | undefined;
    let held: SourceRecord[] = [];
    const { f, src } = await started(async (records, ctx) => {
      ctxRef = ctx;
      held = records;
      ctx.hold(records[0]!);
    });
    await f.state.eachBatch!(payload(0, [0]).p);
    f.emit(EVENTS.GROUP_JOIN, { groupId: 'g', memberAssignment: { logs: [0] } });
    expect(ctxRef!.isStale()).toBe(true);
    expect(() => ctxRef!.ack(held[0]!)).not.toThrow();
    await f.state.eachBatch!(payload(0, [0]).p); // redelivered by kafkajs after the rejoin
    expect(src.tracker.committable('logs', 0)).toBe('0');
  });

  it('a failing handler pauses the partition, reports fatal, and holds the commit', async () => {
    const onFatal = vi.fn();
    const { f, src } = await started(async () => {
      throw new Error('bug');
    }, { onFatal });
    const { p, resolved } = payload(0, [0, 1]);
    await f.state.eachBatch!(p);
    expect(resolved).toEqual([]);
    expect(onFatal).toHaveBeenCalledOnce();
    expect(onFatal.mock.calls[0]![0]).toMatchObject({ code: 'INTERNAL' });
    expect(src.paused()).toEqual([{ topic: 'logs', partition: 0 }]);
    expect(src.probe().ok).toBe(false);
    await src.commit();
    expect(f.commits).toEqual([]);
  });

  it('stop: pauses, drains, final commit, disconnects; commit:false skips the commit', async () => {
    let ctxRef: BatchContext | undefined;
    let held: SourceRecord[] = [];
    const { f, src } = await started(async (records, ctx) => {
      ctxRef = ctx;
      held = records;
      ctx.hold(records[0]!);
    });
    await f.state.eachBatch!(payload(0, [0, 1]).p);
    setTimeout(() => ctxRef!.ack(held[0]!), 50);
    await src.stop({ drainTimeoutMs: 2000 });
    expect(f.commits.at(-1)).toEqual([{ topic: 'logs', partition: 0, offset: '2' }]);
    expect(f.state.disconnected).toBe(true);

    const g = await started(async () => undefined);
    await g.f.state.eachBatch!(payload(0, [0]).p);
    await g.src.stop({ commit: false });
    expect(g.f.commits).toEqual([]);
  });
});
