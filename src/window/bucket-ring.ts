/**
 * Time buckets for one (pattern, group): the sliding-window storage.
 *
 * Bucket `b` holds events with `b*res <= time < (b+1)*res` (b = floor(time / res)).
 * Live buckets are those with index >= `base`; the owner moves `base` forward as boundaries
 * are evaluated (`setBase`), which retires older buckets. The window holds the buckets of
 * [base, base+capacity) (`capacity`: the ring size, a power of two); events further ahead
 * (far-future timestamps, skewed partitions) go to a small sparse map and are pulled in as
 * `base` advances, so nothing is lost.
 *
 * Per bucket: `total` (all matched events), optionally `sub` (ROLE_SUB events, for ratio) and
 * `maxTime` (latest event time, for absence). Counts are doubles (exact up to 2^53).
 *
 * Storage (memory per group, issue 8 scenario 5): only buckets holding data are stored, as
 * entries [index, total, (sub), (maxTime)] sorted by index in one plain double array, grown by
 * doubling up to `capacity` entries. A group with one busy bucket costs one 4-element array
 * (~80 bytes) instead of a dense power-of-two ring of Float64Arrays (2-4 ArrayBuffers of
 * 8 x capacity bytes each, plus ~250 bytes of typed-array/ArrayBuffer overhead apiece).
 * In-order events hit the last entry (O(1)); sums and scans walk the (at most capacity) entries,
 * as the dense ring walked its slots. Sums add in bucket order, as before.
 *
 * Partial aggregates are mergeable: a bucket is (bucketStart, total, sub, maxTime) and merging
 * is element-wise add/add/max, so instances can ship `partials()` to each other.
 */
export interface BucketPartial {
  /** Bucket start, epoch ms (a multiple of the resolution). */
  bucketStart: number;
  total: number;
  sub: number;
  /** Latest event time in the bucket (null when not tracked or empty). */
  maxTime: number | null;
}

export interface BucketRingOptions {
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

/** What every ring of one shape shares (kept out of the per-group object). */
interface RingSpec {
  readonly resolution: number;
  readonly cap: number;
  /** Doubles per entry: index, total, then sub and/or maxTime. */
  readonly stride: number;
  /** Offset of sub / maxTime in an entry, -1 when not kept. */
  readonly subAt: number;
  readonly maxAt: number;
}

function nextPow2(n: number): number {
  let c = 1;
  while (c < n) c *= 2;
  return c;
}

const specs = new Map<string, RingSpec>();

function specFor(o: BucketRingOptions): RingSpec {
  const cap = nextPow2(Math.max(2, o.capacity));
  const id = `${o.resolution}/${cap}/${o.sub === true ? 1 : 0}/${o.maxTime === true ? 1 : 0}`;
  let s = specs.get(id);
  if (s === undefined) {
    const subAt = o.sub === true ? 2 : -1;
    const maxAt = o.maxTime === true ? (o.sub === true ? 3 : 2) : -1;
    s = { resolution: o.resolution, cap, stride: 2 + (subAt >= 0 ? 1 : 0) + (maxAt >= 0 ? 1 : 0), subAt, maxAt };
    specs.set(id, s);
  }
  return s;
}

/** A double array of n slots (HOLEY_DOUBLE elements for every ring: one element kind on the hot path). */
function doubles(n: number): number[] {
  return new Array<number>(n).fill(NaN);
}

const NO_DATA: number[] = [];

export class BucketRing {
  private readonly spec: RingSpec;
  /** Entries sorted by bucket index, `len` of them; NO_DATA until the first bucket. */
  private d: number[] = NO_DATA;
  private len = 0;
  private baseIdx: number;
  private future: Map<number, FutureBucket> | null = null;
  /** Latest event time among retired buckets (undefined = -Infinity; only with `maxTime`). */
  private retired: number | undefined = undefined;

  constructor(o: BucketRingOptions) {
    this.spec = specFor(o);
    this.baseIdx = o.base;
  }

  get resolution(): number {
    return this.spec.resolution;
  }

  get base(): number {
    return this.baseIdx;
  }

  get capacity(): number {
    return this.spec.cap;
  }

  /** Latest event time among retired buckets (only with `maxTime`; -Infinity when none). */
  get retiredMaxTime(): number {
    return this.retired ?? -Infinity;
  }

  set retiredMaxTime(t: number) {
    this.retired = t === -Infinity ? undefined : t;
  }

  /** Hot path: one event. Returns false (and drops it) if its bucket is already retired. */
  add(time: number, isSub: boolean): boolean {
    const b = Math.floor(time / this.spec.resolution);
    return this.addTo(b, 1, isSub ? 1 : 0, time);
  }

  /** Adds a partial aggregate to bucket index `b` (merge). */
  addTo(b: number, total: number, sub: number, maxTime: number): boolean {
    if (b < this.baseIdx) return false;
    const sp = this.spec;
    if (b >= this.baseIdx + sp.cap) {
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
    const st = sp.stride;
    const d = this.d;
    // Find the entry for b, scanning from the newest (in-order traffic: the last one).
    let k = this.len - 1;
    while (k >= 0 && d[k * st]! > b) k--;
    let at: number;
    if (k >= 0 && d[k * st] === b) {
      at = k * st;
    } else {
      at = this.insertAt(k + 1, b);
    }
    const dd = this.d;
    dd[at + 1]! += total;
    if (sp.subAt >= 0) dd[at + sp.subAt]! += sub;
    if (sp.maxAt >= 0 && maxTime > dd[at + sp.maxAt]!) dd[at + sp.maxAt] = maxTime;
    return true;
  }

  /** Opens an empty entry for bucket b at position k (entries k.. move up); returns its offset. */
  private insertAt(k: number, b: number): number {
    const sp = this.spec;
    const st = sp.stride;
    let d = this.d;
    const n = this.len;
    if ((n + 1) * st > d.length) {
      // At most `cap` entries are ever live (indexes in [base, base + cap)).
      const grown = doubles(Math.min(sp.cap, Math.max(1, n * 2)) * st);
      for (let i = 0; i < n * st; i++) grown[i] = d[i]!;
      this.d = d = grown;
    }
    for (let i = n * st - 1; i >= k * st; i--) d[i + st] = d[i]!;
    const at = k * st;
    d[at] = b;
    d[at + 1] = 0;
    if (sp.subAt >= 0) d[at + sp.subAt] = 0;
    if (sp.maxAt >= 0) d[at + sp.maxAt] = -Infinity;
    this.len = n + 1;
    return at;
  }

  /** Retires buckets below `b` (b never decreases) and pulls far-future buckets into the window. */
  setBase(b: number): void {
    if (b <= this.baseIdx) return;
    const sp = this.spec;
    const st = sp.stride;
    const d = this.d;
    const n = this.len;
    let drop = 0;
    while (drop < n && d[drop * st]! < b) {
      if (sp.maxAt >= 0 && d[drop * st + sp.maxAt]! > this.retiredMaxTime) this.retired = d[drop * st + sp.maxAt]!;
      drop++;
    }
    if (drop > 0) {
      const keep = (n - drop) * st;
      for (let i = 0; i < keep; i++) d[i] = d[i + drop * st]!;
      this.len = n - drop;
    }
    this.baseIdx = b;
    const fut = this.future;
    if (fut !== null) {
      this.future = null;
      for (const [idx, f] of fut) {
        if (idx < b) {
          if (f.maxTime > this.retiredMaxTime && sp.maxAt >= 0) this.retired = f.maxTime;
        } else {
          this.addTo(idx, f.total, f.sub, f.maxTime);
        }
      }
      if (this.future !== null && (this.future as Map<number, FutureBucket>).size === 0) this.future = null;
    }
  }

  /** Sum of `total` over live buckets with index in [from, to). */
  sumTotal(from: number, to: number): number {
    return this.sumOf(1, from, to);
  }

  /** Sum of `sub` over live buckets with index in [from, to) (0 without a sub counter). */
  sumSub(from: number, to: number): number {
    return this.spec.subAt < 0 ? 0 : this.sumOf(this.spec.subAt, from, to);
  }

  private sumOf(off: number, from: number, to: number): number {
    if (from < this.baseIdx) from = this.baseIdx;
    const end = Math.min(to, this.baseIdx + this.spec.cap);
    const st = this.spec.stride;
    const d = this.d;
    const n = this.len;
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = d[k * st]!;
      if (i >= end) break;
      if (i >= from) s += d[k * st + off]!;
    }
    if (to > end && this.future !== null) {
      for (const [idx, f] of this.future) if (idx >= from && idx < to) s += off === 1 ? f.total : f.sub;
    }
    return s;
  }

  /**
   * Smallest bucket index >= `from` holding data (live or far-future), or Infinity.
   * O(live buckets + far-future buckets); used to skip empty stretches of event time.
   */
  nextDataIndex(from: number): number {
    if (from < this.baseIdx) from = this.baseIdx;
    const st = this.spec.stride;
    const d = this.d;
    for (let k = 0; k < this.len; k++) {
      const i = d[k * st]!;
      if (i >= from) return i;
    }
    let best = Infinity;
    if (this.future !== null) for (const idx of this.future.keys()) if (idx >= from && idx < best) best = idx;
    return best;
  }

  /** True when no live bucket holds data. */
  isEmpty(): boolean {
    return this.len === 0 && this.future === null;
  }

  /** Live buckets as mergeable partial aggregates, ordered by bucketStart. */
  partials(): BucketPartial[] {
    const out: BucketPartial[] = [];
    const sp = this.spec;
    const st = sp.stride;
    const d = this.d;
    for (let k = 0; k < this.len; k++) {
      const at = k * st;
      const mt = sp.maxAt >= 0 ? d[at + sp.maxAt]! : -Infinity;
      out.push({
        bucketStart: d[at]! * sp.resolution,
        total: d[at + 1]!,
        sub: sp.subAt >= 0 ? d[at + sp.subAt]! : 0,
        maxTime: Number.isFinite(mt) ? mt : null,
      });
    }
    if (this.future !== null) {
      const keys = [...this.future.keys()].sort((a, b) => a - b);
      for (const idx of keys) {
        const f = this.future.get(idx)!;
        out.push({
          bucketStart: idx * sp.resolution,
          total: f.total,
          sub: f.sub,
          maxTime: sp.maxAt >= 0 && Number.isFinite(f.maxTime) ? f.maxTime : null,
        });
      }
    }
    return out;
  }

  /** Merges partial aggregates (from another instance or a snapshot). Retired buckets are ignored. */
  merge(parts: readonly BucketPartial[]): void {
    for (const p of parts) {
      this.addTo(Math.floor(p.bucketStart / this.spec.resolution), p.total, p.sub, p.maxTime ?? -Infinity);
    }
  }
}
