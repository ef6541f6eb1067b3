import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../../src/sink/pagerduty/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a small burst, then spaces events', () => {
    let now = 0;
    const b = new TokenBucket(120, () => now);
    const waits = Array.from({ length: 12 }, () => b.reserve());
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits[10]).toBeGreaterThan(0);
    expect(waits[11]).toBeGreaterThan(waits[10]!);
    now = 60_000;
    expect(b.reserve()).toBe(0);
  });

  it('never lets more than perMinute events start in any 60 s window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (gaps, perMinute) => {
        let now = 0;
        const b = new TokenBucket(perMinute, () => now);
        const starts: number[] = [];
        for (const g of gaps) {
          now += g;
          starts.push(now + b.reserve());
        }
        starts.sort((x, y) => x - y);
        for (let i = 0; i < starts.length; i++) {
          let j = i;
          while (j < starts.length && starts[j]! < starts[i]! + 60_000) j++;
          if (j - i > perMinute) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
