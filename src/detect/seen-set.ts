import { hash2 } from './hash.js';

/**
 * The values seen within `lookback` (event time), bounded: up to `maxValues` keys exactly
 * (key -> last time seen, least recently seen first), the rest in time-sliced Bloom filters.
 *
 * When the exact map is full, its least recently seen key moves into the Bloom filter of the
 * slice holding its last time (slice = lookback / 8). A lookup that misses the map asks every
 * slice that still overlaps [t - lookback, t). Error bound, only once more than `maxValues`
 * distinct values were seen within a lookback:
 * - no false "new": a value is never reported new because of the approximation;
 * - false "seen" (a new value missed) with probability <= (1 - e^(-k n / m))^k per slice asked,
 *   n = keys in that slice: with m = 10 bits per value (of maxValues) and k = 7 that is <= 0.8%
 *   per slice while n <= maxValues, and a lookup asks at most 9 slices (<= 7% worst case, ~1% in
 *   practice since only recent slices are full). `saturated` counts inserts past that design load;
 * - a value in a filter stays "seen" up to one slice (lookback / 8) longer than `lookback`.
 */
export const BLOOM_SLICES = 8;
const K = 7;
const h = new Uint32Array(2);

interface Slice {
  bits: Uint32Array;
  n: number;
}

export class SeenSet {
  private readonly exact = new Map<string, number>();
  private readonly slices = new Map<number, Slice>();
  private readonly sliceMs: number;
  private readonly mBits: number;
  saturated = 0;
  /** Keys moved into a filter so far. */
  spilled = 0;

  /**
   * `slack`: how far before the latest touched time a later lookup or touch may still come (the
   * owner touches in event-time order only per key; across keys, within one evaluation step).
   * Nothing a lookup at t - slack could still need is forgotten.
   */
  constructor(
    private readonly lookback: number,
    private readonly maxValues: number,
    private readonly slack = 0,
  ) {
    this.sliceMs = Math.max(1, Math.ceil(lookback / BLOOM_SLICES));
    let m = 1024;
    while (m < maxValues * 10) m *= 2;
    this.mBits = m;
  }

  get exactSize(): number {
    return this.exact.size;
  }

  /** Last time `key` was seen at or before `t` within lookback, as far as known; undefined if not. */
  lastSeen(key: string, t: number): number | undefined {
    const x = this.exact.get(key);
    if (x !== undefined) return x >= t - this.lookback ? x : undefined;
    if (this.slices.size === 0) return undefined;
    hash2(key, h);
    const first = Math.floor((t - this.lookback) / this.sliceMs);
    let found: number | undefined;
    for (const [idx, s] of this.slices) {
      if (idx < first) continue;
      if (this.has(s, h[0]!, h[1]!)) found = Math.max(found ?? -Infinity, Math.min(t, (idx + 1) * this.sliceMs - 1));
    }
    return found;
  }

  /** Records `key` seen at `t` (t non-decreasing per key). */
  touch(key: string, t: number): void {
    this.exact.delete(key);
    this.exact.set(key, t);
    // Expire relative to the earliest time a later lookup may use (t - slack), not t itself.
    const horizon = t - this.slack - this.lookback;
    while (this.exact.size > 0) {
      const [k, last] = this.exact.entries().next().value!;
      if (last < horizon) this.exact.delete(k);
      else if (this.exact.size > this.maxValues) {
        this.exact.delete(k);
        this.spill(k, last);
      } else break;
    }
    const first = Math.floor(horizon / this.sliceMs);
    for (const idx of this.slices.keys()) if (idx < first - 1) this.slices.delete(idx);
  }

  private spill(key: string, last: number): void {
    const idx = Math.floor(last / this.sliceMs);
    let s = this.slices.get(idx);
    if (s === undefined) this.slices.set(idx, (s = { bits: new Uint32Array(this.mBits / 32), n: 0 }));
    hash2(key, h);
    const m = this.mBits - 1;
    for (let i = 0; i < K; i++) {
      const bit = (h[0]! + Math.imul(i, h[1]! | 1)) & m;
      s.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    s.n++;
    this.spilled++;
    if (s.n > this.maxValues) this.saturated++;
  }

  private has(s: Slice, a: number, b: number): boolean {
    const m = this.mBits - 1;
    for (let i = 0; i < K; i++) {
      const bit = (a + Math.imul(i, b | 1)) & m;
      if ((s.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  toJSON(): { exact: [string, number][]; slices: [number, number, string][]; saturated: number; spilled: number } {
    return {
      exact: [...this.exact.entries()],
      slices: [...this.slices.entries()].map(([i, s]) => [i, s.n, Buffer.from(s.bits.buffer, s.bits.byteOffset, s.bits.byteLength).toString('base64')]),
      saturated: this.saturated,
      spilled: this.spilled,
    };
  }

  restore(j: ReturnType<SeenSet['toJSON']>): void {
    this.exact.clear();
    this.slices.clear();
    for (const [k, t] of j.exact) this.exact.set(k, t);
    for (const [i, n, b64] of j.slices) {
      const buf = Buffer.from(b64, 'base64');
      const bits = new Uint32Array(this.mBits / 32);
      new Uint8Array(bits.buffer).set(buf.subarray(0, bits.byteLength));
      this.slices.set(i, { bits, n });
    }
    this.saturated = j.saturated;
    this.spilled = j.spilled;
  }
}
