import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Batcher, chunk } from '../../../src/sink/batcher.js';

describe('chunk', () => {
  it('never drops, reorders or exceeds limits (except a single oversized item alone)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 })), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100 }), (sizes, maxItems, maxBytes) => {
        const parts = chunk(sizes, { maxItems, maxBytes }, (s) => s);
        expect(parts.flat()).toEqual(sizes);
        for (const p of parts) {
          expect(p.length).toBeGreaterThan(0);
          expect(p.length).toBeLessThanOrEqual(maxItems);
          if (p.length > 1) expect(p.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxBytes);
        }
      }),
    );
  });
});

describe('Batcher', () => {
  it('hands off on count, on bytes and on time', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxItems: 3, maxBytes: 10, maxDelayMs: 30 }, (n) => n, async (batch) => void batches.push(batch));
    await b.add(1);
    await b.add(1);
    await b.add(1); // count
    expect(batches).toEqual([[1, 1, 1]]);
    await b.add(6);
    await b.add(6); // would exceed bytes: flush [6] first
    expect(batches).toEqual([[1, 1, 1], [6]]);
    await new Promise((r) => setTimeout(r, 60)); // time
    expect(batches).toEqual([[1, 1, 1], [6], [6]]);
    await b.add(2);
    await b.close();
    expect(batches.at(-1)).toEqual([2]);
  });

  it('surfaces a failed hand-off on the next add/flush instead of losing it', async () => {
    const b = new Batcher<number>({ maxItems: 1, maxBytes: 100, maxDelayMs: 1000 }, () => 1, async () => {
      throw new Error('boom');
    });
    await expect(b.add(1)).rejects.toThrow('boom');
  });
});
