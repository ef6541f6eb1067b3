/**
 * Shard merges: a random stream split into k shards, each aggregated on its own, merged, must
 * equal aggregating the whole stream — exactly for counts (total, sub, maxTime, including
 * far-future buckets beyond the ring), register-exact for HLL, bin-exact for histograms (their
 * error bounds against exact values are in test/unit/detect/new-detectors.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctSketch } from '../../../src/detect/distinct-sketch.js';
import { LogHistogram } from '../../../src/detect/log-histogram.js';
import { BucketRing } from '../../../src/window/bucket-ring.js';
import { SparseBuckets } from '../../../src/window/sparse-buckets.js';

const RES = 1_000;

const streamArb = fc.array(
  fc.record({
    // Mostly within a short ring, some far ahead (the ring's far-future map).
    t: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 20_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 5_000_000 }) }),
    sub: fc.boolean(),
    shard: fc.nat(),
    v: fc.integer({ min: 0, max: 2_000 }),
  }),
  { maxLength: 400 },
);

describe('shard merge', () => {
  it('BucketRing counts: merged shard partials equal the whole, exactly (total, sub, maxTime, sums)', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 16 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 4 }), (evs, k, capacity, bases) => {
        const mk = () => new BucketRing({ resolution: RES, capacity, base: 0, sub: true, maxTime: true });
        const whole = mk();
        const shards = Array.from({ length: k }, mk);
        for (const e of evs) {
          whole.add(e.t, e.sub);
          shards[e.shard % k]!.add(e.t, e.sub);
        }
        const merged = mk();
        for (const s of shards) merged.merge(s.partials());
        expect(merged.partials()).toEqual(whole.partials());
        // Naive recount per bucket.
        const naive = new Map<number, { total: number; sub: number; maxTime: number }>();
        for (const e of evs) {
          const b = Math.floor(e.t / RES) * RES;
          const x = naive.get(b) ?? { total: 0, sub: 0, maxTime: -Infinity };
          x.total++;
          if (e.sub) x.sub++;
          x.maxTime = Math.max(x.maxTime, e.t);
          naive.set(b, x);
        }
        expect(merged.partials()).toEqual([...naive.entries()].sort((a, b) => a[0] - b[0]).map(([bucketStart, x]) => ({ bucketStart, ...x })));
        // Moving the base retires the same buckets on both sides; sums stay equal.
        let base = 0;
        for (const step of bases) {
          base += step;
          merged.setBase(base);
          whole.setBase(base);
          expect(merged.partials()).toEqual(whole.partials());
          expect(merged.retiredMaxTime).toBe(whole.retiredMaxTime);
          for (const [from, to] of [
            [base, base + 5],
            [base, base + 6_000],
            [0, 10_000],
          ] as const) {
            expect(merged.sumTotal(from, to)).toBe(whole.sumTotal(from, to));
            expect(merged.sumSub(from, to)).toBe(whole.sumSub(from, to));
            const want = evs.filter((e) => Math.floor(e.t / RES) >= Math.max(from, base) && Math.floor(e.t / RES) < to);
            expect(whole.sumTotal(from, to)).toBe(want.length);
            expect(whole.sumSub(from, to)).toBe(want.filter((e) => e.sub).length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('BucketRing: shards merged in any order and grouping (associative, commutative)', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 2, max: 5 }), (evs, k) => {
        const mk = () => new BucketRing({ resolution: RES, capacity: 8, base: 0, sub: true, maxTime: true });
        const shards = Array.from({ length: k }, mk);
        for (const e of evs) shards[e.shard % k]!.add(e.t, e.sub);
        const forward = mk();
        for (const s of shards) forward.merge(s.partials());
        // ((s_k-1 + s_k-2) + ...) via an intermediate ring, reversed.
        const inner = mk();
        for (const s of [...shards].reverse().slice(0, -1)) inner.merge(s.partials());
        const backward = mk();
        backward.merge(shards[0]!.partials());
        backward.merge(inner.partials());
        expect(backward.partials()).toEqual(forward.partials());
      }),
      { numRuns: 150 },
    );
  });

  it('SparseBuckets of DistinctSketch and LogHistogram: merged shards equal the whole per bucket', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 15 }), (evs, k, base) => {
        const dsWhole = new SparseBuckets(RES, base, () => new DistinctSketch());
        const lhWhole = new SparseBuckets(RES, base, () => new LogHistogram());
        const dsShards = Array.from({ length: k }, () => new SparseBuckets(RES, base, () => new DistinctSketch()));
        const lhShards = Array.from({ length: k }, () => new SparseBuckets(RES, base, () => new LogHistogram()));
        for (const e of evs) {
          dsWhole.at(e.t)?.add(String(e.v));
          lhWhole.at(e.t)?.add(e.v / 7);
          dsShards[e.shard % k]!.at(e.t)?.add(String(e.v));
          lhShards[e.shard % k]!.at(e.t)?.add(e.v / 7);
        }
        // Ship each shard's buckets as JSON (as a snapshot/transport would) and merge.
        const ds = new SparseBuckets(RES, base, () => new DistinctSketch());
        const lh = new SparseBuckets(RES, base, () => new LogHistogram());
        for (const s of dsShards) for (const [b, x] of s.entries()) ds.put(b, DistinctSketch.fromJSON(JSON.parse(JSON.stringify(x.toJSON())) as ReturnType<DistinctSketch['toJSON']>), (a, y) => a.merge(y));
        for (const s of lhShards) for (const [b, x] of s.entries()) lh.put(b, LogHistogram.fromJSON(JSON.parse(JSON.stringify(x.toJSON())) as ReturnType<LogHistogram['toJSON']>), (a, y) => a.merge(y));
        const norm = (j: { z: number; b: [number, number][] }) => ({ z: j.z, b: [...j.b].sort((a, b) => a[0] - b[0]) });
        expect(ds.entries().map(([b]) => b)).toEqual(dsWhole.entries().map(([b]) => b));
        for (const [b, x] of dsWhole.entries()) {
          const m = ds.get(b)!;
          expect(m.count()).toBe(x.count());
          if (x.exact) expect(new Set((m.toJSON() as { values: string[] }).values)).toEqual(new Set((x.toJSON() as { values: string[] }).values));
          else expect(m.hll!.reg).toEqual(x.hll!.reg);
        }
        expect(lh.entries().map(([b]) => b)).toEqual(lhWhole.entries().map(([b]) => b));
        for (const [b, x] of lhWhole.entries()) {
          expect(norm(lh.get(b)!.toJSON())).toEqual(norm(x.toJSON()));
          expect(lh.get(b)!.total).toBe(x.total);
        }
        // A window = merge of its buckets: same distinct count and quantiles either way.
        const win = (s: SparseBuckets<DistinctSketch>) => {
          const acc = new DistinctSketch();
          s.forEachIn(base, base + 10, (x) => acc.merge(x));
          return acc.count();
        };
        expect(win(ds)).toBe(win(dsWhole));
        const winQ = (s: SparseBuckets<LogHistogram>) => {
          const acc = new LogHistogram();
          s.forEachIn(base, base + 10, (x) => acc.merge(x));
          return [acc.total, acc.quantile(0.5), acc.quantile(0.99)];
        };
        expect(winQ(lh)).toEqual(winQ(lhWhole));
      }),
      { numRuns: 150 },
    );
  });

  it('DistinctSketch: shards that each stay exact but together pass the cap switch to HLL registers equal to the whole', () => {
    const k = 4;
    const shards = Array.from({ length: k }, () => new DistinctSketch());
    const whole = new DistinctSketch();
    for (let i = 0; i < 3_000; i++) {
      whole.add(`v${i}`);
      shards[i % k]!.add(`v${i}`);
    }
    expect(shards.every((s) => s.exact)).toBe(true);
    const m = new DistinctSketch();
    for (const s of shards) m.merge(s);
    expect(m.exact).toBe(false);
    expect(m.hll!.reg).toEqual(whole.hll!.reg);
    expect(m.count()).toBe(whole.count());
  });
});
