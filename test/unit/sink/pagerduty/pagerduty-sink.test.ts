import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../../src/model/transition.js';
import { parsePagerDutyRoutingConfig } from '../../../../src/sink/pagerduty/config.js';
import { PagerDutyNotifier } from '../../../../src/sink/pagerduty/notifier.js';
import { PagerDutySink, routingKeysFromEnv } from '../../../../src/sink/pagerduty/pagerduty-sink.js';
import { buildEvent } from '../../../../src/sink/pagerduty/event.js';
import { captureLogger } from '../../../support/capture-logger.js';
import { PagerDutyReceiver } from '../../../support/pagerduty-receiver.js';
import { transition } from '../../../support/transitions.js';

const KEY_DEFAULT = 'Rk0default0000000000000000000001';
const KEY_PAY = 'Rk0payments000000000000000000002';
const env = { PD_KEY_DEFAULT: KEY_DEFAULT, PD_KEY_PAYMENTS: KEY_PAY };

function lifecycle(id: string, labels: Record<string, string> = { team: 'core' }): [AlertTransition, AlertTransition, AlertTransition] {
  return [
    transition({ id, state: 'pending', labels }),
    transition({ id, state: 'firing', labels, timestamp: '2025-03-04T05:07:00Z' }),
    transition({ id, state: 'resolved', previous: 'firing', labels, timestamp: '2025-03-04T05:20:00Z' }),
  ];
}

describe('PagerDuty notifier + delivery against the contract receiver', () => {
  let pd: PagerDutyReceiver;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    pd = await new PagerDutyReceiver().start();
    log = captureLogger();
  });
  afterEach(() => pd.stop());

  function makeSink(o: { maxAttempts?: number; rate?: number; sleep?: (ms: number) => Promise<void>; keys?: Record<string, string> } = {}) {
    const config = parsePagerDutyRoutingConfig(
      {
        events_url: pd.url,
        route: { receiver: 'default', routes: [{ receiver: 'payments', matchers: [{ label: 'team', op: '=', value: 'payments' }] }] },
        receivers: [
          { name: 'default', routing_key_env: 'PD_KEY_DEFAULT' },
          { name: 'payments', routing_key_env: 'PD_KEY_PAYMENTS' },
        ],
        rate_limit_per_minute: o.rate ?? 1000,
        request_timeout_ms: 2000,
        retry: { max_attempts: o.maxAttempts ?? 10, max_time_ms: 20_000, min_delay_ms: 1, max_delay_ms: 10 },
      },
      'test.yaml',
    );
    return new PagerDutySink({ config, routingKeys: routingKeysFromEnv(config.receivers, o.keys ?? env), logger: log.logger, ...(o.sleep ? { sleep: o.sleep } : {}) });
  }

  it('429s then 500s then success: every trigger and resolve arrives once, in order per dedup key', async () => {
    const sink = makeSink();
    const [pa, fa, ra] = lifecycle('alpha-1');
    const [pb, fb, rb] = lifecycle('beta-1', { team: 'payments' });
    const [, fc, rc] = lifecycle('gamma-1');
    pd.failNext(3, 429).failNext(3, 500);
    const batch = [pa, fa, pb, fb, ra, fc, rb, rc];
    const result = await sink.send(batch);

    expect(result.acknowledged).toEqual(batch);
    expect(result.deadLettered).toEqual([]);
    for (const id of ['alpha-1', 'beta-1', 'gamma-1']) {
      expect(pd.actionsFor(id)).toEqual(['trigger', 'resolve']);
      expect(pd.incidentsFor(id)).toHaveLength(1);
      expect(pd.incidentsFor(id)[0]!.status).toBe('resolved');
    }
    expect(pd.incidentsFor('beta-1')[0]!.routingKey).toBe(KEY_PAY);
    expect(pd.incidentsFor('alpha-1')[0]!.routingKey).toBe(KEY_DEFAULT);
    expect(pd.received.filter((r) => r.outcome === 'fault')).toHaveLength(6);
    expect(pd.accepted().map((r) => r.outcome).filter((o) => o === 'dropped' || o === 'deduplicated')).toEqual([]);
    expect(sink.isStalled()).toBe(false);
  });

  it('does not resend what was acknowledged when the same batch is delivered again', async () => {
    const sink = makeSink();
    const batch = lifecycle('alpha-1');
    await sink.send(batch);
    const before = pd.received.length;
    const again = await sink.send(batch);
    expect(pd.received.length).toBe(before);
    expect(again.acknowledged).toEqual(batch);
    expect(again.duplicates).toBe(2);
  });

  it('lets other keys proceed while one key is slow, but never reorders within a key', async () => {
    const sink = makeSink();
    pd.delayNext(1, 300);
    const [, fa, ra] = lifecycle('slow-1');
    const [, fb, rb] = lifecycle('fast-1');
    await sink.send([fa, ra, fb, rb]);
    const order = pd.accepted().map((r) => `${r.dedupKey}:${String(r.body?.event_action)}`);
    expect(order.indexOf('fast-1:trigger')).toBeLessThan(order.indexOf('slow-1:trigger'));
    expect(order.indexOf('slow-1:trigger')).toBeLessThan(order.indexOf('slow-1:resolve'));
    expect(order.indexOf('fast-1:trigger')).toBeLessThan(order.indexOf('fast-1:resolve'));
  });

  it('stalls when it cannot get through, then resumes in order on redelivery without double paging', async () => {
    const sink = makeSink({ maxAttempts: 2 });
    const batch = lifecycle('alpha-1');
    pd.failNext(50, 500);
    await expect(sink.send(batch)).rejects.toMatchObject({ code: 'SINK_RETRIABLE', retriable: true });
    expect(sink.isStalled()).toBe(true);
    expect(sink.health()).toMatchObject({ healthy: false, stalled: true });
    expect(pd.accepted()).toHaveLength(0);

    pd.clearFaults();
    const result = await sink.send(batch);
    expect(result.acknowledged).toEqual(batch);
    expect(pd.actionsFor('alpha-1')).toEqual(['trigger', 'resolve']);
    expect(pd.incidentsFor('alpha-1')).toHaveLength(1);
    expect(sink.isStalled()).toBe(false);
  });

  it('dead-letters a 400 without retrying and without leaking the routing key', async () => {
    const badKey = 'short-but-secret-key-value';
    const sink = makeSink({ keys: { PD_KEY_DEFAULT: badKey, PD_KEY_PAYMENTS: KEY_PAY } });
    const [, f] = lifecycle('alpha-1');
    const result = await sink.send([f]);
    expect(result.acknowledged).toEqual([]);
    expect(result.deadLettered).toHaveLength(1);
    expect(result.deadLettered[0]).toMatchObject({ item: f, reason: 'http_400', status: 400 });
    expect(result.deadLettered[0]!.detail).toContain("'routing_key' must be 32 characters");
    expect(pd.received).toHaveLength(1);
    const everything = JSON.stringify(result.deadLettered) + log.text() + JSON.stringify(sink.health());
    expect(everything).not.toContain(badKey);
    expect(log.text()).toContain('pagerduty trigger rejected: HTTP 400');
  });

  it('dead-letters when the receiver has no routing key in the environment', async () => {
    const sink = makeSink({ keys: { PD_KEY_DEFAULT: KEY_DEFAULT } });
    const [, f] = lifecycle('beta-1', { team: 'payments' });
    const result = await sink.send([f]);
    expect(result.deadLettered).toMatchObject([{ item: f, reason: 'no_routing_key' }]);
    expect(pd.received).toHaveLength(0);
  });

  it('never logs routing keys, even on network errors and retries', async () => {
    const sink = makeSink({ maxAttempts: 2 });
    await pd.stop();
    await expect(sink.send(lifecycle('alpha-1'))).rejects.toMatchObject({ code: 'SINK_NETWORK', retriable: true });
    const text = log.text() + JSON.stringify(sink.health());
    expect(text).not.toContain(KEY_DEFAULT);
    expect(text).not.toContain(KEY_PAY);
  });

  it('waits for the per-routing-key token bucket', async () => {
    const waits: number[] = [];
    const sink = makeSink({ rate: 12, sleep: async (ms) => void waits.push(ms) });
    await sink.send([...lifecycle('a-1'), ...lifecycle('b-1')]);
    expect(pd.accepted()).toHaveLength(4);
    expect(waits.filter((w) => w > 0).length).toBeGreaterThanOrEqual(3);
  });
});

describe('PagerDutyNotifier', () => {
  let pd: PagerDutyReceiver;
  beforeEach(async () => {
    pd = await new PagerDutyReceiver().start();
  });
  afterEach(() => pd.stop());

  it('answers retry or not by status', async () => {
    const n = new PagerDutyNotifier({ url: pd.url, timeoutMs: 2000, logger: captureLogger().logger });
    const ev = buildEvent(transition(), KEY_DEFAULT, { source: 'tripline', sendRepeats: true })!;
    pd.failNext(1, 429).failNext(1, 503);
    expect(await n.notify(ev)).toMatchObject({ retry: true, status: 429, error: { code: 'SINK_RETRIABLE' } });
    expect(await n.notify(ev)).toMatchObject({ retry: true, status: 503 });
    expect(await n.notify(ev)).toEqual({ retry: false, status: 202, dedupKey: 'k1a2b3-1' });
    expect(await n.notify({ ...ev, routing_key: 'x' })).toMatchObject({ retry: false, status: 400, error: { code: 'SINK_REJECTED' } });
    const notFound = new PagerDutyNotifier({ url: pd.url.replace('/v2/enqueue', '/nope'), timeoutMs: 2000, logger: captureLogger().logger });
    expect(await notFound.notify(ev)).toMatchObject({ retry: true, status: 404, error: { code: 'SINK_STALLED' } });
  });

  it('times out and asks to retry', async () => {
    const n = new PagerDutyNotifier({ url: pd.url, timeoutMs: 100, logger: captureLogger().logger });
    pd.delayNext(1, 400);
    const r = await n.notify(buildEvent(transition(), KEY_DEFAULT, { source: 'tripline', sendRepeats: true })!);
    expect(r).toMatchObject({ retry: true, error: { code: 'SINK_NETWORK' } });
    expect(r.error!.message).not.toContain(KEY_DEFAULT);
  });
});
