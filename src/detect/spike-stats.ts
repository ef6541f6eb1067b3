/**
 * Statistics for `spike`: robust location/scale of past window counts and a Poisson tail test,
 * both expressed on one z-score scale so a single `threshold` works for busy and quiet streams.
 */

/** Median of a non-empty array (sorted copy). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation around `med`. */
export function mad(xs: readonly number[], med: number): number {
  return median(xs.map((x) => Math.abs(x - med)));
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9); |error| < 1e-13 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function logPmf(k: number, lambda: number): number {
  return k * Math.log(lambda) - lambda - logGamma(k + 1);
}

function logSumExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** ln P(X >= k), X ~ Poisson(lambda). */
export function logPoissonUpper(k: number, lambda: number): number {
  if (k <= 0) return 0;
  if (k <= lambda) return Math.log(Math.max(1e-300, 1 - Math.exp(logPoissonLower(k - 1, lambda))));
  let acc = -Infinity;
  let term = logPmf(k, lambda);
  for (let i = k; i < k + 10_000; i++) {
    acc = logSumExp(acc, term);
    const next = term + Math.log(lambda / (i + 1));
    if (next < acc - 40) break;
    term = next;
  }
  return Math.min(0, acc);
}

/** ln P(X <= k), X ~ Poisson(lambda). */
export function logPoissonLower(k: number, lambda: number): number {
  if (k < 0) return -Infinity;
  let acc = -Infinity;
  for (let i = 0; i <= k; i++) acc = logSumExp(acc, logPmf(i, lambda));
  return Math.min(0, acc);
}

/**
 * z such that the standard normal upper tail P(Z >= z) = exp(logP) (z >= 0 for p <= 0.5).
 * Acklam's inverse-normal for p >= 1e-300, an asymptotic expansion below; capped at 40.
 */
export function zFromLogTail(logP: number): number {
  if (logP >= Math.log(0.5)) return 0;
  if (logP > -690) return Math.min(40, -inverseNormal(Math.exp(logP)));
  const l = -2 * logP;
  return Math.min(40, Math.sqrt(l - Math.log(l) - Math.log(2 * Math.PI)));
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const dd = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((dd[0]! * q + dd[1]!) * q + dd[2]!) * q + dd[3]!) * q + 1);
  }
  if (p > 1 - plow) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A baseline summary; `busy` picks the robust z-score, else the Poisson test. */
export interface Baseline {
  median: number;
  mean: number;
  /** Robust sigma: max(1.4826 * MAD, sqrt(median), 1). */
  sigma: number;
  samples: number;
}

/** Baselines with a median at or above this use the robust z-score; below, the Poisson tail. */
export const BUSY_MEDIAN = 20;

export function summarize(xs: readonly number[]): Baseline {
  const med = median(xs);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sigma = Math.max(1.4826 * mad(xs, med), Math.sqrt(med), 1);
  return { median: med, mean, sigma, samples: xs.length };
}

/**
 * Signed score of count `c` against `b` (positive = above the baseline), on the z scale.
 * Busy baselines (median >= BUSY_MEDIAN): (c - median) / sigma. Quiet ones: the Poisson tail
 * p-value of c under lambda = max(mean, 0.5 / samples) mapped to the z with the same normal tail
 * (so threshold 4 means p <= 3.2e-5 either way; a z-score on counts of 0-3 would be meaningless).
 */
export function spikeScore(c: number, b: Baseline): number {
  if (b.median >= BUSY_MEDIAN) return (c - b.median) / b.sigma;
  const lambda = Math.max(b.mean, 0.5 / b.samples);
  if (c > lambda) return zFromLogTail(logPoissonUpper(c, lambda));
  if (c < lambda) return -zFromLogTail(logPoissonLower(c, lambda));
  return 0;
}
