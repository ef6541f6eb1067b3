import { describe, expect, it } from 'vitest';
import { alertId, alertKey, fnv1a64 } from '../../../src/alert/alert-key.js';
import { SampleRing, redactedCopy } from '../../../src/alert/samples.js';
import { formatDuration, formatValue, renderSummary } from '../../../src/alert/summary.js';
import { ev } from '../engine/helpers.js';
import type { LogEvent } from '../../../src/model/event.js';

describe('alert key', () => {
  it('FNV-1a 64 known vectors, stable and 16 hex digits', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(alertKey('p', '["x"]')).toMatch(/^[0-9a-f]{16}$/);
    expect(alertKey('p', '["x"]')).toBe(alertKey('p', '["x"]'));
    expect(alertKey('p', '["x"]')).not.toBe(alertKey('p', '["y"]'));
    expect(alertKey('ab', 'c')).not.toBe(alertKey('a', 'bc'));
    expect(alertId('abc', 3)).toBe('abc-3');
  });
});

describe('summary', () => {
  const ctx = {
    value: 0.125,
    threshold: 0.02,
    count: 800,
    op: '>',
    severity: 'error',
    unit: 'ratio' as const,
    patternId: 'http-5xx',
    group: { route: '/v1/x' },
  };

  it('renders placeholders with unit-aware formatting', () => {
    expect(renderSummary('5xx {{value}} on {{ group.route }} (limit {{threshold}}, n={{count}}) {{op}} {{severity}} {{pattern.id}}', ctx)).toBe(
      '5xx 12.5% on /v1/x (limit 2%, n=800) > error http-5xx',
    );
  });

  it('missing group field is empty, unknown placeholder kept', () => {
    expect(renderSummary('[{{group.nope}}] [{{group.constructor}}] {{wat}}', ctx)).toBe('[] [] {{wat}}');
  });

  it('formats counts, durations and numbers', () => {
    expect(formatValue(12, 'count')).toBe('12');
    expect(formatValue(2.3456, 'count')).toBe('2.35');
    expect(formatValue(600, 'seconds')).toBe('10m');
    expect(formatDuration(45.4)).toBe('45s');
    expect(formatDuration(3900)).toBe('1h 5m');
    expect(formatDuration(86400 * 2 + 3 * 3600 + 7)).toBe('2d 3h');
    expect(formatValue(1 / 3, 'number')).toBe('0.333');
  });
});

describe('samples', () => {
  it('keeps the last 5 by arrival, returns those before T newest first', () => {
    const r = new SampleRing();
    for (const t of [1, 2, 3, 4, 5, 6, 7]) r.push(ev(t * 1000, { t }));
    expect(r.select(100_000).map((e) => e.fields['t'])).toEqual([7, 6, 5, 4, 3]);
    expect(r.select(6_000).map((e) => e.fields['t'])).toEqual([5, 4, 3]);
  });

  it('from 0 to 7 pushes (single event held inline, then the ring): the last 5 by arrival, ties newest arrival first', () => {
    for (let n = 0; n <= 7; n++) {
      const r = new SampleRing();
      const pushed: LogEvent[] = [];
      for (let i = 0; i < n; i++) {
        const e = ev(((i * 3) % 4) * 1000, { i });
        r.push(e);
        pushed.push(e);
      }
      for (const before of [0, 1500, 2500, 10_000]) {
        const want = pushed.slice(-5).reverse().filter((e) => e.time < before).sort((a, b) => b.time - a.time);
        expect(r.select(before)).toEqual(want);
      }
    }
  });

  it('redacts literal dotted keys and nested paths on a copy', () => {
    const fields = { user: { email: 'a@b', id: 1 }, 'user.email': 'x', token: 't', keep: [1, { a: 2 }] };
    const copy = redactedCopy(fields, ['user.email', 'token', 'absent.path']);
    expect(copy).toEqual({ user: { id: 1 }, keep: [1, { a: 2 }] });
    expect(fields.user.email).toBe('a@b'); // original untouched
    expect(fields.token).toBe('t');
  });
});
