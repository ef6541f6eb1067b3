import { describe, expect, it } from 'vitest';
import { TriplineError } from '../../../src/model/errors.js';
import { decodeBatch } from '../../../src/shuffle/partial.js';
import type { PartialBatch, PartialEntry } from '../../../src/shuffle/partial.js';
import { SourceIndex } from '../../../src/shuffle/source-index.js';
import { splitBatch } from '../../../src/shuffle/stage1-source.js';

describe('SourceIndex', () => {
  it('is dense over topics in config order: base = partitions of earlier topics', () => {
    const ix = new SourceIndex(['b', 'a', 'c'], new Map([['a', 2], ['b', 3], ['c', 1]]));
    expect(ix.total).toBe(6);
    expect([0, 1, 2].map((p) => ix.index('b', p))).toEqual([0, 1, 2]);
    expect([0, 1].map((p) => ix.index('a', p))).toEqual([3, 4]);
    expect(ix.index('c', 0)).toBe(5);
    for (let i = 0; i < ix.total; i++) {
      const { topic, partition } = ix.partitionOf(i);
      expect(ix.index(topic, partition)).toBe(i);
    }
  });

  it('is the same for any Map insertion order (deterministic across instances)', () => {
    const a = new SourceIndex(['x', 'y'], new Map([['x', 4], ['y', 12]]));
    const b = new SourceIndex(['x', 'y'], { y: 12, x: 4 });
    expect([...Array(16).keys()].map((i) => a.partitionOf(i))).toEqual([...Array(16).keys()].map((i) => b.partitionOf(i)));
  });

  it('rejects unknown topics, partitions out of range, duplicates and missing counts', () => {
    const ix = new SourceIndex(['t'], { t: 2 });
    expect(() => ix.index('t', 2)).toThrow(RangeError);
    expect(() => ix.index('t', -1)).toThrow(RangeError);
    expect(() => ix.index('u', 0)).toThrow(RangeError);
    expect(() => ix.partitionOf(2)).toThrow(RangeError);
    expect(() => new SourceIndex(['t', 't'], { t: 1 })).toThrow(TriplineError);
    expect(() => new SourceIndex(['t', 'missing'], { t: 1 })).toThrow(/missing/);
  });
});

describe('splitBatch', () => {
  const entry = (i: number): PartialEntry => ({ p: 'pat', k: `g${i}`, r: 1, t: 1000 + i, n: 2, x: [{ e: 'ev', t: 1000 + i, f: { pad: 'x'.repeat(50) } }] });
  const batch = (n: number): PartialBatch => ({ v: 1, of: 3, e: Array.from({ length: n }, (_, i) => entry(i)), w: [[0, 5000, 1000], [2, 6000, 1001]] });

  it('keeps a small batch as one record', () => {
    const out = splitBatch(batch(3), 100_000);
    expect(out).toHaveLength(1);
    expect(decodeBatch(out[0]!)).toEqual(batch(3));
  });

  it('splits a large batch under the size limit, entries in order, watermarks only on the last chunk', () => {
    const b = batch(200);
    const out = splitBatch(b, 2_000);
    expect(out.length).toBeGreaterThan(5);
    for (const buf of out) expect(buf.length).toBeLessThanOrEqual(2_000);
    const decoded = out.map((buf) => decodeBatch(buf));
    expect(decoded.flatMap((d) => d.e)).toEqual(b.e);
    expect(decoded.slice(0, -1).every((d) => d.w.length === 0)).toBe(true);
    expect(decoded.at(-1)!.w).toEqual(b.w);
    expect(decoded.every((d) => d.of === 3)).toBe(true);
  });

  it('an empty batch (watermarks only) stays one record', () => {
    const out = splitBatch({ v: 1, of: 1, e: [], w: [[0, 1, 1]] }, 10);
    expect(out).toHaveLength(1);
  });
});
