import type { LogEvent } from '../model/event.js';
import type { SpikeDetect } from '../model/pattern.js';
import { BucketRing } from '../window/bucket-ring.js';
import type { BucketPartial } from '../window/bucket-ring.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { judgeLimit } from './levels.js';
import { spikeScore, summarize } from './spike-stats.js';
import type { Baseline } from './spike-stats.js';

const DAY = 86_400_000;
/** Previous days used by `seasonality: daily`, and the minimum needed before it is used. */
export const SEASONAL_DAYS = 7;
export const MIN_SEASONAL_DAYS = 3;
/** Incident intervals remembered per group (oldest dropped). */
const MAX_INCIDENTS = 32;

interface SpikeState {
  readonly ring: BucketRing;
  /** One bucket per window length, for the daily baseline (null without seasonality). */
  readonly daily: BucketRing | null;
  readonly streamStart: number;
  /** [start, end) intervals of windows judged while an alert was pending/firing or active. */
  incidents: [number, number][];
  /** The baseline last computed while the alert was inactive (used while it is not). */
  frozen: Baseline | null;
  /** The last evaluated boundary (NaN before the first). */
  lastT: number;
}

interface SpikeSnapshot {
  base: number;
  buckets: BucketPartial[];
  dailyBase: number | null;
  daily: BucketPartial[];
  streamStart: number;
  incidents: [number, number][];
  frozen: Baseline | null;
  lastT?: number | null;
}

/**
 * `spike`: the count of matched events in [T - window, T) compared with a baseline of past
 * counts of the same window length.
 *
 * Baseline samples: the K = baseline / window previous non-overlapping windows
 * [T - (k+1)W, T - kW), k = 1..K (the recent past, default 1h); with `seasonality: daily`, the
 * W-aligned window just before T - d days, d = 1..7, used instead once at least 3 such days
 * exist. A sample is used only when it starts after the stream's first event (earlier time is
 * unknown) and does not overlap an incident interval. The detector is warm once it has at least
 * max(3, ceil(K / 2)) samples.
 *
 * Score (src/detect/spike-stats.ts), signed, on the z scale: robust z = (c - median) / sigma
 * (sigma = max(1.4826 MAD, sqrt(median), 1)) when the baseline median is >= 20, else the
 * z-equivalent of the Poisson tail p-value with lambda = the baseline mean. `threshold: 4`
 * therefore means "4 robust sigmas" or "p <= 3.2e-5". Direction `up` fires on score >=
 * threshold with c >= min_count; `down` on score <= -threshold with median >= min_count; `both`
 * on either. Levels apply to the directional score.
 *
 * The baseline does not learn the incident: while the alert is pending or firing the baseline
 * is frozen (the one computed at the last inactive evaluation), and every window judged while
 * the alert was pending/firing or active is recorded as an incident interval that later
 * baselines skip. Reported: value = c, baseline = median (recent or daily), score, threshold.
 * Boundaries the engine skips (long gaps, see nextChange) while the alert is pending/firing are
 * judged windows too: the next evaluation extends the incident over them, as stepping would.
 */
export function spikeDetector(d: SpikeDetect, graceMs: number): Detector<SpikeState> {
  const res = d.resolution;
  const n = Math.max(1, Math.round(d.window / res));
  const W = n * res;
  const K = Math.max(1, Math.round(d.baseline / W));
  const minSamples = Math.max(3, Math.ceil(K / 2));
  const cap = (K + 1) * n + Math.ceil(Math.max(0, graceMs) / res) + 2;
  const dailyCap = Math.ceil((SEASONAL_DAYS * DAY) / W) + Math.ceil(Math.max(0, graceMs) / W) + 2;
  const seasonal = d.seasonality === 'daily';
  const limit = { op: '>=' as const, value: d.threshold, ...(d.levels === undefined ? {} : { levels: d.levels }) };
  const samples: number[] = [];

  const overlapsIncident = (s: SpikeState, a: number, b: number): boolean => {
    for (const [x, y] of s.incidents) if (x < b && a < y) return true;
    return false;
  };

  const baselineOf = (s: SpikeState, T: number, e: number): Baseline | null => {
    if (s.daily !== null) {
      samples.length = 0;
      for (let day = 1; day <= SEASONAL_DAYS; day++) {
        const slot = Math.floor((T - day * DAY) / W) - 1;
        const start = slot * W;
        if (start < s.streamStart || overlapsIncident(s, start, start + W)) continue;
        samples.push(s.daily.sumTotal(slot, slot + 1));
      }
      if (samples.length >= MIN_SEASONAL_DAYS) return summarize(samples);
    }
    samples.length = 0;
    for (let k = 1; k <= K; k++) {
      const from = e - (k + 1) * n;
      const start = from * res;
      if (start < s.streamStart || overlapsIncident(s, start, start + W)) continue;
      samples.push(s.ring.sumTotal(from, from + n));
    }
    return samples.length >= minSamples ? summarize(samples) : null;
  };

  return {
    kind: 'spike',
    unit: 'count',
    flushClosesBucket: true,
    resolution: res,
    createState(o: GroupOrigin): SpikeState {
      const e = Math.floor(o.nextT / res);
      return {
        ring: new BucketRing({ resolution: res, capacity: cap, base: e - (K + 1) * n }),
        daily: seasonal ? new BucketRing({ resolution: W, capacity: dailyCap, base: Math.floor((o.nextT - SEASONAL_DAYS * DAY) / W) - 1 }) : null,
        streamStart: o.streamStart,
        incidents: [],
        frozen: null,
        lastT: NaN,
      };
    },
    observe(s: SpikeState, ev: LogEvent): void {
      s.ring.add(ev.time, false);
      s.daily?.add(ev.time, false);
    },
    evaluate(s: SpikeState, T: number, alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / res);
      s.ring.setBase(e - (K + 1) * n);
      s.daily?.setBase(Math.floor((T - SEASONAL_DAYS * DAY) / W) - 1);
      if (alert !== 'inactive') {
        // Pending/firing before this step: it was so at every boundary skipped since lastT too
        // (the lifecycle does not change across a skip), so those windows were judged as well.
        const last = s.incidents[s.incidents.length - 1];
        if (last !== undefined && last[1] === s.lastT) last[1] = T;
      }
      const horizon = T - (seasonal ? SEASONAL_DAYS * DAY : (K + 1) * W) - W;
      while (s.incidents.length > 0 && s.incidents[0]![1] <= horizon) s.incidents.shift();
      const c = s.ring.sumTotal(e - n, e);
      let b: Baseline | null;
      if (alert === 'inactive') {
        b = baselineOf(s, T, e);
        s.frozen = b;
      } else {
        b = s.frozen ?? baselineOf(s, T, e);
      }
      let score = 0;
      let dirScore = 0;
      let eligible = false;
      if (b !== null) {
        score = spikeScore(c, b);
        const upOk = score > 0 && c >= d.min_count && d.direction !== 'down';
        const downOk = score < 0 && b.median >= d.min_count && d.direction !== 'up';
        dirScore = d.direction === 'up' ? score : d.direction === 'down' ? -score : Math.abs(score);
        eligible = upOk || downOk;
      }
      judgeLimit(dirScore, limit, eligible, out);
      out.value = c;
      out.count = c;
      out.baseline = b === null ? undefined : b.median;
      out.score = b === null ? undefined : Math.round(score * 1000) / 1000;
      out.windowStart = T - W;
      out.windowEnd = T;
      if (alert !== 'inactive' || out.active) {
        const last = s.incidents[s.incidents.length - 1];
        if (last !== undefined && last[1] >= T - W) last[1] = T;
        else {
          s.incidents.push([T - W, T]);
          if (s.incidents.length > MAX_INCIDENTS) s.incidents.shift();
        }
      }
      s.lastT = T;
    },
    isIdle: (s: SpikeState) => s.ring.isEmpty() && (s.daily === null || s.daily.isEmpty()),
    nextChange: (s: SpikeState, T: number) => (s.ring.isEmpty() && (s.daily === null || s.daily.isEmpty()) ? Infinity : T + res),
    snapshot: (s: SpikeState): SpikeSnapshot => ({
      base: s.ring.base,
      buckets: s.ring.partials(),
      dailyBase: s.daily === null ? null : s.daily.base,
      daily: s.daily === null ? [] : s.daily.partials(),
      streamStart: s.streamStart,
      incidents: s.incidents.map(([a, b]) => [a, b]),
      frozen: s.frozen,
      lastT: Number.isFinite(s.lastT) ? s.lastT : null,
    }),
    restore(data: unknown): SpikeState {
      const j = data as SpikeSnapshot;
      const ring = new BucketRing({ resolution: res, capacity: cap, base: j.base });
      ring.merge(j.buckets);
      let daily: BucketRing | null = null;
      if (seasonal) {
        daily = new BucketRing({ resolution: W, capacity: dailyCap, base: j.dailyBase ?? j.base });
        daily.merge(j.daily);
      }
      return { ring, daily, streamStart: j.streamStart, incidents: j.incidents, frozen: j.frozen, lastT: j.lastT ?? NaN };
    },
  };
}
