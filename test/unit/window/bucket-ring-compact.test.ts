import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketRing } from '../../../src/window/bucket-ring.js';
import { ReferenceBucketRing } from './reference-bucket-ring.js';

/** The compact sorted-bucket store behaves exactly as the dense ring it replaced. */
describe('BucketRing (compact) vs the dense reference ring', () => {
  const opArb = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), ahead: fc.integer({ min: -3, max: 80 }), frac: fc.integer({ min: 0, max: 999 }), sub: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), ahead: fc.integer({ min: -2, max: 40 }), total: fc.integer({ min: 0, max: 3 }), sub: fc.integer({ min: 0, max: 2 }), t: fc.option(fc.integer({ min: 0, max: 999 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('base' as const), by: fc.integer({ min: 0, max: 12 }) }) },
  );

  it('same sums, scans, emptiness, partials and retired max time after every operation', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 250 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.boolean(), (ops, capacity, sub, maxTime) => {
        const res = 1000;
        let base = 100;
        const a = new BucketRing({ resolution: res, capacity, base, sub, maxTime });
        const r = new ReferenceBucketRing({ resolution: res, capacity, base, sub, maxTime });
        expect(a.capacity).toBe(r.capacity);
        for (const o of ops) {
          if (o.kind === 'add') {
            const time = (base + o.ahead) * res + o.frac;
            expect(a.add(time, o.sub)).toBe(r.add(time, o.sub));
          } else if (o.kind === 'merge') {
            const p = [{ bucketStart: (base + o.ahead) * res, total: o.total, sub: o.sub, maxTime: o.t === null ? null : (base + o.ahead) * res + o.t }];
            a.merge(p);
            r.merge(p);
          } else {
            base += o.by;
            a.setBase(base);
            r.setBase(base);
          }
          expect(a.base).toBe(r.base);
          expect(a.isEmpty()).toBe(r.isEmpty());
          expect(a.retiredMaxTime).toBe(r.retiredMaxTime);
          expect(a.partials()).toEqual(r.partials());
          for (const [from, to] of [
            [base, base + 3],
            [base + 2, base + 20],
            [base - 5, base + 200],
            [base + 30, base + 90],
          ] as const) {
            expect(a.sumTotal(from, to)).toBe(r.sumTotal(from, to));
            expect(a.sumSub(from, to)).toBe(r.sumSub(from, to));
          }
          for (const from of [base - 1, base, base + 1, base + 7, base + 33, base + 70]) expect(a.nextDataIndex(from)).toBe(r.nextDataIndex(from));
        }
      }),
      { numRuns: 300 },
    );
  });
});
