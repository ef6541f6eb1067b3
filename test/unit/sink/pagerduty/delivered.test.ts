// Durable PagerDuty delivered-event memory (src/sink/pagerduty/delivered.ts) with a fake store,
// through the real PagerDutySink against the contract receiver: a "restart" (new sink + memory
// loaded from the same store) replaying a crash window sends nothing PagerDuty already has, a new
// incident (next seq, or a reused id later in time) still pages, the record is written before the
// event counts as delivered and per-key order holds, a failed record write never re-calls
// PagerDuty, and the memory is bounded (LRU, resolved records tombstoned past the horizon).
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../../src/model/transition.js';
import { parsePagerDutyRoutingConfig } from '../../../../src/sink/pagerduty/config.js';
import { DeliveredMemory, deliveredKey } from '../../../../src/sink/pagerduty/delivered.js';
import type { DeliveredRecord, DeliveredStore, DeliveryMark } from '../../../../src/sink/pagerduty/delivered.js';
import { KafkaDeliveredStore, pagerDutyDeliveredTopic } from '../../../../src/sink/pagerduty/delivered-store.js';
import { PagerDutySink, routingKeysFromEnv } from '../../../../src/sink/pagerduty/pagerduty-sink.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { captureLogger } from '../../../support/capture-logger.js';
import { PagerDutyReceiver } from '../../../support/pagerduty-receiver.js';
import { transition } from '../../../support/transitions.js';

const KEY_DEFAULT = 'Rk0default0000000000000000000001';
const env = { PD_KEY_DEFAULT: KEY_DEFAULT };

/** An append-only log of writes, like the compacted topic before compaction. */
class FakeStore implements DeliveredStore {
  readonly log: Array<{ key: string; value: DeliveredRecord | null }> = [];
  /** While set, writes wait for it. */
  gate: Promise<void> | undefined;
  failWrites = 0;
  async write(key: string, value: DeliveredRecord | null): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    if (this.failWrites > 0) {
      this.failWrites--;
      throw Object.assign(new Error('Kafka unavailable while writing'), { code: 'KAFKA_UNAVAILABLE' });
    }
    this.log.push({ key, value });
  }
  async readAll(onRecord: (key: string, value: DeliveredRecord | null) => void): Promise<void> {
    for (const r of this.log) onRecord(r.key, r.value);
  }
}

function lifecycle(id: string, t0 = '2025-03-04T05:07:00Z', t1 = '2025-03-04T05:20:00Z'): [AlertTransition, AlertTransition, AlertTransition] {
  return [
    transition({ id, state: 'pending', timestamp: '2025-03-04T05:06:00Z' }),
    transition({ id, state: 'firing', timestamp: t0 }),
    transition({ id, state: 'resolved', previous: 'firing', timestamp: t1 }),
  ];
}

describe('PagerDuty durable delivered-event memory', () => {
  let pd: PagerDutyReceiver;
  beforeEach(async () => {
    pd = await new PagerDutyReceiver().start();
  });
  afterEach(() => pd.stop());

  async function start(store: FakeStore, o: { maxAttempts?: number } = {}) {
    const config = parsePagerDutyRoutingConfig(
      {
        events_url: pd.url,
        route: { receiver: 'default' },
        receivers: [{ name: 'default', routing_key_env: 'PD_KEY_DEFAULT' }],
        rate_limit_per_minute: 1000,
        request_timeout_ms: 2000,
        retry: { max_attempts: o.maxAttempts ?? 5, max_time_ms: 5000, min_delay_ms: 1, max_delay_ms: 5 },
      },
      'test.yaml',
    );
    const memory = new DeliveredMemory({ store });
    await memory.load();
    const sink = new PagerDutySink({ config, routingKeys: routingKeysFromEnv(config.receivers, env), logger: captureLogger().logger, memory });
    return { sink, memory };
  }

  it('after a restart, replaying a resolved incident sends nothing; the next seq still pages', async () => {
    const store = new FakeStore();
    const a1 = lifecycle('alpha-1');
    const first = await start(store);
    await first.sink.send(a1);
    expect(pd.actionsFor('alpha-1')).toEqual(['trigger', 'resolve']);
    expect(store.log.map((r) => [r.key, r.value?.action])).toEqual([
      [deliveredKey('default', 'alpha-1'), 'trigger'],
      [deliveredKey('default', 'alpha-1'), 'resolve'],
    ]);
    // SIGKILL: a fresh process, memory from the store, replays everything since an old checkpoint.
    const second = await start(store);
    const before = pd.received.length;
    const again = await second.sink.send(a1);
    expect(pd.received.length).toBe(before);
    expect(again.acknowledged).toEqual(a1);
    expect(again.duplicates).toBe(2);
    expect(pd.incidentsFor('alpha-1')).toHaveLength(1);
    // The next incident of the same key (seq + 1) is a new dedup key: it pages.
    const a2 = lifecycle('alpha-2', '2025-03-04T06:00:00Z', '2025-03-04T06:10:00Z');
    await second.sink.send([a2[0], a2[1]]);
    expect(pd.actionsFor('alpha-2')).toEqual(['trigger']);
    expect(pd.openIncident(KEY_DEFAULT, 'alpha-2')).toBeDefined();
  });

  it('after a restart mid-incident: the delivered trigger is not re-sent, the resolve goes out once', async () => {
    const store = new FakeStore();
    const [p, f, r] = lifecycle('beta-1');
    await (await start(store)).sink.send([p, f]);
    const second = await start(store);
    await second.sink.send([p, f, r]);
    expect(pd.actionsFor('beta-1')).toEqual(['trigger', 'resolve']);
    expect(pd.incidentsFor('beta-1')).toHaveLength(1);
    expect(pd.incidentsFor('beta-1')[0]!.status).toBe('resolved');
    // A repeat (later, repeat + 1) of an open incident is not covered by the first trigger.
    const store2 = new FakeStore();
    const [, g] = lifecycle('gamma-1');
    const g1 = transition({ id: 'gamma-1', state: 'firing', previous: 'firing', repeat: 1, timestamp: '2025-03-04T06:07:00Z' });
    await (await start(store2)).sink.send([g]);
    await (await start(store2)).sink.send([g, g1]);
    expect(pd.actionsFor('gamma-1')).toEqual(['trigger', 'trigger']);
  });

  it('a reused alert id (seq restarted) later in time than the old resolve still pages', async () => {
    const store = new FakeStore();
    await (await start(store)).sink.send(lifecycle('delta-1'));
    const reused = lifecycle('delta-1', '2025-03-05T09:00:00Z', '2025-03-05T09:30:00Z');
    await (await start(store)).sink.send([reused[0], reused[1]]);
    expect(pd.actionsFor('delta-1')).toEqual(['trigger', 'resolve', 'trigger']);
    expect(pd.incidentsFor('delta-1')).toHaveLength(2);
  });

  it('writes the record before the event counts as delivered, and keeps per-key order behind it', async () => {
    const store = new FakeStore();
    const { sink } = await start(store);
    let open!: () => void;
    store.gate = new Promise<void>((r) => (open = r));
    let done = false;
    const sent = sink.send(lifecycle('eps-1')).then((x) => {
      done = true;
      return x;
    });
    await pd_wait(() => pd.actionsFor('eps-1').length === 1);
    await new Promise((r) => setTimeout(r, 50));
    // PagerDuty has the trigger, the record is pending: the resolve waits, nothing is acknowledged.
    expect(pd.actionsFor('eps-1')).toEqual(['trigger']);
    expect(done).toBe(false);
    store.gate = undefined;
    open();
    const result = await sent;
    expect(result.acknowledged).toHaveLength(3);
    expect(pd.actionsFor('eps-1')).toEqual(['trigger', 'resolve']);
    expect(store.log.map((r) => r.value?.action)).toEqual(['trigger', 'resolve']);
  });

  it('a failed record write stalls with a retriable error; the retry rewrites the record without calling PagerDuty again', async () => {
    const store = new FakeStore();
    const { sink } = await start(store);
    const [, f, r] = lifecycle('zeta-1');
    store.failWrites = 1;
    await expect(sink.send([f, r])).rejects.toMatchObject({ retriable: true });
    expect(pd.actionsFor('zeta-1')).toEqual(['trigger']);
    expect(sink.isStalled()).toBe(true);
    const result = await sink.send([f, r]);
    expect(result.acknowledged).toEqual([f, r]);
    expect(pd.actionsFor('zeta-1')).toEqual(['trigger', 'resolve']);
    expect(store.log.map((x) => x.value?.action)).toEqual(['trigger', 'resolve']);
    expect(sink.isStalled()).toBe(false);
  });
});

async function pd_wait(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('DeliveredMemory bounds', () => {
  const mark = (id: string, action: 'trigger' | 'resolve', ts = '2025-03-04T05:07:00Z'): DeliveryMark => ({ key: deliveredKey('default', id), action, severity: 'critical', repeat: 0, ts });

  it('keeps at most maxKeys keys, least recently written first out', async () => {
    const m = new DeliveredMemory({ maxKeys: 2 });
    await m.record(mark('a-1', 'trigger'));
    await m.record(mark('b-1', 'trigger'));
    await m.record(mark('a-1', 'resolve'));
    await m.record(mark('c-1', 'trigger'));
    expect(m.size).toBe(2);
    expect(m.covers(mark('a-1', 'trigger'))).toBe(true);
    expect(m.covers(mark('b-1', 'trigger'))).toBe(false);
  });

  it('load forgets and tombstones resolved records older than the horizon, keeps the rest', async () => {
    const store = new FakeStore();
    const day = 24 * 3600_000;
    let now = Date.parse('2025-03-01T00:00:00Z');
    const w = new DeliveredMemory({ store, now: () => now });
    await w.record(mark('old-1', 'trigger'));
    await w.record(mark('old-1', 'resolve'));
    await w.record(mark('open-1', 'trigger'));
    now += 8 * day;
    await w.record(mark('new-1', 'resolve'));
    await w.record(mark('gone-1', 'resolve'));
    store.log.push({ key: deliveredKey('default', 'gone-1'), value: null });
    const m = new DeliveredMemory({ store, now: () => now, horizonMs: 7 * day });
    expect(await m.load()).toEqual({ records: 6, keys: 2, tombstoned: 1 });
    expect(store.log.at(-1)).toEqual({ key: deliveredKey('default', 'old-1'), value: null });
    expect(m.covers(mark('old-1', 'trigger'))).toBe(false);
    expect(m.covers(mark('open-1', 'trigger'))).toBe(true);
    expect(m.covers(mark('new-1', 'trigger'))).toBe(true);
    expect(m.covers(mark('gone-1', 'trigger'))).toBe(false);
  });
});

describe('KafkaDeliveredStore', () => {
  it('names the topic after the group unless configured, writes acks=all JSON, reads back with tombstones', async () => {
    expect(pagerDutyDeliveredTopic({ group_id: 'tripline' })).toBe('tripline-pagerduty-delivered');
    expect(pagerDutyDeliveredTopic({ group_id: 'g', pagerduty_delivered_topic: 'pd-mem' })).toBe('pd-mem');
    const log: Array<{ key: Buffer; value: Buffer | null; offset: string }> = [];
    const sends: Array<{ topic: string; acks?: number }> = [];
    const groups: string[] = [];
    const kafka = {
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        send: async (r: { topic: string; acks?: number; messages: Array<{ key: string; value: string | null }> }) => {
          sends.push({ topic: r.topic, ...(r.acks === undefined ? {} : { acks: r.acks }) });
          for (const m of r.messages) log.push({ key: Buffer.from(m.key), value: m.value === null ? null : Buffer.from(m.value), offset: String(log.length) });
          return [];
        },
      }),
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: String(log.length), offset: String(log.length) }],
        deleteGroups: async () => [],
      }),
      consumer: (c: { groupId: string }) => {
        groups.push(c.groupId);
        return {
          connect: async () => undefined,
          disconnect: async () => undefined,
          subscribe: async () => undefined,
          run: async ({ eachBatch }: { eachBatch: (p: { batch: { messages: typeof log; lastOffset: () => string } }) => Promise<void> }) => {
            setTimeout(() => void eachBatch({ batch: { messages: log, lastOffset: () => String(log.length - 1) } }), 1);
          },
        };
      },
    } as unknown as Kafka;
    const store = new KafkaDeliveredStore({ kafka, topic: 'g-pagerduty-delivered', groupId: 'g', logger: silentLogger(), loadTimeoutMs: 2000 });
    const rec: DeliveredRecord = { action: 'resolve', severity: 'critical', repeat: 0, ts: '2025-03-04T05:20:00.000Z', at: '2025-03-04T05:20:01.000Z' };
    await store.write('["default","a-1"]', rec);
    await store.write('["default","b-1"]', { ...rec, action: 'trigger' });
    await store.write('["default","b-1"]', null);
    log.push({ key: Buffer.from('junk'), value: Buffer.from('not json'), offset: String(log.length) });
    expect(sends).toEqual(Array(3).fill({ topic: 'g-pagerduty-delivered', acks: -1 }));
    const got: Array<[string, DeliveredRecord | null]> = [];
    await store.readAll((k, v) => got.push([k, v]));
    expect(got).toEqual([
      ['["default","a-1"]', rec],
      ['["default","b-1"]', { ...rec, action: 'trigger' }],
      ['["default","b-1"]', null],
    ]);
    expect(groups[0]).toMatch(/^g-state-reader-pd-[0-9a-f]{8}$/);
    await store.close();
  });
});
