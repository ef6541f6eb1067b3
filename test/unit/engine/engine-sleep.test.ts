/**
 * Sleeping groups (src/engine/pattern-runtime.ts): a group is evaluated only at the boundaries
 * where its detector or lifecycle can change (and on the onEvaluate hook's grid). Oracle: the
 * same engine evaluating every group at every boundary (`sleepGroups: false`). Every detector
 * type, random streams with out-of-order events within grace, late events, event-time gaps and
 * random advance points: the transitions must be identical, and so must the hook's view at every
 * grid boundary (what the metric emitter reads).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/engine/engine.js';
import { PatternRuntime } from '../../../src/engine/pattern-runtime.js';
import type { EngineOptions } from '../../../src/engine/engine.js';
import { createMatcher } from '../../../src/match/index.js';
import type { LogEvent } from '../../../src/model/event.js';
import type { Pattern } from '../../../src/model/pattern.js';
import { DAY0, brief, makePattern } from './helpers.js';

const S = 1_000;

function patterns(grace: number, forMs: number, resolveAfter: number, repeat: number): Pattern[] {
  const common = { grace, for: forMs, resolve_after: resolveAfter, repeat_interval: repeat, flap_window: 20 * S, flap_max_changes: 3 };
  const limit = { op: '>=' as const };
  return [
    makePattern({ ...common, id: 'thr', match: { event: 'a' }, group_by: ['g'], detect: { type: 'threshold', window: 10 * S, resolution: S, ...limit, value: 3 } }),
    makePattern({ ...common, id: 'low', match: { event: 'a' }, detect: { type: 'threshold', window: 5 * S, resolution: S, op: '<', value: 1 } }),
    makePattern({ ...common, id: 'ratio', match: { event: 'a' }, group_by: ['g'], detect: { type: 'ratio', window: 6 * S, resolution: S, op: '>', value: 0.5, min_total: 2, numerator: { where: { ok: { equals: false } } } } }),
    makePattern({ ...common, id: 'any', match: { event: 'b' }, group_by: ['g'], detect: { type: 'any' } }),
    makePattern({ ...common, id: 'abs', match: { event: 'a' }, group_by: ['g'], detect: { type: 'absence', after: 8 * S } }),
    makePattern({ ...common, id: 'spike', match: { event: 'a' }, detect: { type: 'spike', window: 2 * S, resolution: S, baseline: 12 * S, seasonality: 'none', direction: 'both', threshold: 3, min_count: 2 } }),
    makePattern({ ...common, id: 'newval', match: { event: 'b' }, group_by: ['v'], detect: { type: 'new_value', field: 'v', lookback: 30 * S, learn: 5 * S, max_values: 100, resolution: S } }),
    makePattern({ ...common, id: 'card', match: { event: 'a' }, detect: { type: 'cardinality', field: 'v', window: 6 * S, resolution: S, ...limit, value: 3 } }),
    makePattern({ ...common, id: 'quant', match: { event: 'a' }, group_by: ['g'], detect: { type: 'quantile', field: 'n', q: 0.9, window: 6 * S, resolution: 2 * S, op: '>=', value: 50, levels: [{ severity: 'warning', value: 50 }, { severity: 'critical', value: 80 }], min_count: 1 } }),
    makePattern({ ...common, id: 'gauge', match: { event: 'b' }, group_by: ['g'], detect: { type: 'gauge', field: 'n', aggregate: 'max', window: 4 * S, resolution: S, op: '>=', value: 60 } }),
    makePattern({ ...common, id: 'cons', match: { event: 'a' }, group_by: ['g'], detect: { type: 'consecutive', count: 3, failure: { where: { ok: { equals: false } } } } }),
    makePattern({ ...common, id: 'mfu', match: { event: 'a', where: { ok: { equals: true } } }, group_by: ['g'], detect: { type: 'missing_follow_up', within: 7 * S, follow_up: { event: 'b' }, max_pending: 5, max_total_pending: 12 } }),
  ];
}

interface Op {
  gap: number;
  dt: number;
  name: 'a' | 'b';
  g: string;
  v: string;
  n: number;
  ok: boolean;
  advance: boolean;
}

const GRID = 5 * S;

function run(ps: Pattern[], ops: Op[], opts: EngineOptions): { transitions: ReturnType<typeof brief>; grid: string[]; evaluations: number } {
  const grid: string[] = [];
  let evaluations = 0;
  const engine = createEngine(ps, {
    ...opts,
    onEvaluate: (p, key, T, e) => {
      evaluations++;
      if (T % GRID === 0) grid.push(`${p.id} ${key} ${T} ${e.active} ${e.value} ${e.count} ${e.severity ?? '-'} ${e.windowStart}`);
    },
    onEvaluateEveryMs: GRID,
  });
  const match = createMatcher(ps);
  const out = [];
  let t = DAY0 + 100 * S;
  for (const o of ops) {
    t += o.gap;
    const ev: LogEvent = { name: o.name, time: t + o.dt, timeSource: 'field', fields: { g: o.g, v: o.v, n: o.n, ok: o.ok }, partition: 0 };
    engine.observe(ev, match(ev));
    if (o.advance) out.push(...engine.advance());
  }
  out.push(...engine.flush());
  // The hook's order within one boundary follows group order, the same in both engines.
  return { transitions: brief(out), grid, evaluations };
}

const opFields = {
  gap: fc.oneof(fc.integer({ min: 0, max: 800 }), fc.integer({ min: 2_000, max: 25_000 })),
  dt: fc.integer({ min: -3_000, max: 0 }),
  name: fc.constantFrom('a' as const, 'b' as const),
  g: fc.constantFrom('x', 'y', 'z'),
  v: fc.constantFrom('v1', 'v2', 'v3', 'v4', 'v5'),
  n: fc.integer({ min: 0, max: 100 }),
  ok: fc.boolean(),
  advance: fc.boolean(),
};
const opArb = fc.record(opFields);

describe('sleeping groups', () => {
  it('give exactly the transitions and grid evaluations of evaluating every group at every boundary', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 120 }),
        fc.constantFrom(0, 2_000),
        fc.constantFrom(0, 3_000),
        fc.constantFrom(0, 4_000),
        fc.constantFrom(0, 9_000),
        (ops, grace, forMs, resolveAfter, repeat) => {
          const ps = patterns(grace, forMs, resolveAfter, repeat);
          const awake = run(ps, ops, { sleepGroups: false });
          const asleep = run(ps, ops, {});
          expect(asleep.transitions).toEqual(awake.transitions);
          expect(asleep.grid).toEqual(awake.grid);
          expect(asleep.evaluations).toBeLessThanOrEqual(awake.evaluations);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stay exact when many groups come and go (evicted groups leave holes that are compacted)', () => {
    // 60 group values and gaps past every window: groups are evicted in bulk, so the runtime's
    // group order is compacted (>= 32 holes) between boundaries while other groups sleep.
    const manyArb = fc.record({ ...opFields, g: fc.integer({ min: 0, max: 59 }).map((i) => `g${i}`), v: fc.integer({ min: 0, max: 59 }).map((i) => `v${i}`) });
    fc.assert(
      fc.property(fc.array(manyArb, { minLength: 100, maxLength: 400 }), fc.constantFrom(0, 2_000), (ops, grace) => {
        const ps = patterns(grace, 0, 0, 0);
        const awake = run(ps, ops, { sleepGroups: false });
        const asleep = run(ps, ops, {});
        expect(asleep.transitions).toEqual(awake.transitions);
        expect(asleep.grid).toEqual(awake.grid);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps the group order bounded when every group is evicted batch after batch', () => {
    const p = makePattern({ id: 'thr', grace: 0, match: { event: 'a' }, group_by: ['g'], detect: { type: 'threshold', window: S, resolution: S, op: '>=', value: 5 } });
    const rt = new PatternRuntime(p, {}, undefined);
    const match = createMatcher([p]);
    rt.start(DAY0);
    for (let k = 0; k < 2_000; k++) {
      // One event of a new group, then a batch far past its window: the group is evaluated and
      // evicted, and the pattern has no live group left (the early exit of evaluateUntil).
      const e: LogEvent = { name: 'a', time: DAY0 + k * 10 * S, timeSource: 'field', fields: { g: `g${k}` }, partition: 0 };
      rt.observe(e, match(e)[0]!);
      rt.evaluateUntil(e.time + 5 * S, []);
    }
    expect(rt.groups.size).toBe(0);
    // The evicted groups' holes are dropped: the order does not grow with every group ever seen.
    expect((rt as unknown as { order: unknown[] }).order.length).toBeLessThan(64);
  });

  it('an event wakes its group for the first boundary that can see it, not for the next one (grace)', () => {
    const ps = [makePattern({ id: 'mfu', grace: 30 * S, match: { event: 'a' }, group_by: ['g'], detect: { type: 'missing_follow_up', within: 300 * S, follow_up: { event: 'b' }, max_pending: 5, max_total_pending: 100 } })];
    let n = 0;
    const engine = createEngine(ps, { onEvaluate: (_p, key) => void (key.includes('paid') && n++), onEvaluateEveryMs: 3_600 * S });
    const match = createMatcher(ps);
    for (let s = 0; s <= 120; s++) {
      // Org "paid": A at 40 s, its follow-up B at 43 s; other orgs' B's every second keep the clock moving.
      const g = s === 40 || s === 43 ? 'paid' : 'other';
      const ev: LogEvent = { name: s === 40 ? 'a' : 'b', time: DAY0 + s * S, timeSource: 'field', fields: { g }, partition: 0 };
      engine.observe(ev, match(ev));
      engine.advance();
    }
    // Evaluated when A becomes final (pending) and when B does (cleared, evicted): no evaluation
    // at the boundaries ~30 s behind each arrival, which could not see them.
    expect(n).toBe(2);
    expect(engine.stats().patterns[0]!.activeGroups).toBe(1);
  });

  it('without a hook, a group waiting minutes for its deadline is evaluated a few times, not every second', () => {
    const ps = [makePattern({ id: 'mfu', match: { event: 'a' }, group_by: ['g'], detect: { type: 'missing_follow_up', within: 300 * S, follow_up: { event: 'b' }, max_pending: 5, max_total_pending: 100 } })];
    /** Evaluations of the group "late", and the transitions. */
    const count = (opts: EngineOptions): { n: number; states: string[] } => {
      let n = 0;
      const engine = createEngine(ps, { ...opts, onEvaluate: (_p, key) => void (key.includes('late') && n++) });
      const match = createMatcher(ps);
      const states: string[] = [];
      for (let s = 0; s <= 400; s++) {
        // One A for group "late" at the start, then a steady stream of other groups' B's.
        const ev: LogEvent = { name: s === 0 ? 'a' : 'b', time: DAY0 + s * S, timeSource: 'field', fields: { g: s === 0 ? 'late' : 'other' }, partition: 0 };
        engine.observe(ev, match(ev));
        states.push(...engine.advance().map((t) => `${t.group['g']} ${t.alert.state}`));
      }
      return { n, states };
    };
    const awake = count({ sleepGroups: false });
    // A grid wider than the run: only detector and lifecycle changes wake the group.
    const asleep = count({ onEvaluateEveryMs: 3_600 * S });
    expect(asleep.states).toEqual(awake.states);
    expect(awake.states).toContain('late firing');
    expect(awake.n).toBeGreaterThan(390);
    expect(asleep.n).toBeLessThan(20);
  });
});
