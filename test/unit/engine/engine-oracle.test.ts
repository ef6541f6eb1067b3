/**
 * Property tests: the engine against a brute-force oracle that recomputes every detector's
 * condition and value at every boundary from the list of accepted events, and derives the
 * expected alert transitions from those conditions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/engine/engine.js';
import type { Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { DAY0, ev, makePattern, testMatcher } from './helpers.js';

interface Op {
  partition: number;
  dt: number;
  step: number;
  g: string;
  sub: boolean;
  adv: boolean;
}

interface Accepted {
  time: number;
  g: string;
  sub: boolean;
}

interface Expect {
  active: boolean;
  value: number;
  count: number;
}

function patternsFor(grace: number, forMs: number, resolveAfter: number): Pattern[] {
  const common = { grace, for: forMs, resolve_after: resolveAfter };
  return [
    makePattern({ ...common, id: 'thr', group_by: ['g'], detect: { type: 'threshold', window: 10_000, resolution: 2_000, op: '>=', value: 3 } }),
    makePattern({
      ...common,
      id: 'ratio',
      group_by: ['g'],
      detect: { type: 'ratio', window: 6_000, resolution: 1_000, op: '>', value: 0.5, min_total: 2, numerator: { where: { sub: { equals: true } } } },
    }),
    makePattern({ ...common, id: 'any', group_by: ['g'], detect: { type: 'any' } }),
    makePattern({ ...common, id: 'abs', group_by: ['g'], detect: { type: 'absence', after: 4_000 } }),
    makePattern({ ...common, id: 'abs0', detect: { type: 'absence', after: 3_000, resolution: 500 } }),
    makePattern({ ...common, id: 'low0', detect: { type: 'threshold', window: 5_000, resolution: 1_000, op: '<', value: 2 } }),
  ];
}

function resolutionOf(p: Pattern): number {
  const d = p.detect;
  return d.type === 'threshold' || d.type === 'ratio' ? d.resolution : (d.resolution ?? 1000);
}

/** The oracle's condition/value for pattern p, group g (undefined = all events) at T. */
function oracle(p: Pattern, acc: readonly Accepted[], g: string | undefined, T: number, t0: number): Expect | undefined {
  const mine = g === undefined ? acc : acc.filter((a) => a.g === g);
  const d = p.detect;
  switch (d.type) {
    case 'threshold': {
      const count = mine.filter((a) => a.time >= T - d.window && a.time < T).length;
      const warm = !(d.op === '<' || d.op === '<=') || T - d.window >= t0;
      const cmp = d.op === '>=' ? count >= d.value : count < d.value;
      return { active: warm && cmp, value: count, count };
    }
    case 'ratio': {
      const inW = mine.filter((a) => a.time >= T - d.window && a.time < T);
      const sub = inW.filter((a) => a.sub).length;
      const ratio = inW.length > 0 ? sub / inW.length : 0;
      return { active: inW.length >= Math.max(1, d.min_total) && ratio > d.value, value: ratio, count: inW.length };
    }
    case 'any': {
      const count = mine.filter((a) => a.time >= T - 1000 && a.time < T).length;
      return { active: count >= 1, value: count, count };
    }
    case 'absence': {
      let last = g === undefined ? t0 : -Infinity;
      for (const a of mine) if (a.time < T && a.time > last) last = a.time;
      if (last === -Infinity) return undefined;
      return { active: T - last >= d.after, value: (T - last) / 1000, count: 0 };
    }
  }
}

/** Expected transitions from a condition sequence (repeat 0, no flapping). */
function oracleLifecycle(conds: readonly [number, boolean][], F: number, R: number): string[] {
  const out: string[] = [];
  let phase: 'inactive' | 'pending' | 'firing' = 'inactive';
  let trueStart = NaN;
  let falseStart = NaN;
  for (const [T, c] of conds) {
    if (c) {
      falseStart = NaN;
      if (Number.isNaN(trueStart)) trueStart = T;
    } else {
      trueStart = NaN;
      if (Number.isNaN(falseStart)) falseStart = T;
    }
    if (phase === 'inactive' && c) {
      phase = F === 0 ? 'firing' : 'pending';
      out.push(`${T} inactive->${phase}`);
    } else if (phase === 'pending') {
      if (!c) {
        phase = 'inactive';
        out.push(`${T} pending->resolved`);
      } else if (T - trueStart >= F) {
        phase = 'firing';
        out.push(`${T} pending->firing`);
      }
    } else if (phase === 'firing' && !c && T - falseStart >= R) {
      phase = 'inactive';
      out.push(`${T} firing->resolved`);
    }
  }
  return out;
}

const opArb = fc.record({
  partition: fc.integer({ min: 0, max: 2 }),
  dt: fc.integer({ min: -7_000, max: 3_000 }),
  step: fc.integer({ min: 0, max: 1_500 }),
  g: fc.constantFrom('a', 'b', 'c'),
  sub: fc.boolean(),
  adv: fc.boolean(),
});

function run(ops: readonly Op[], grace: number, forMs: number, resolveAfter: number): void {
  const patterns = patternsFor(grace, forMs, resolveAfter);
  const evals = new Map<string, Expect>();
  const engine = createEngine(patterns, {
    onEvaluate: (p, gk, T, e) => {
      const key = `${p.id}|${gk}|${T}`;
      expect(evals.has(key), `evaluated twice: ${key}`).toBe(false);
      evals.set(key, { active: e.active, value: e.value, count: e.count });
    },
  });
  const match = testMatcher(patterns);
  const transitions: AlertTransition[] = [];

  // Oracle watermark and acceptance.
  const maxByPartition = new Map<number, number>();
  let clock = -Infinity;
  const accepted: Accepted[][] = patterns.map(() => []);
  const late = patterns.map(() => 0);
  let base = DAY0 + 100_000;
  let t0 = NaN;
  let maxTime = -Infinity;
  for (const o of ops) {
    base += o.step;
    const time = base + o.dt + o.partition * 300;
    if (Number.isNaN(t0)) t0 = time;
    maxTime = Math.max(maxTime, time);
    maxByPartition.set(o.partition, Math.max(maxByPartition.get(o.partition) ?? -Infinity, time));
    clock = Math.max(clock, Math.min(...maxByPartition.values()));
    patterns.forEach((p, i) => {
      if (time < clock - p.grace) late[i]!++;
      else accepted[i]!.push({ time, g: o.g, sub: o.sub });
    });
    const e = ev(time, { g: o.g, sub: o.sub }, o.partition);
    engine.observe(e, match(e));
    if (o.adv) transitions.push(...engine.advance());
  }
  transitions.push(...engine.flush());

  const stats = engine.stats();
  expect(stats.patterns.map((s) => s.late)).toEqual(late);

  patterns.forEach((p, i) => {
    const res = resolutionOf(p);
    const first = (Math.floor((t0 - p.grace) / res) + 1) * res;
    const grouped = p.group_by.length > 0;
    const groups = grouped ? ['a', 'b', 'c'] : [undefined];
    for (const g of groups) {
      const gk = g === undefined ? '[]' : JSON.stringify([g]);
      const conds: [number, boolean][] = [];
      // flush: window detectors close the last event's bucket; absence stops at the last event.
      const last = p.detect.type === 'absence' ? maxTime : (Math.floor(maxTime / res) + 1) * res;
      for (let T = first; T <= last; T += res) {
        const want = oracle(p, accepted[i]!, g, T, t0);
        const got = evals.get(`${p.id}|${gk}|${T}`);
        const mustExist = want !== undefined && (p.detect.type === 'absence' || !grouped || want.count > 0);
        if (mustExist) expect(got, `${p.id} ${gk} T=${T} not evaluated`).toBeDefined();
        if (got !== undefined) {
          // A group is evaluated from its creation; an absence group not yet seen before T is quiet.
          expect(got, `${p.id} ${gk} T=${T}`).toEqual(want ?? { active: false, value: 0, count: 0 });
        }
        conds.push([T, got?.active ?? false]);
      }
      const expected = oracleLifecycle(conds, forMs, resolveAfter);
      const actual = transitions
        .filter((t) => t.pattern.id === p.id && JSON.stringify(t.group) === JSON.stringify(g === undefined ? {} : { g }))
        .map((t) => `${Date.parse(t['@timestamp'])} ${t.alert.previous}->${t.alert.state}`);
      expect(actual, `${p.id} ${gk} lifecycle`).toEqual(expected);
    }
  });

  // Global order: within each call sorted; every transition has a well-formed id.
  for (const t of transitions) expect(t.alert.id).toBe(`${t.alert.key}-${t.alert.seq}`);
}

describe('engine vs brute-force oracle', () => {
  it('windowed counts, detector values and lifecycle (for=0, resolve_after=0)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.constantFrom(0, 2_000, 5_000), (ops, grace) => {
        run(ops, grace, 0, 0);
      }),
      { numRuns: 150 },
    );
  });

  it('lifecycle with for and resolve_after', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 120 }),
        fc.constantFrom(0, 3_000),
        fc.constantFrom(0, 2_000, 4_000),
        fc.constantFrom(0, 2_000, 6_000),
        (ops, grace, forMs, resolveAfter) => {
          run(ops, grace, forMs, resolveAfter);
        },
      ),
      { numRuns: 150 },
    );
  });
});
