/**
 * A mergeable quantile sketch with bounded relative error (the DDSketch mapping): a positive
 * value v goes to bucket i = ceil(log_gamma(v)), gamma = (1 + a) / (1 - a), and bucket i is
 * represented by 2 gamma^i / (gamma + 1), which is within a relative `a` of every value in it.
 * With a = 1% every quantile estimate is within ±1% of the exact order statistic of the same
 * rank. Values <= 0 (and below 1e-9) are counted in a zero bucket and reported as 0.
 *
 * Hand-written rather than hdr-histogram-js because it is kept per time bucket per group:
 * a sparse Map of a few dozen buckets costs ~1 KB where an HDR histogram preallocates its
 * whole range (tens of KB), and merging/iterating a small Map is faster than walking that range.
 * Counts are exact, so buckets merge by addition (order independent, shard-safe).
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

export class LogHistogram {
  readonly bins = new Map<number, number>();
  zero = 0;
  total = 0;

  add(v: number, n = 1): void {
    this.total += n;
    if (!(v > MIN_POSITIVE)) {
      this.zero += n;
      return;
    }
    const i = binOf(v);
    this.bins.set(i, (this.bins.get(i) ?? 0) + n);
  }

  merge(o: LogHistogram): void {
    this.zero += o.zero;
    this.total += o.total;
    for (const [i, c] of o.bins) this.bins.set(i, (this.bins.get(i) ?? 0) + c);
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
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      seen += this.bins.get(k)!;
      if (seen >= rank) return (2 * GAMMA ** k) / (GAMMA + 1);
    }
    return (2 * GAMMA ** keys[keys.length - 1]!) / (GAMMA + 1);
  }

  toJSON(): { z: number; b: [number, number][] } {
    return { z: this.zero, b: [...this.bins.entries()] };
  }

  static fromJSON(j: { z: number; b: [number, number][] }): LogHistogram {
    const h = new LogHistogram();
    h.zero = j.z;
    h.total = j.z;
    for (const [i, c] of j.b) {
      h.bins.set(i, c);
      h.total += c;
    }
    return h;
  }
}
