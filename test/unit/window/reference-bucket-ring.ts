/**
 * TEST ORACLE: the dense Float64Array ring this project shipped before the compact sorted-bucket
 * store (src/window/bucket-ring.ts); test/unit/window/bucket-ring-compact.test.ts checks the
 * new one against it operation by operation.
 *
 * A ring of fixed-size time buckets for one (pattern, group): the sliding-window storage.
 *
 * Bucket `b` holds events with `b*res <= time < (b+1)*res` (b = floor(time / res)).
 * Live buckets are those with index >= `base`; the owner moves `base` forward as boundaries
 * are evaluated (`setBase`), which retires older buckets. The ring holds `capacity` buckets
 * [base, base+capacity); events further ahead (far-future timestamps, skewed partitions) go to
 * a small sparse map and are pulled into the ring as `base` advances, so nothing is lost.
 *
 * Per bucket: `total` (all matched events), optionally `sub` (ROLE_SUB events, for ratio) and
 * `maxTime` (latest event time, for absence). Counts are Float64 (exact up to 2^53).
 *
 * Partial aggregates are mergeable: a bucket is (bucketStart, total, sub, maxTime) and merging
 * is element-wise add/add/max, so instances can ship `partials()` to each other.
 */
interface BucketPartial {
  /** Bucket start, epoch ms (a multiple of the resolution). */
  bucketStart: number;
  total: number;
  sub: number;
  /** Latest event time in the bucket (null when not tracked or empty). */
  maxTime: number | null;
}

interface BucketRingOptions {
  /** Bucket size, ms. */
  resolution: number;
  /** Ring size in buckets (rounded up to a power of two). */
  capacity: number;
  /** Keep a second counter (ratio numerator). */
  sub?: boolean;
  /** Keep the latest event time per bucket (absence). */
  maxTime?: boolean;
  /** Initial base bucket index. */
  base: number;
}

interface FutureBucket {
  total: number;
  sub: number;
  maxTime: number;
}

function nextPow2(n: number): number {
  let c = 1;
  while (c < n) c *= 2;
  return c;
}

export class ReferenceBucketRing {
  readonly resolution: number;
  private readonly cap: number;
  private readonly mask: number;
  private readonly tag: Float64Array;
  private readonly total: Float64Array;
  private readonly sub: Float64Array | null;
  private readonly maxT: Float64Array | null;
  private baseIdx: number;
  /** Highest bucket index that ever received data. */
  private hi = -Infinity;
  private future: Map<number, FutureBucket> | null = null;
  /** Latest event time among retired buckets (only with `maxTime`). */
  retiredMaxTime = -Infinity;

  constructor(o: BucketRingOptions) {
    this.resolution = o.resolution;
    this.cap = nextPow2(Math.max(2, o.capacity));
    this.mask = this.cap - 1;
    this.tag = new Float64Array(this.cap).fill(NaN);
    this.total = new Float64Array(this.cap);
    this.sub = o.sub ? new Float64Array(this.cap) : null;
    this.maxT = o.maxTime ? new Float64Array(this.cap) : null;
    this.baseIdx = o.base;
  }

  get base(): number {
    return this.baseIdx;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Hot path: one event. Returns false (and drops it) if its bucket is already retired. */
  add(time: number, isSub: boolean): boolean {
    const b = Math.floor(time / this.resolution);
    return this.addTo(b, 1, isSub ? 1 : 0, time);
  }

  /** Adds a partial aggregate to bucket index `b` (merge). */
  addTo(b: number, total: number, sub: number, maxTime: number): boolean {
    if (b < this.baseIdx) return false;
    if (b > this.hi) this.hi = b;
    if (b >= this.baseIdx + this.cap) {
      this.future ??= new Map();
      const f = this.future.get(b);
      if (f === undefined) this.future.set(b, { total, sub, maxTime });
      else {
        f.total += total;
        f.sub += sub;
        if (maxTime > f.maxTime) f.maxTime = maxTime;
      }
      return true;
    }
    const s = b & this.mask;
    if (this.tag[s] !== b) {
      this.tag[s] = b;
      this.total[s] = 0;
      if (this.sub) this.sub[s] = 0;
      if (this.maxT) this.maxT[s] = -Infinity;
    }
    this.total[s]! += total;
    if (this.sub) this.sub[s]! += sub;
    if (this.maxT && maxTime > this.maxT[s]!) this.maxT[s] = maxTime;
    return true;
  }

  /** Retires buckets below `b` (b never decreases) and pulls far-future buckets into the ring. */
  setBase(b: number): void {
    const old = this.baseIdx;
    if (b <= old) return;
    if (this.maxT) {
      const end = Math.min(b, old + this.cap);
      for (let i = old; i < end; i++) {
        const s = i & this.mask;
        if (this.tag[s] === i && this.maxT[s]! > this.retiredMaxTime) this.retiredMaxTime = this.maxT[s]!;
      }
    }
    this.baseIdx = b;
    const fut = this.future;
    if (fut !== null) {
      this.future = null;
      for (const [idx, f] of fut) {
        if (idx < b) {
          if (f.maxTime > this.retiredMaxTime && this.maxT) this.retiredMaxTime = f.maxTime;
        } else {
          this.addTo(idx, f.total, f.sub, f.maxTime);
        }
      }
      if (this.future !== null && (this.future as Map<number, FutureBucket>).size === 0) this.future = null;
    }
  }

  /** Sum of `total` over live buckets with index in [from, to). */
  sumTotal(from: number, to: number): number {
    return this.sumOf(this.total, from, to);
  }

  /** Sum of `sub` over live buckets with index in [from, to) (0 without a sub counter). */
  sumSub(from: number, to: number): number {
    return this.sub === null ? 0 : this.sumOf(this.sub, from, to);
  }

  private sumOf(arr: Float64Array, from: number, to: number): number {
    if (from < this.baseIdx) from = this.baseIdx;
    const end = Math.min(to, this.baseIdx + this.cap);
    let s = 0;
    for (let i = from; i < end; i++) {
      const k = i & this.mask;
      if (this.tag[k] === i) s += arr[k]!;
    }
    if (to > end && this.future !== null) {
      for (const [idx, f] of this.future) if (idx >= from && idx < to) s += arr === this.total ? f.total : f.sub;
    }
    return s;
  }

  /**
   * Smallest bucket index >= `from` holding data (live ring or far-future map), or Infinity.
   * O(capacity + far-future buckets); used to skip empty stretches of event time.
   */
  nextDataIndex(from: number): number {
    if (from < this.baseIdx) from = this.baseIdx;
    if (from > this.hi) return Infinity;
    const end = Math.min(this.hi + 1, this.baseIdx + this.cap);
    for (let i = from; i < end; i++) {
      if (this.tag[i & this.mask] === i) return i;
    }
    let best = Infinity;
    if (this.future !== null) for (const idx of this.future.keys()) if (idx >= from && idx < best) best = idx;
    return best;
  }

  /** True when no live bucket holds data. */
  isEmpty(): boolean {
    return this.hi < this.baseIdx;
  }

  /** Live buckets as mergeable partial aggregates, ordered by bucketStart. */
  partials(): BucketPartial[] {
    const out: BucketPartial[] = [];
    const end = this.baseIdx + this.cap;
    for (let i = this.baseIdx; i < end && i <= this.hi; i++) {
      const k = i & this.mask;
      if (this.tag[k] !== i) continue;
      const mt = this.maxT ? this.maxT[k]! : -Infinity;
      out.push({
        bucketStart: i * this.resolution,
        total: this.total[k]!,
        sub: this.sub ? this.sub[k]! : 0,
        maxTime: Number.isFinite(mt) ? mt : null,
      });
    }
    if (this.future !== null) {
      const keys = [...this.future.keys()].sort((a, b) => a - b);
      for (const idx of keys) {
        const f = this.future.get(idx)!;
        out.push({
          bucketStart: idx * this.resolution,
          total: f.total,
          sub: f.sub,
          maxTime: this.maxT && Number.isFinite(f.maxTime) ? f.maxTime : null,
        });
      }
    }
    return out;
  }

  /** Merges partial aggregates (from another instance or a snapshot). Retired buckets are ignored. */
  merge(parts: readonly BucketPartial[]): void {
    for (const p of parts) {
      this.addTo(Math.floor(p.bucketStart / this.resolution), p.total, p.sub, p.maxTime ?? -Infinity);
    }
  }
}
