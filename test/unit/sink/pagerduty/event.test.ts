import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, actionFor, buildEvent, dedupKeyFor, truncate } from '../../../../src/sink/pagerduty/event.js';
import { validate } from '../../../support/pagerduty-receiver.js';
import { transition } from '../../../support/transitions.js';

const RK = 'a'.repeat(32);
const opts = { source: 'tripline', sendRepeats: true };

describe('Events v2 event', () => {
  it('maps states to actions', () => {
    expect(actionFor(transition({ state: 'pending' }), true)).toBeUndefined();
    expect(actionFor(transition({ state: 'firing' }), true)).toBe('trigger');
    expect(actionFor(transition({ state: 'firing', previous: 'firing', repeat: 2 }), true)).toBe('trigger');
    expect(actionFor(transition({ state: 'firing', previous: 'firing', repeat: 2 }), false)).toBeUndefined();
    expect(actionFor(transition({ state: 'resolved', previous: 'firing' }), true)).toBe('resolve');
    expect(actionFor(transition({ state: 'resolved', previous: 'pending' }), true)).toBeUndefined();
  });

  it('builds a trigger the receiver contract accepts', () => {
    const e = buildEvent(transition({ runbook: 'https://runbooks/x' }), RK, { ...opts, kibanaUrl: 'https://kibana.example/' })!;
    expect(validate(e as unknown as Record<string, unknown>)).toEqual([]);
    expect(e).toMatchObject({
      routing_key: RK,
      event_action: 'trigger',
      dedup_key: 'k1a2b3-1',
      client: 'tripline',
      client_url: 'https://kibana.example/',
      payload: { source: 'tripline', severity: 'critical', component: 'payments-5xx', class: 'threshold', group: 'service.name=payments', timestamp: '2025-03-04T05:06:07.000Z' },
    });
    expect(e.payload!.custom_details).toMatchObject({ value: 42, threshold: 10, runbook: 'https://runbooks/x', window: { start: expect.any(String) } });
    expect(e.payload!.custom_details!.samples).toHaveLength(1);
    // The pattern's saved search, filtered to the group and the alert's time range.
    expect(e.links![0]!.href).toMatch(/^https:\/\/kibana\.example\/app\/discover#\/view\/tripline-pattern-payments-5xx\?_g=/);
    expect(decodeURIComponent(e.links![0]!.href)).toContain("key:group.service.name");
    expect(decodeURIComponent(e.links![0]!.href)).toContain("from:'2025-03-04T04:31:07.000Z'");
    expect(e.links![0]!.text).toBe('payments-5xx in Kibana');
    expect(e.links![1]).toEqual({ href: 'https://runbooks/x', text: 'Runbook' });
  });

  it('has no links without a base URL', () => {
    expect(buildEvent(transition(), RK, opts)!.links).toBeUndefined();
  });

  it('truncates summary to 1024 characters with an ellipsis', () => {
    const e = buildEvent(transition({ summary: '€'.repeat(5000) }), RK, opts)!;
    expect(Array.from(e.payload!.summary)).toHaveLength(1024);
    expect(e.payload!.summary.endsWith('…')).toBe(true);
    expect(truncate('short', 10)).toBe('short');
  });

  it('keeps dedup keys within 255 characters, distinct and stable', () => {
    const a = 'x'.repeat(300);
    const b = `${'x'.repeat(299)}y`;
    expect(dedupKeyFor(a)).toHaveLength(255);
    expect(dedupKeyFor(a)).toBe(dedupKeyFor(a));
    expect(dedupKeyFor(a)).not.toBe(dedupKeyFor(b));
    expect(dedupKeyFor('abc-1')).toBe('abc-1');
  });

  it('drops samples to stay within 512 KB', () => {
    const samples = Array.from({ length: 100 }, (_, i) => ({ i, msg: 'z'.repeat(10_000) }));
    const e = buildEvent(transition({ samples }), RK, opts)!;
    expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(e.payload!.custom_details!.samples).toBeUndefined();
    expect(e.payload!.custom_details!.samples_dropped).toBe(100);
    expect(validate(e as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('builds a resolve with the same dedup key as the trigger', () => {
    const trig = buildEvent(transition({ state: 'firing' }), RK, opts)!;
    const res = buildEvent(transition({ state: 'resolved' }), RK, opts)!;
    expect(res.event_action).toBe('resolve');
    expect(res.dedup_key).toBe(trig.dedup_key);
  });
});
