import { HyperLogLog } from './hyperloglog.js';

/** Distinct values are counted exactly up to this many per bucket and per window. */
export const EXACT_DISTINCT_CAP = 1024;

/**
 * Distinct values of one bucket: an exact set up to EXACT_DISTINCT_CAP values, then a
 * HyperLogLog (src/detect/hyperloglog.ts). Mergeable (set union / register max).
 */
export class DistinctSketch {
  set: Set<string> | null = new Set();
  hll: HyperLogLog | null = null;

  add(v: string): void {
    if (this.set !== null) {
      this.set.add(v);
      if (this.set.size > EXACT_DISTINCT_CAP) this.toHll();
    } else {
      this.hll!.add(v);
    }
  }

  private toHll(): void {
    const h = new HyperLogLog();
    for (const v of this.set!) h.add(v);
    this.hll = h;
    this.set = null;
  }

  merge(o: DistinctSketch): void {
    if (o.set !== null) {
      for (const v of o.set) this.add(v);
      return;
    }
    if (this.set !== null) this.toHll();
    this.hll!.merge(o.hll!);
  }

  /** Exact count, or the HLL estimate past the cap. */
  count(): number {
    return this.set !== null ? this.set.size : Math.round(this.hll!.estimate());
  }

  get exact(): boolean {
    return this.set !== null;
  }

  toJSON(): { values: string[] } | { hll: string } {
    return this.set !== null ? { values: [...this.set] } : { hll: this.hll!.toBase64() };
  }

  static fromJSON(j: { values: string[] } | { hll: string }): DistinctSketch {
    const s = new DistinctSketch();
    if ('values' in j) for (const v of j.values) s.add(v);
    else {
      s.set = null;
      s.hll = HyperLogLog.fromBase64(j.hll);
    }
    return s;
  }
}
