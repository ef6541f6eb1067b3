import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyReceiver } from '../../../support/pagerduty-receiver.js';

const RK = 'R0123456789abcdef0123456789abcde'.slice(0, 32);

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const trigger = (o: Record<string, unknown> = {}) => ({
  routing_key: RK,
  event_action: 'trigger',
  dedup_key: 'k1',
  payload: { summary: 's', source: 'tripline', severity: 'critical' },
  ...o,
});

describe('PagerDutyReceiver (test support)', () => {
  let pd: PagerDutyReceiver;
  beforeEach(async () => {
    pd = await new PagerDutyReceiver().start();
  });
  afterEach(() => pd.stop());

  it('accepts a valid trigger with 202 and the dedup key', async () => {
    const r = await post(pd.url, trigger());
    expect(r).toEqual({ status: 202, json: { status: 'success', message: 'Event processed', dedup_key: 'k1' } });
    expect(pd.incidents).toMatchObject([{ routingKey: RK, dedupKey: 'k1', status: 'triggered' }]);
  });

  it('generates a dedup key for a trigger without one (always a new alert)', async () => {
    const a = await post(pd.url, trigger({ dedup_key: undefined }));
    const b = await post(pd.url, trigger({ dedup_key: undefined }));
    expect(a.json.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(a.json.dedup_key).not.toBe(b.json.dedup_key);
    expect(pd.incidents).toHaveLength(2);
  });

  it.each([
    ['routing_key missing', { routing_key: undefined }, "'routing_key' is missing or blank"],
    ['routing_key not 32 chars', { routing_key: 'short' }, "'routing_key' must be 32 characters"],
    ['bad event_action', { event_action: 'explode' }, "'event_action' is invalid"],
    ['dedup_key too long', { dedup_key: 'x'.repeat(256) }, "'dedup_key' must be at most 255 characters"],
    ['summary missing', { payload: { source: 's', severity: 'info' } }, "'payload.summary' is missing or blank"],
    ['summary too long', { payload: { summary: 'x'.repeat(1025), source: 's', severity: 'info' } }, "'payload.summary' must be at most 1024 characters"],
    ['source missing', { payload: { summary: 's', severity: 'info' } }, "'payload.source' is missing or blank"],
    ['severity missing on trigger', { payload: { summary: 's', source: 's' } }, "'payload.severity' is missing"],
    ['severity invalid', { payload: { summary: 's', source: 's', severity: 'high' } }, "'payload.severity' is invalid"],
    ['image src not https', { images: [{ src: 'http://x/y.png' }] }, "'images[0].src' is required and must be an HTTPS URL"],
    ['link without href', { links: [{ text: 'x' }] }, "'links[0].href' is required"],
  ])('rejects %s with 400', async (_name, patch, message) => {
    const r = await post(pd.url, trigger(patch));
    expect(r.status).toBe(400);
    expect(r.json.status).toBe('invalid event');
    expect((r.json.errors as string[]).some((e) => e.startsWith(message))).toBe(true);
    expect(pd.received[0]).toMatchObject({ accepted: false, outcome: 'rejected' });
    expect(pd.incidents).toHaveLength(0);
  });

  it('rejects invalid JSON and bodies over 512 KB', async () => {
    expect((await post(pd.url, '{nope')).status).toBe(400);
    const big = trigger({ payload: { summary: 's', source: 's', severity: 'info', custom_details: { x: 'y'.repeat(600 * 1024) } } });
    const r = await post(pd.url, big);
    expect(r.status).toBe(400);
    expect(pd.received).toHaveLength(2);
  });

  it('tracks incidents: dedup while open, drop resolve without open alert, reopen after resolve', async () => {
    await post(pd.url, { routing_key: RK, event_action: 'resolve', dedup_key: 'k1' });
    await post(pd.url, trigger());
    await post(pd.url, trigger());
    await post(pd.url, { routing_key: RK, event_action: 'acknowledge', dedup_key: 'k1' });
    await post(pd.url, { routing_key: RK, event_action: 'resolve', dedup_key: 'k1' });
    await post(pd.url, trigger());
    expect(pd.received.map((r) => r.outcome)).toEqual(['dropped', 'opened', 'deduplicated', 'acknowledged', 'resolved', 'opened']);
    expect(pd.incidentsFor('k1').map((i) => i.status)).toEqual(['resolved', 'triggered']);
    expect(pd.actionsFor('k1')).toEqual(['resolve', 'trigger', 'trigger', 'acknowledge', 'resolve', 'trigger']);
  });

  it('keys incidents by routing key and dedup key', async () => {
    await post(pd.url, trigger());
    await post(pd.url, trigger({ routing_key: 'S'.repeat(32) }));
    expect(pd.incidents).toHaveLength(2);
  });

  it('injects faults: next N 429 / 500 / delay, recorded but not applied', async () => {
    pd.failNext(1, 429).failNext(1, 500).delayNext(1, 50);
    expect((await post(pd.url, trigger())).status).toBe(429);
    expect((await post(pd.url, trigger())).status).toBe(500);
    const t0 = Date.now();
    expect((await post(pd.url, trigger())).status).toBe(202);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(pd.received.map((r) => r.outcome)).toEqual(['fault', 'fault', 'opened']);
    expect(pd.incidents).toHaveLength(1);
  });
});
