import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketRing } from '../../../src/window/bucket-ring.js';

describe('BucketRing', () => {
  it('sums match a naive recount across base moves and far-future spills', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), ahead: fc.integer({ min: 0, max: 60 }), sub: fc.boolean() }),
      fc.record({ kind: fc.constant('base' as const), by: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), fc.integer({ min: 1, max: 9 }), (ops, capacity) => {
        const res = 1000;
        let base = 10;
        const ring = new BucketRing({ resolution: res, capacity, base, sub: true, maxTime: true });
        const events: { b: number; time: number; sub: boolean }[] = [];
        let retiredMax = -Infinity;
        for (const o of ops) {
          if (o.kind === 'add') {
            const time = base * res + o.ahead * 137;
            expect(ring.add(time, o.sub)).toBe(true);
            events.push({ b: Math.floor(time / res), time, sub: o.sub });
          } else {
            base += o.by;
            ring.setBase(base);
            for (const e of events) if (e.b < base) retiredMax = Math.max(retiredMax, e.time);
          }
          const live = events.filter((e) => e.b >= base);
          for (const [from, to] of [
            [base, base + 3],
            [base + 2, base + 20],
            [base - 5, base + 100],
          ] as const) {
            const inR = live.filter((e) => e.b >= from && e.b < to);
            expect(ring.sumTotal(from, to)).toBe(inR.length);
            expect(ring.sumSub(from, to)).toBe(inR.filter((e) => e.sub).length);
          }
          expect(ring.isEmpty()).toBe(live.length === 0);
          expect(ring.retiredMaxTime).toBe(retiredMax);
        }
      }),
    );
  });

  it('rejects events before the base', () => {
    const ring = new BucketRing({ resolution: 10, capacity: 4, base: 5 });
    expect(ring.add(49, false)).toBe(false);
    expect(ring.add(50, false)).toBe(true);
    expect(ring.sumTotal(0, 100)).toBe(1);
  });

  it('partials are mergeable: merging two halves equals one ring', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.boolean(), fc.boolean())), (evs) => {
        const mk = () => new BucketRing({ resolution: 1000, capacity: 8, base: 0, sub: true, maxTime: true });
        const all = mk();
        const a = mk();
        const b = mk();
        for (const [t, sub, side] of evs) {
          all.add(t, sub);
          (side ? a : b).add(t, sub);
        }
        const merged = mk();
        merged.merge(a.partials());
        merged.merge(b.partials());
        expect(merged.partials()).toEqual(all.partials());
      }),
    );
  });
});
