// SleepSchedule against scanning every group: at each boundary the due groups are exactly the
// live groups with wake <= T, in creation order, whatever the sequence of wakes, sleeps,
// evictions and rebuilds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundaryHeap, SleepSchedule } from '../../../src/engine/sleep-schedule.js';
import type { Schedulable } from '../../../src/engine/sleep-schedule.js';

interface G extends Schedulable {
  id: number;
}

const newGroup = (seq: number): G => ({ id: seq, seq, wake: -Infinity, awake: false, heapKey: NaN, dueAt: NaN, live: true });

type Op = { k: 'add' } | { k: 'wake'; g: number } | { k: 'evict'; g: number } | { k: 'rebuild' } | { k: 'step'; sleeps: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Op>({ k: 'add' }) },
  { weight: 3, arbitrary: fc.nat(30).map((g): Op => ({ k: 'wake', g })) },
  { weight: 1, arbitrary: fc.nat(30).map((g): Op => ({ k: 'evict', g })) },
  { weight: 1, arbitrary: fc.constant<Op>({ k: 'rebuild' }) },
  // After evaluating the due groups at T: each sleeps for 1..8 steps, or until an event (0).
  { weight: 4, arbitrary: fc.array(fc.nat(8), { minLength: 1, maxLength: 40 }).map((sleeps): Op => ({ k: 'step', sleeps })) },
);

describe('SleepSchedule', () => {
  it('due(T) = the live groups with wake <= T, in creation order (random operations)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
        const RES = 10;
        const sched = new SleepSchedule<G>();
        const groups: G[] = [];
        let T = 0;
        for (const op of ops) {
          if (op.k === 'add') {
            const g = newGroup(groups.length);
            groups.push(g);
            sched.wakeNow(g);
          } else if (op.k === 'wake') {
            const g = groups[op.g];
            if (g !== undefined && g.live) sched.wakeNow(g);
          } else if (op.k === 'evict') {
            const g = groups[op.g];
            if (g !== undefined) g.live = false;
          } else if (op.k === 'rebuild') {
            sched.rebuild(groups.filter((g) => g.live), T);
          } else {
            const want = groups.filter((g) => g.live && g.wake <= T).map((g) => g.id);
            const due = sched.due(T);
            expect(due.map((g) => g.id)).toEqual(want);
            due.forEach((g, i) => {
              const s = op.sleeps[i % op.sleeps.length]!;
              sched.sleep(g, s === 0 ? Infinity : T + s * RES, T + RES);
            });
            T += RES;
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps at most one live heap entry per group when it keeps going back to sleep later', () => {
    const sched = new SleepSchedule<G>();
    const g = newGroup(0);
    sched.wakeNow(g);
    for (let T = 0; T < 1_000; T += 10) {
      // Woken by an event every boundary, each time sleeping 60 boundaries ahead.
      const due = sched.due(T);
      expect(due).toEqual([g]);
      sched.sleep(g, T + 600, T + 10);
      // The entry pushed at the last multiple of 600 stays (no push per boundary) until it comes up.
      expect(g.heapKey).toBe(Math.floor(T / 600) * 600 + 600);
      sched.wakeNow(g);
    }
  });
});

describe('BoundaryHeap', () => {
  it('pops by boundary, then tie', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(20)), { maxLength: 60 }), (xs) => {
        const h = new BoundaryHeap<number>();
        xs.forEach(([t, tie], i) => h.push(t, tie, i));
        const got: number[] = [];
        while (h.size > 0) got.push(h.pop());
        const want = xs.map((x, i) => [x[0], x[1], i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
        // Equal (boundary, tie) pairs may come out in any order: compare their keys.
        expect(got.map((i) => xs[i])).toEqual(want.map((i) => xs[i]));
      }),
    );
  });
});
