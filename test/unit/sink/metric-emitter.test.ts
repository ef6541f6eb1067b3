// MetricEmitter: one record per (pattern, group) at interval boundaries when the value changed,
// deterministic across snapshot/restore (a restarted service emits what an uninterrupted one would).
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/detect/detector.js';
import type { Pattern } from '../../../src/model/pattern.js';
import { OVERFLOW_GROUP_KEY, groupFromKey } from '../../../src/model/pattern.js';
import { MetricEmitter } from '../../../src/sink/metric-emitter.js';

const pattern = { id: 'svc-errors', group_by: ['service', 'region'] } as unknown as Pattern;
const MIN = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

function ev(value: number, T: number, extra: Partial<Evaluation> = {}): Evaluation {
  return { active: false, value, threshold: 3, op: '>=', count: value, severity: undefined, baseline: undefined, score: undefined, windowStart: T - MIN, windowEnd: T, ...extra };
}
const key = (svc: string, region = 'eu') => JSON.stringify([svc, region]);

describe('MetricEmitter', () => {
  it('emits only at multiples of the interval, only finite values, only on change (new groups start at 0)', () => {
    const em = new MetricEmitter({ intervalMs: MIN });
    em.onEvaluate(pattern, key('api'), T0 + 10_000, ev(5, T0 + 10_000)); // not a boundary
    em.onEvaluate(pattern, key('api'), T0, ev(0, T0)); // new group at 0: nothing
    em.onEvaluate(pattern, key('api'), T0 + MIN, ev(NaN, T0 + MIN)); // not finite
    em.onEvaluate(pattern, key('api'), T0 + 2 * MIN, ev(4, T0 + 2 * MIN));
    em.onEvaluate(pattern, key('api'), T0 + 3 * MIN, ev(4, T0 + 3 * MIN)); // unchanged
    em.onEvaluate(pattern, key('web'), T0 + 3 * MIN, ev(1, T0 + 3 * MIN, { threshold: Infinity }));
    em.onEvaluate(pattern, key('api'), T0 + 4 * MIN, ev(0, T0 + 4 * MIN)); // back to 0: a change
    const recs = em.drain();
    expect(recs.map((r) => [r['@timestamp'], r.group.service, r.value])).toEqual([
      [new Date(T0 + 2 * MIN).toISOString(), 'api', 4],
      [new Date(T0 + 3 * MIN).toISOString(), 'web', 1],
      [new Date(T0 + 4 * MIN).toISOString(), 'api', 0],
    ]);
    expect(recs[0]).toEqual({
      '@timestamp': new Date(T0 + 2 * MIN).toISOString(),
      pattern: { id: 'svc-errors' },
      group: { service: 'api', region: 'eu' },
      group_key: key('api'),
      window: { start: new Date(T0 + MIN).toISOString(), end: new Date(T0 + 2 * MIN).toISOString() },
      value: 4,
      count: 4,
      threshold: 3,
    });
    expect(recs[1]).not.toHaveProperty('threshold'); // non-finite threshold left out
    expect(em.drain()).toEqual([]);
  });

  it('snapshot/restore: a restored emitter continues exactly like an uninterrupted one', () => {
    const values = [3, 3, 5, 0, 0, 2, 2, 7];
    const run = (em: MetricEmitter, from: number, to: number) => {
      for (let i = from; i < to; i++) em.onEvaluate(pattern, key('api'), T0 + i * MIN, ev(values[i]!, T0 + i * MIN));
      return em.drain();
    };
    const whole = run(new MetricEmitter({ intervalMs: MIN }), 0, values.length);
    const a = new MetricEmitter({ intervalMs: MIN });
    const first = run(a, 0, 4);
    const snap = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<MetricEmitter['snapshot']>;
    expect(snap.last).toEqual([['svc-errors', key('api'), 0]]);
    const b = new MetricEmitter({ intervalMs: MIN });
    b.restore(snap);
    const second = run(b, 4, values.length);
    expect([...first, ...second]).toEqual(whole);
  });

  it('restore(undefined) forgets everything', () => {
    const em = new MetricEmitter({ intervalMs: MIN });
    em.onEvaluate(pattern, key('api'), T0, ev(2, T0));
    em.restore(undefined);
    expect(em.snapshot()).toEqual({ last: [] });
  });

  it('remembers at most maxRemembered groups (least recently changed forgotten first)', () => {
    const em = new MetricEmitter({ intervalMs: MIN, maxRemembered: 2 });
    em.onEvaluate(pattern, key('a'), T0, ev(1, T0));
    em.onEvaluate(pattern, key('b'), T0, ev(1, T0));
    em.onEvaluate(pattern, key('c'), T0, ev(1, T0)); // evicts a
    expect(em.snapshot().last.map(([, g]) => g)).toEqual([key('b'), key('c')]);
    em.drain();
    em.onEvaluate(pattern, key('a'), T0 + MIN, ev(1, T0 + MIN)); // forgotten: re-emits once
    em.onEvaluate(pattern, key('c'), T0 + MIN, ev(1, T0 + MIN)); // remembered: no change
    expect(em.drain().map((r) => r.group.service)).toEqual(['a']);
  });
});

describe('groupFromKey', () => {
  it('maps the JSON group key onto group_by; tolerates junk', () => {
    expect(groupFromKey(pattern, key('api', 'us'))).toEqual({ service: 'api', region: 'us' });
    expect(groupFromKey(pattern, JSON.stringify(['api']))).toEqual({ service: 'api', region: '' });
    expect(groupFromKey(pattern, 'not json')).toEqual({});
    // The overflow group: the record its alerts carry (engine PatternRuntime.groupRecord).
    expect(groupFromKey(pattern, OVERFLOW_GROUP_KEY)).toEqual({ service: '__overflow__', region: '__overflow__' });
    expect(groupFromKey({ ...pattern, group_by: [] } as Pattern, OVERFLOW_GROUP_KEY)).toEqual({});
    // A group_by field named __proto__ is an own property, not the record's prototype.
    const proto = groupFromKey({ ...pattern, group_by: ['__proto__', 'region'] } as Pattern, key('api', 'us'));
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.entries(proto)).toEqual([['__proto__', 'api'], ['region', 'us']]);
    expect(groupFromKey({ ...pattern, group_by: [] } as Pattern, key('x'))).toEqual({});
  });
});
