/**
 * New detectors against brute-force oracles on random streams (out-of-order and late events go
 * through the real engine), sketches within their documented bounds, shard merges, levels and
 * spike baseline freezing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctSketch } from '../../../src/detect/distinct-sketch.js';
import { HyperLogLog } from '../../../src/detect/hyperloglog.js';
import { LogHistogram, RELATIVE_ACCURACY } from '../../../src/detect/log-histogram.js';
import { createEngine } from '../../../src/engine/engine.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH, ROLE_SUB } from '../../../src/model/match.js';
import type { MatchResult } from '../../../src/model/match.js';
import type { Detect, Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { DAY0, ev } from '../engine/helpers.js';
import { makePattern } from '../engine/helpers.js';

interface Op {
  dt: number;
  step: number;
  g: string;
  v: number;
  bad: boolean;
  follow: boolean;
}

const opArb = fc.record({
  dt: fc.integer({ min: -4_000, max: 2_000 }),
  step: fc.integer({ min: 0, max: 1_500 }),
  g: fc.constantFrom('a', 'b'),
  v: fc.integer({ min: 1, max: 40 }),
  bad: fc.boolean(),
  follow: fc.boolean(),
});

interface Acc {
  time: number;
  seq: number;
  g: string;
  v: number;
  bad: boolean;
  follow: boolean;
}

/** Runs one pattern through the engine; returns per-(group, T) evaluations and the accepted events. */
function run(p: Pattern, ops: readonly Op[], roles: (o: Op) => number) {
  const evals = new Map<string, { active: boolean; value: number; severity: string | undefined }>();
  const engine = createEngine([p], { onEvaluate: (_p, gk, T, e) => evals.set(`${gk}|${T}`, { active: e.active, value: e.value, severity: e.severity }) });
  const acc: Acc[] = [];
  let base = DAY0 + 50_000;
  let clock = -Infinity;
  let maxTime = -Infinity;
  ops.forEach((o, seq) => {
    base += o.step;
    const time = base + o.dt;
    clock = Math.max(clock, time);
    maxTime = Math.max(maxTime, time);
    const m: MatchResult = { pattern: 0, roles: roles(o), groupKey: JSON.stringify([o.g]), group: { g: o.g } };
    if (time >= clock - p.grace && m.roles !== 0) acc.push({ time, seq, g: o.g, v: o.v, bad: o.bad, follow: o.follow });
    const e = ev(time, { g: o.g, v: o.v });
    engine.observe(e, m.roles === 0 ? [] : [m]);
    if (seq % 3 === 0) engine.advance();
  });
  const transitions: AlertTransition[] = [...engine.flush()];
  return { evals, acc, maxTime, transitions };
}

const common = { group_by: ['g'], grace: 3_000 };

describe('consecutive vs oracle', () => {
  it('run length in event-time order (ties by arrival)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), (ops) => {
        const p = makePattern({ ...common, detect: { type: 'consecutive', count: 3, failure: {} } });
        const { evals, acc } = run(p, ops, (o) => ROLE_MATCH | (o.bad ? ROLE_SUB : 0));
        for (const [k, e] of evals) {
          const [gk, Ts] = k.split('|') as [string, string];
          const T = Number(Ts);
          const mine = acc.filter((a) => JSON.stringify([a.g]) === gk && a.time < T).sort((x, y) => x.time - y.time || x.seq - y.seq);
          let runLen = 0;
          for (const a of mine) runLen = a.bad ? runLen + 1 : 0;
          expect(e.value, k).toBe(runLen);
          expect(e.active).toBe(runLen >= 3);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('missing_follow_up vs oracle', () => {
  it('missed A events: no B in [A, A + within), cleared by any later B', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), (ops) => {
        const within = 5_000;
        const p = makePattern({ ...common, detect: { type: 'missing_follow_up', within, follow_up: {}, max_pending: 1_000, max_total_pending: 10_000 } });
        const { evals, acc } = run(p, ops, (o) => (o.follow ? ROLE_FOLLOW_UP : ROLE_MATCH));
        for (const [k, e] of evals) {
          const [gk, Ts] = k.split('|') as [string, string];
          const T = Number(Ts);
          const mine = acc.filter((a) => JSON.stringify([a.g]) === gk && a.time < T).sort((x, y) => x.time - y.time || x.seq - y.seq);
          const lastB = Math.max(-Infinity, ...mine.filter((a) => a.follow).map((a) => a.time));
          // Missed: an A at a with a + within <= T, no B in [a, a + within), and no B after it at all (cleared).
          const missed = mine.filter((a, i) => {
            if (a.follow || a.time + within > T) return false;
            const later = mine.slice(i + 1).filter((b) => b.follow);
            return later.length === 0 && lastB < a.time;
          }).length;
          expect(e.value, k).toBe(missed);
        }
      }),
      { numRuns: 150 },
    );
  });
});

function windowOracle(acc: readonly Acc[], gk: string, T: number, window: number): Acc[] {
  return acc.filter((a) => JSON.stringify([a.g]) === gk && a.time >= T - window && a.time < T);
}

describe('cardinality, quantile, gauge vs oracle', () => {
  it('exact distinct counts below the cap', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), (ops) => {
        const p = makePattern({ ...common, detect: { type: 'cardinality', field: 'v', window: 6_000, resolution: 1_000, op: '>=', value: 4 } });
        const { evals, acc } = run(p, ops, () => ROLE_MATCH);
        for (const [k, e] of evals) {
          const [gk, T] = k.split('|') as [string, string];
          const n = new Set(windowOracle(acc, gk, Number(T), 6_000).map((a) => a.v)).size;
          expect(e.value, k).toBe(n);
          expect(e.active).toBe(n >= 4);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('quantile within 1% of the exact nearest-rank quantile', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), (ops) => {
        const p = makePattern({ ...common, detect: { type: 'quantile', field: 'v', q: 0.9, window: 6_000, resolution: 1_000, op: '>=', value: 30, min_count: 1 } });
        const { evals, acc } = run(p, ops, () => ROLE_MATCH);
        for (const [k, e] of evals) {
          const [gk, T] = k.split('|') as [string, string];
          const xs = windowOracle(acc, gk, Number(T), 6_000).map((a) => a.v).sort((a, b) => a - b);
          if (xs.length === 0) continue;
          const exact = xs[Math.max(1, Math.ceil(0.9 * xs.length)) - 1]!;
          expect(Math.abs(e.value - exact) / exact, k).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('gauge last/max with levels', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), fc.constantFrom('last', 'max') as fc.Arbitrary<'last' | 'max'>, (ops, aggregate) => {
        const detect: Detect = { type: 'gauge', field: 'v', aggregate, window: 4_000, resolution: 1_000, op: '>=', value: 20, levels: [{ severity: 'warning', value: 20 }, { severity: 'critical', value: 35 }] };
        const { evals, acc } = run(makePattern({ ...common, detect }), ops, () => ROLE_MATCH);
        for (const [k, e] of evals) {
          const [gk, T] = k.split('|') as [string, string];
          const w = windowOracle(acc, gk, Number(T), 4_000).sort((x, y) => x.time - y.time || x.seq - y.seq);
          if (w.length === 0) {
            expect(e.active).toBe(false);
            continue;
          }
          const v = aggregate === 'last' ? w[w.length - 1]!.v : Math.max(...w.map((a) => a.v));
          expect(e.value, k).toBe(v);
          expect(e.severity).toBe(v >= 35 ? 'critical' : v >= 20 ? 'warning' : undefined);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('sketches: error bounds and shard merges', () => {
  it('HLL within 5% past the exact cap; merging shards equals the whole', () => {
    for (const n of [2_000, 20_000, 200_000]) {
      const whole = new HyperLogLog();
      const shards = [new HyperLogLog(), new HyperLogLog(), new HyperLogLog()];
      for (let i = 0; i < n; i++) {
        const v = `org_${i}`;
        whole.add(v);
        shards[i % 3]!.add(v);
      }
      const merged = new HyperLogLog();
      for (const s of shards) merged.merge(s);
      expect(merged.reg).toEqual(whole.reg);
      expect(Math.abs(whole.estimate() - n) / n).toBeLessThan(0.05);
    }
  });

  it('DistinctSketch: exact merge below the cap, HLL bound above', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 3_000 }), fc.integer({ min: 1, max: 4 }), (vals, k) => {
        const shards = Array.from({ length: k }, () => new DistinctSketch());
        vals.forEach((v, i) => shards[i % k]!.add(String(v)));
        const m = new DistinctSketch();
        for (const s of shards) m.merge(s);
        const exact = new Set(vals).size;
        if (m.exact) expect(m.count()).toBe(exact);
        else expect(Math.abs(m.count() - exact) / exact).toBeLessThan(0.06);
      }),
      { numRuns: 60 },
    );
  });

  it('LogHistogram: merged shards give the same quantiles as the whole, within 1% of exact', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(0.5, 0.95, 0.99), (vals, k, q) => {
        const whole = new LogHistogram();
        const shards = Array.from({ length: k }, () => new LogHistogram());
        vals.forEach((v, i) => {
          whole.add(v);
          shards[i % k]!.add(v);
        });
        const m = new LogHistogram();
        for (const s of shards) m.merge(s);
        expect(m.quantile(q)).toBe(whole.quantile(q));
        const sorted = [...vals].sort((a, b) => a - b);
        const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
        expect(Math.abs(m.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('levels and spike baseline', () => {
  it('escalates and de-escalates within one incident (same id, new firing records)', () => {
    const p = makePattern({ detect: { type: 'gauge', field: 'v', aggregate: 'last', window: 1_000, resolution: 1_000, op: '>=', value: 0.7, levels: [{ severity: 'warning', value: 0.7 }, { severity: 'critical', value: 0.85 }] } });
    const engine = createEngine([p]);
    const out: AlertTransition[] = [];
    [0.5, 0.75, 0.9, 0.8, 0.6].forEach((v, i) => {
      engine.observe(ev(DAY0 + i * 1_000, { v }), [{ pattern: 0, roles: ROLE_MATCH, groupKey: '[]', group: {} }]);
      out.push(...engine.advance());
    });
    out.push(...engine.flush());
    expect(out.map((t) => `${t.alert.state}/${t.alert.severity}/r${t.alert.repeat}/${t.threshold}`)).toEqual([
      'firing/warning/r0/0.7',
      'firing/critical/r1/0.85',
      'firing/warning/r2/0.7',
      'resolved/warning/r2/0.7',
    ]);
    expect(new Set(out.map((t) => t.alert.id)).size).toBe(1);
  });

  it('spike: baseline frozen while firing and the incident never enters later baselines', () => {
    const W = 60_000;
    const p = makePattern({ detect: { type: 'spike', window: W, resolution: W, baseline: 10 * W, seasonality: 'none', direction: 'up', threshold: 4, min_count: 10 }, resolve_after: 0 });
    const baselines: number[] = [];
    const engine = createEngine([p], { onEvaluate: (_p, _g, _T, e) => baselines.push(e.baseline ?? NaN) });
    const m: MatchResult[] = [{ pattern: 0, roles: ROLE_MATCH, groupKey: '[]', group: {} }];
    const out: AlertTransition[] = [];
    let t = DAY0;
    const minute = (n: number) => {
      for (let i = 0; i < n; i++) engine.observe(ev(t + Math.floor((i * W) / n), {}), m);
      t += W;
      out.push(...engine.advance());
    };
    for (let i = 0; i < 12; i++) minute(20); // 20/min baseline
    for (let i = 0; i < 5; i++) minute(200); // incident: 5 minutes at 200/min
    for (let i = 0; i < 4; i++) minute(20);
    engine.observe(ev(t, {}), m);
    out.push(...engine.flush());
    const states = out.map((x) => `${x.alert.state}:${x.baseline}`);
    expect(states[0]).toBe('firing:20');
    expect(out.filter((x) => x.alert.state === 'resolved').length).toBe(1);
    // While the incident lasted and after it, the baseline stayed at the pre-incident 20.
    expect(baselines.filter((b) => !Number.isNaN(b)).every((b) => b === 20)).toBe(true);
    expect(out.every((x) => x.baseline === 20)).toBe(true);
  });
});
