/**
 * LogHistogram's two layouts (dense range, sparse Map past DENSE_MAX_BINS) against a brute-force
 * reference: the same bins and counts, the same quantiles, whatever the order of adds, merges
 * and JSON round trips, and whichever layout each side is in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DENSE_MAX_BINS, LogHistogram, RELATIVE_ACCURACY } from '../../../src/detect/log-histogram.js';

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);

/** Reference: bin -> count by the documented mapping (values <= 1e-9 in the zero bucket). */
function reference(values: readonly number[]): { z: number; b: [number, number][] } {
  const bins = new Map<number, number>();
  let z = 0;
  for (const v of values) {
    if (!(v > 1e-9)) z++;
    else {
      const i = Math.ceil(Math.log(v) / LN_GAMMA);
      bins.set(i, (bins.get(i) ?? 0) + 1);
    }
  }
  return { z, b: [...bins.entries()].sort((a, b) => a[0] - b[0]) };
}

function exactQuantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const v = s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
  return v > 1e-9 ? v : 0;
}

// Clustered latencies (dense), wide ranges that force the sparse layout, zeros and negatives.
const valueArb = fc.oneof(
  fc.integer({ min: 1, max: 300 }),
  fc.double({ min: 0.5, max: 50, noNaN: true }),
  fc.double({ min: 1e-6, max: 1e12, noNaN: true }),
  fc.constantFrom(0, -3, 1e-12),
);

const dense = (h: LogHistogram): boolean => (h as unknown as { sparse: unknown }).sparse === null;

describe('LogHistogram', () => {
  it('holds exactly the reference bins, and quantiles within the relative accuracy, in either layout', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 400 }), fc.constantFrom(0.5, 0.95, 0.99, 1), (values, q) => {
        const h = new LogHistogram();
        for (const v of values) h.add(v);
        expect(h.toJSON()).toEqual(reference(values));
        expect(h.total).toBe(values.length);
        const exact = exactQuantile(values, q);
        const got = h.quantile(q);
        if (exact === 0) expect(got).toBe(0);
        else expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('shards merged in any order (some through JSON) equal the whole, mixing dense and sparse sides', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(valueArb, fc.nat(4)), { minLength: 1, maxLength: 300 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (items, viaJson) => {
        const whole = new LogHistogram();
        const shards = Array.from({ length: 5 }, () => new LogHistogram());
        for (const [v, s] of items) {
          whole.add(v);
          shards[s]!.add(v);
        }
        const merged = new LogHistogram();
        shards.forEach((s, k) => merged.merge(viaJson[k] ? LogHistogram.fromJSON(JSON.parse(JSON.stringify(s.toJSON())) as ReturnType<LogHistogram['toJSON']>) : s));
        expect(merged.toJSON()).toEqual(whole.toJSON());
        expect(merged.total).toBe(whole.total);
        for (const q of [0.5, 0.9, 0.99]) expect(merged.quantile(q)).toBe(whole.quantile(q));
      }),
      { numRuns: 300 },
    );
  });

  it('stays dense while the values span at most DENSE_MAX_BINS bins, then keeps only the non-empty bins', () => {
    const h = new LogHistogram();
    // 1 ms .. 10 s of latencies: ~460 bins, dense.
    for (let v = 1; v <= 10_000; v *= 1.5) h.add(v);
    expect(dense(h)).toBe(true);
    expect((h as unknown as { counts: Float64Array }).counts.length).toBeLessThanOrEqual(DENSE_MAX_BINS);
    const before = h.toJSON();
    // One value ~14 decades up: the span passes the cap, the layout switches, nothing is lost.
    h.add(1e18);
    expect(dense(h)).toBe(false);
    expect((h as unknown as { counts: Float64Array }).counts.length).toBe(0);
    expect(h.toJSON().b).toEqual([...before.b, [Math.ceil(Math.log(1e18) / LN_GAMMA), 1]]);
    expect(h.quantile(1)).toBeCloseTo(1e18, -16);
  });
});
