/**
 * Time buckets holding arbitrary mergeable aggregates (sketches, histograms), for detectors
 * whose per-bucket state is not a number. Bucket `b` holds events with b*res <= time < (b+1)*res;
 * buckets below `base` are retired (dropped). Sparse: only buckets with data exist, so a
 * far-future event costs one entry. The owner merges the buckets of a window at evaluation.
 */
export class SparseBuckets<B> {
  private readonly map = new Map<number, B>();
  private baseIdx: number;
  /** The bucket `at` returned last (events mostly fall in the current bucket: no Map lookup). */
  private lastIdx = NaN;
  private last: B | undefined = undefined;

  constructor(
    readonly resolution: number,
    base: number,
    private readonly make: () => B,
  ) {
    this.baseIdx = base;
  }

  get base(): number {
    return this.baseIdx;
  }

  get size(): number {
    return this.map.size;
  }

  /** The bucket for `time`, created on demand; undefined when already retired. */
  at(time: number): B | undefined {
    const b = Math.floor(time / this.resolution);
    if (b < this.baseIdx) return undefined;
    if (b === this.lastIdx) return this.last;
    let x = this.map.get(b);
    if (x === undefined) {
      x = this.make();
      this.map.set(b, x);
    }
    this.lastIdx = b;
    this.last = x;
    return x;
  }

  get(b: number): B | undefined {
    return this.map.get(b);
  }

  /** Retires buckets below `b` (never decreases). */
  setBase(b: number): void {
    if (b <= this.baseIdx) return;
    this.baseIdx = b;
    for (const k of this.map.keys()) if (k < b) this.map.delete(k);
  }

  /** Calls `f` for every bucket with index in [from, to), in no particular order. */
  forEachIn(from: number, to: number, f: (x: B, b: number) => void): void {
    if (to - from <= this.map.size) {
      for (let i = from; i < to; i++) {
        const x = this.map.get(i);
        if (x !== undefined) f(x, i);
      }
    } else {
      for (const [k, x] of this.map) if (k >= from && k < to) f(x, k);
    }
  }

  /** Smallest bucket index >= from holding data, or Infinity. */
  nextDataIndex(from: number): number {
    let best = Infinity;
    for (const k of this.map.keys()) if (k >= from && k < best) best = k;
    return best;
  }

  isEmpty(): boolean {
    return this.map.size === 0;
  }

  entries(): [number, B][] {
    return [...this.map.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Adopts a bucket (restore/merge); `combine` merges into an existing one. */
  put(b: number, x: B, combine: (into: B, from: B) => void): void {
    if (b < this.baseIdx) return;
    const cur = this.map.get(b);
    if (cur === undefined) this.map.set(b, x);
    else combine(cur, x);
  }
}

/** Detector.nextChange for a window of `n` buckets just evaluated at T. */
export function sparseNextChange<B>(s: SparseBuckets<B>, T: number, n: number): number {
  const res = s.resolution;
  const e = Math.floor(T / res);
  const first = s.nextDataIndex(e - n);
  if (first === Infinity) return Infinity;
  if (first >= e) return (first + 1) * res;
  const ahead = s.nextDataIndex(e);
  const leave = (first + n + 1) * res;
  return ahead === Infinity ? leave : Math.min(leave, (ahead + 1) * res);
}
