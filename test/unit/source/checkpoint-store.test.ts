// CheckpointStore with a fake kafkajs: gzip JSON encode/decode round trip through save/load (latest
// value for our key wins, other keys ignored), version checking, corrupt and missing checkpoints.
import { gunzipSync } from 'node:zlib';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, checkCheckpointVersion, decodeCheckpoint, encodeCheckpoint } from '../../../src/source/checkpoint-store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

interface Msg {
  key: Buffer;
  value: Buffer;
  offset: string;
}

/** One-partition topic in memory; producer.send appends, a consumer replays it in one batch. */
function fakeKafka(opts: { failSend?: Error } = {}) {
  const log: Msg[] = [];
  const sends: Array<{ acks?: number; topic: string }> = [];
  const created: unknown[] = [];
  let topics: string[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (r: { topic: string; acks?: number; messages: Array<{ key: string; value: Buffer }> }) => {
        if (opts.failSend) throw opts.failSend;
        sends.push({ topic: r.topic, ...(r.acks === undefined ? {} : { acks: r.acks }) });
        for (const m of r.messages) log.push({ key: Buffer.from(m.key), value: m.value, offset: String(log.length) });
        return [];
      },
    }),
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => topics,
      createTopics: async (r: { topics: Array<{ topic: string }> }) => {
        created.push(r);
        topics = [...topics, ...r.topics.map((t) => t.topic)];
        return true;
      },
      fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: String(log.length), offset: String(log.length) }],
      fetchTopicMetadata: async (r: { topics: string[] }) => ({
        topics: r.topics.filter((t) => topics.includes(t)).map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })),
      }),
      deleteGroups: async () => [],
    }),
    consumer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      subscribe: async () => undefined,
      run: async ({ eachBatch }: { eachBatch: (p: { batch: { messages: Msg[]; lastOffset: () => string } }) => Promise<void> }) => {
        setTimeout(() => void eachBatch({ batch: { messages: log, lastOffset: () => String(log.length - 1) } }), 1);
      },
    }),
  } as unknown as Kafka;
  return { kafka, log, sends, created };
}

const store = (kafka: Kafka, key = 'g1') => new CheckpointStore({ kafka, topic: 'g1-state', key, logger: silentLogger(), loadTimeoutMs: 2000 });

const sample = {
  version: 1,
  group_id: 'g1',
  saved_at: '2026-03-02T10:00:00.000Z',
  engine: { patterns: { 'svc-errors': { groups: [['["api"]', { count: 3, buckets: [1, 2, 0.5, null] }]] } }, watermark: 1_772_445_600_000 },
  offsets: { logs: { '0': '42', '2': '9007199254740993' } },
  partition_index: [['logs', 0], ['logs', 2]],
  metrics: { last: [['svc-errors', '["api"]', 3]] },
};

describe('checkpoint encoding', () => {
  it('round-trips JSON through gzip, byte-for-byte the same structure', () => {
    const buf = encodeCheckpoint(sample);
    expect(buf[0]).toBe(0x1f); // gzip magic
    expect(buf[1]).toBe(0x8b);
    expect(JSON.parse(gunzipSync(buf).toString('utf8'))).toEqual(sample);
    expect(decodeCheckpoint(buf)).toEqual(sample);
  });

  it('refuses bytes that are not gzip JSON with STATE_RESTORE_FAILED', () => {
    expect(() => decodeCheckpoint(Buffer.from('{"version":1}'), 'checkpoint at offset 7')).toThrow(/checkpoint at offset 7 is not valid gzip JSON/);
    const notJson = encodeCheckpoint('x').subarray(0, 5);
    expect(() => decodeCheckpoint(notJson)).toThrowError(expect.objectContaining({ code: 'STATE_RESTORE_FAILED' }) as Error);
  });
});

describe('checkCheckpointVersion', () => {
  it('accepts the expected version', () => {
    expect(checkCheckpointVersion<typeof sample>(sample, 1, 'cp')).toBe(sample);
  });

  it.each([[{ ...sample, version: 2 }, '2'], [{ ...sample, version: '1' }, '"1"'], [{ engine: {} }, 'undefined'], [null, 'undefined'], ['junk', 'undefined']])(
    'refuses %j with a clear, non-retriable error',
    (value, shown) => {
      let err: unknown;
      try {
        checkCheckpointVersion(value, 1, 'checkpoint of group g1 in g1-state');
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'STATE_RESTORE_FAILED', retriable: false });
      expect((err as Error).message).toContain(`checkpoint of group g1 in g1-state: unsupported checkpoint version ${shown} (this tripline reads version 1)`);
    },
  );
});

describe('CheckpointStore', () => {
  it('save -> load returns what was saved (acks=all, keyed by group)', async () => {
    const f = fakeKafka();
    const s = store(f.kafka);
    await s.save(sample);
    expect(f.sends).toEqual([{ topic: 'g1-state', acks: -1 }]);
    expect(s.lastBytes).toBe(f.log[0]!.value.length);
    expect(f.log[0]!.key.toString()).toBe('g1');
    expect(await s.load()).toEqual(sample);
    await s.close();
  });

  it('load returns the latest value for its own key, ignoring other keys', async () => {
    const f = fakeKafka();
    await store(f.kafka, 'g1').save({ ...sample, saved_at: 'first' });
    await store(f.kafka, 'other').save({ ...sample, group_id: 'other' });
    await store(f.kafka, 'g1').save({ ...sample, saved_at: 'second' });
    await store(f.kafka, 'other').save({ ...sample, group_id: 'other', saved_at: 'third' });
    expect(await store(f.kafka, 'g1').load()).toMatchObject({ saved_at: 'second', group_id: 'g1' });
  });

  it('load of an empty topic, or one without our key, is undefined', async () => {
    const f = fakeKafka();
    expect(await store(f.kafka).load()).toBeUndefined();
    await store(f.kafka, 'other').save(sample);
    expect(await store(f.kafka, 'g1').load()).toBeUndefined();
  });

  it('a corrupt stored value fails the load with STATE_RESTORE_FAILED naming the offset', async () => {
    const f = fakeKafka();
    f.log.push({ key: Buffer.from('g1'), value: Buffer.from('not gzip'), offset: '0' });
    await expect(store(f.kafka).load()).rejects.toMatchObject({ code: 'STATE_RESTORE_FAILED', message: expect.stringContaining('at offset 0') as string });
  });

  it('a failed write surfaces as a Kafka error (the caller keeps its offsets held)', async () => {
    const f = fakeKafka({ failSend: Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' }) });
    await expect(store(f.kafka).save(sample)).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
  });

  it('ensureTopic creates a compacted single-partition topic only when missing', async () => {
    const f = fakeKafka();
    const s = store(f.kafka);
    await s.ensureTopic();
    await s.ensureTopic();
    expect(f.created).toHaveLength(1);
    expect(f.created[0]).toMatchObject({
      topics: [{ topic: 'g1-state', numPartitions: 1, configEntries: expect.arrayContaining([{ name: 'cleanup.policy', value: 'compact' }]) as unknown }],
    });
  });
});
