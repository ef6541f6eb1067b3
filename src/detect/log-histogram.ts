/**
 * A mergeable quantile sketch with bounded relative error (the DDSketch mapping): a positive
 * value v goes to bucket i = ceil(log_gamma(v)), gamma = (1 + a) / (1 - a), and bucket i is
 * represented by 2 gamma^i / (gamma + 1), which is within a relative `a` of every value in it.
 * With a = 1% every quantile estimate is within ±1% of the exact order statistic of the same
 * rank. Values <= 0 (and below 1e-9) are counted in a zero bucket and reported as 0.
 *
 * Hand-written rather than hdr-histogram-js because it is kept per time bucket per group: it
 * holds only the range of bins its values span (latencies cluster: a few dozen to a few hundred
 * bins, 0.1-2 KB) where an HDR histogram preallocates its whole range (tens of KB).
 * Counts are exact, so buckets merge by addition (order independent, shard-safe).
 *
 * Layout: a dense Float64Array over the bins from `lo` (grown by doubling), so an add is one
 * array write and a quantile walks bins already in order; measured against the previous
 * Map<bin, count> in the engine bench (BENCHMARKS.md, issue 4 round 4). A histogram whose
 * values span more than DENSE_MAX_BINS bins (8 KB; 1% bins cover ~9 decades in 1,024) switches
 * to a Map of the non-empty bins, so memory stays bounded by the values seen, as before.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
const MIN_POSITIVE = 1e-9;

/**
 * Bin of the integers 1..LUT_SIZE-1 (durations in ms, sizes, counts: most observed values), filled
 * on first use with the same expression as the general path: a table read instead of Math.log.
 */
const LUT_SIZE = 1 << 14;
const LUT_EMPTY = -32768;
const lut = new Int16Array(LUT_SIZE).fill(LUT_EMPTY);

function binOf(v: number): number {
  if (v < LUT_SIZE && (v | 0) === v) {
    let i = lut[v]!;
    if (i === LUT_EMPTY) lut[v] = i = Math.ceil(Math.log(v) / LN_GAMMA);
    return i;
  }
  return Math.ceil(Math.log(v) / LN_GAMMA);
}

/** Widest dense range (bins); wider histograms keep a Map of their non-empty bins. */
export const DENSE_MAX_BINS = 1024;
/** First dense allocation (bins). */
const DENSE_MIN_BINS = 32;
const NO_COUNTS = new Float64Array(0);

export class LogHistogram {
  /** Dense counts: counts[j] is bin lo + j (empty until the first value; unused once sparse). */
  private counts: Float64Array = NO_COUNTS;
  private lo = 0;
  /** Non-empty bins once the range outgrew DENSE_MAX_BINS (null while dense). */
  private sparse: Map<number, number> | null = null;
  zero = 0;
  total = 0;

  add(v: number, n = 1): void {
    this.total += n;
    if (!(v > MIN_POSITIVE)) {
      this.zero += n;
      return;
    }
    this.addBin(binOf(v), n);
  }

  private addBin(i: number, n: number): void {
    const j = i - this.lo;
    const c = this.counts;
    if (j >= 0 && j < c.length) c[j] = c[j]! + n;
    else if (this.sparse === null && this.cover(i, i + 1)) this.counts[i - this.lo] = n;
    else this.sparse!.set(i, (this.sparse!.get(i) ?? 0) + n);
  }

  /**
   * Grows the dense range to hold bins [from, to) (at least doubling, toward the new bins);
   * false when that would exceed DENSE_MAX_BINS: the bins then move to `sparse`.
   */
  private cover(from: number, to: number): boolean {
    const c = this.counts;
    if (c.length === 0) {
      const len = Math.max(DENSE_MIN_BINS, to - from);
      if (len > DENSE_MAX_BINS) return this.toSparse();
      this.counts = new Float64Array(len);
      this.lo = from;
      return true;
    }
    const lo = Math.min(this.lo, from);
    const hi = Math.max(this.lo + c.length, to);
    if (hi - lo > DENSE_MAX_BINS) return this.toSparse();
    const len = Math.min(DENSE_MAX_BINS, Math.max(hi - lo, 2 * c.length));
    // The slack goes on the side that grew (values drift that way).
    const start = from < this.lo ? hi - len : lo;
    const grown = new Float64Array(len);
    grown.set(c, this.lo - start);
    this.counts = grown;
    this.lo = start;
    return true;
  }

  private toSparse(): false {
    const m = new Map<number, number>();
    this.forEachBin((i, k) => void m.set(i, k));
    this.sparse = m;
    this.counts = NO_COUNTS;
    return false;
  }

  /** Calls f for every non-empty bin in ascending bin order, until f returns true. */
  forEachBin(f: (bin: number, count: number) => boolean | void): void {
    if (this.sparse !== null) {
      for (const i of [...this.sparse.keys()].sort((a, b) => a - b)) if (f(i, this.sparse.get(i)!) === true) return;
      return;
    }
    const c = this.counts;
    for (let j = 0; j < c.length; j++) if (c[j] !== 0 && f(this.lo + j, c[j]!) === true) return;
  }

  merge(o: LogHistogram): void {
    this.zero += o.zero;
    this.total += o.total;
    if (!this.mergeDense(o)) o.forEachBin((i, k) => void this.addBin(i, k));
  }

  /**
   * Dense into dense: one range check, then element-wise adds over o's non-empty span. False
   * (nothing added) when either side is sparse or the union outgrows the dense range.
   */
  private mergeDense(o: LogHistogram): boolean {
    if (o.sparse !== null || this.sparse !== null) return false;
    const oc = o.counts;
    let a = 0;
    let b = oc.length;
    while (a < b && oc[a] === 0) a++;
    while (b > a && oc[b - 1] === 0) b--;
    if (a === b) return true;
    const from = o.lo + a;
    const to = o.lo + b;
    if ((from < this.lo || to > this.lo + this.counts.length) && !this.cover(from, to)) return false;
    const c = this.counts;
    const off = o.lo - this.lo;
    for (let j = a; j < b; j++) c[j + off] = c[j + off]! + oc[j]!;
    return true;
  }

  /**
   * The q-quantile by nearest rank: the value of rank ceil(q * total) (1-based) in sorted
   * order, within RELATIVE_ACCURACY; NaN when empty.
   */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    if (rank <= this.zero) return 0;
    let seen = this.zero;
    let bin = NaN;
    this.forEachBin((i, k) => {
      bin = i;
      seen += k;
      return seen >= rank;
    });
    return binValue(bin);
  }

  /** Non-empty bins in ascending order (the format of snapshots and shard partials). */
  toJSON(): { z: number; b: [number, number][] } {
    const b: [number, number][] = [];
    this.forEachBin((i, k) => void b.push([i, k]));
    return { z: this.zero, b };
  }

  static fromJSON(j: { z: number; b: [number, number][] }): LogHistogram {
    const h = new LogHistogram();
    h.zero = j.z;
    h.total = j.z;
    for (const [i, c] of j.b) {
      h.addBin(i, c);
      h.total += c;
    }
    return h;
  }
}

/** The representative value of bin i (within RELATIVE_ACCURACY of every value in it). */
function binValue(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}
