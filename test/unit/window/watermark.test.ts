import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../../src/window/watermark.js';

describe('WatermarkTracker', () => {
  it('clock = running max of the min over seen partitions (no ticks)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 10_000 }))), (evs) => {
        const w = new WatermarkTracker(1000);
        const max = new Map<number, number>();
        let clock = -Infinity;
        for (const [p, t] of evs) {
          w.observe(p, t);
          max.set(p, Math.max(max.get(p) ?? -Infinity, t));
          clock = Math.max(clock, Math.min(...max.values()));
          expect(w.clock).toBe(clock);
        }
      }),
    );
  });

  it('is -Infinity before any event and never decreases', () => {
    const w = new WatermarkTracker();
    expect(w.clock).toBe(-Infinity);
    w.observe(0, 100);
    w.observe(1, 50); // a new partition behind the clock cannot pull it back
    expect(w.clock).toBe(100);
    w.observe(1, 80);
    expect(w.clock).toBe(100);
    w.observe(0, 300);
    expect(w.clock).toBe(100);
    w.observe(1, 200);
    expect(w.clock).toBe(200);
  });

  it('excludes an idle partition from the min', () => {
    const w = new WatermarkTracker(30_000);
    w.observe(0, 1_000);
    w.observe(1, 5_000);
    w.tick(0);
    expect(w.clock).toBe(1_000);
    w.observe(1, 9_000);
    w.tick(20_000);
    expect(w.clock).toBe(1_000); // partition 0 not idle yet
    w.observe(1, 12_000);
    w.tick(31_000); // partition 0 silent for 31s: idle
    expect(w.clock).toBe(12_000);
  });

  it('advances with wall time when every partition is idle', () => {
    const w = new WatermarkTracker(10_000);
    w.observe(0, 100_000, 1_000_000);
    w.tick(1_005_000);
    expect(w.clock).toBe(100_000);
    w.tick(1_010_000); // idle now: clock = 100_000 + 10s
    expect(w.clock).toBe(110_000);
    w.tick(1_070_000);
    expect(w.clock).toBe(170_000);
    // Data again: the clock never goes back.
    w.observe(0, 120_000, 1_071_000);
    w.tick(1_072_000);
    expect(w.clock).toBe(170_000);
  });

  it('stamps arrivals at the next tick when observe has no wall time', () => {
    const w = new WatermarkTracker(5_000);
    w.observe(0, 1_000);
    w.tick(50_000); // stamped at 50_000: active
    expect(w.clock).toBe(1_000);
    w.tick(55_000); // idle for 5s: 1_000 + 5_000
    expect(w.clock).toBe(6_000);
  });

  it('never applies the idle rule without idleTimeoutMs', () => {
    const w = new WatermarkTracker();
    w.observe(0, 1_000);
    w.tick(0);
    w.tick(1_000_000);
    expect(w.clock).toBe(1_000);
  });

  it('flushToMax jumps to the max event time', () => {
    const w = new WatermarkTracker();
    w.observe(0, 1_000);
    w.observe(1, 9_000);
    expect(w.clock).toBe(1_000);
    w.flushToMax();
    expect(w.clock).toBe(9_000);
  });

  it('snapshot/restore keeps the clock; downtime does not jump it', () => {
    const w = new WatermarkTracker(10_000);
    w.observe(0, 1_000, 0);
    w.observe(1, 2_000, 0);
    const snap = JSON.parse(JSON.stringify(w.snapshot()));
    const r = new WatermarkTracker(10_000);
    r.restore(snap);
    expect(r.clock).toBe(1_000);
    r.tick(9_999_999); // first tick after restart: partitions count as just arrived
    expect(r.clock).toBe(1_000);
    r.observe(0, 3_000);
    expect(r.clock).toBe(2_000);
  });
});
