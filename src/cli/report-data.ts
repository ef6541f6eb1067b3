/**
 * Data of the backtest report (`tripline replay --report out.html`): per pattern and group, the
 * evaluated window value against its threshold/baseline over time (collected through the
 * engine's `onEvaluate` hook, downsampled), the pending/firing spans and the transitions.
 */
import type { Evaluation } from '../detect/detector.js';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';

export interface ReportPoint {
  /** Evaluation boundary, epoch ms. */
  t: number;
  value: number;
  threshold: number;
  baseline?: number;
}

export interface ReportSpan {
  state: 'pending' | 'firing';
  start: number;
  /** End, epoch ms; the last evaluated time when still open at the end of input. */
  end: number;
  open: boolean;
}

export interface ReportGroup {
  groupKey: string;
  group: Record<string, string>;
  points: ReportPoint[];
  spans: ReportSpan[];
  transitions: AlertTransition[];
}

export interface ReportPattern {
  id: string;
  description: string;
  detector: string;
  op?: string;
  /** Groups evaluated in total (the report shows the top ones). */
  groupCount: number;
  groups: ReportGroup[];
}

export interface ReportData {
  title: string;
  source: string;
  from?: number;
  to?: number;
  patterns: ReportPattern[];
  counters: { read: number; decoded: number; matched: number; late: number; transitions: number };
}

interface Series {
  points: ReportPoint[];
  /** Points merged into one so far (doubles at each decimation). */
  stride: number;
  pendingMerge: ReportPoint | undefined;
  merged: number;
}

/** Keeps at most ~2×maxPoints per group: when full, adjacent pairs merge (peak value kept). */
export class EvaluationCollector {
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly ops = new Map<string, string | undefined>();

  constructor(private readonly maxPoints = 400) {}

  readonly onEvaluate = (pattern: Pattern, groupKey: string, T: number, e: Readonly<Evaluation>): void => {
    let byGroup = this.series.get(pattern.id);
    if (byGroup === undefined) this.series.set(pattern.id, (byGroup = new Map()));
    if (e.op !== undefined) this.ops.set(pattern.id, e.op);
    let s = byGroup.get(groupKey);
    if (s === undefined) byGroup.set(groupKey, (s = { points: [], stride: 1, pendingMerge: undefined, merged: 0 }));
    const p: ReportPoint = { t: T, value: finite(e.value), threshold: finite(e.threshold), ...(e.baseline === undefined ? {} : { baseline: finite(e.baseline) }) };
    if (s.stride === 1) {
      s.points.push(p);
    } else {
      s.pendingMerge = s.pendingMerge === undefined ? p : mergePoints(s.pendingMerge, p);
      if (++s.merged >= s.stride) {
        s.points.push(s.pendingMerge);
        s.pendingMerge = undefined;
        s.merged = 0;
      }
    }
    if (s.points.length >= 2 * this.maxPoints) {
      const halved: ReportPoint[] = [];
      for (let i = 0; i < s.points.length; i += 2) halved.push(i + 1 < s.points.length ? mergePoints(s.points[i]!, s.points[i + 1]!) : s.points[i]!);
      s.points = halved;
      s.stride *= 2;
    }
  };

  /** Points of one group (including a partially merged tail). */
  pointsOf(patternId: string, groupKey: string): ReportPoint[] {
    const s = this.series.get(patternId)?.get(groupKey);
    if (s === undefined) return [];
    return s.pendingMerge === undefined ? s.points : [...s.points, s.pendingMerge];
  }

  groupKeys(patternId: string): string[] {
    return [...(this.series.get(patternId)?.keys() ?? [])];
  }

  opOf(patternId: string): string | undefined {
    return this.ops.get(patternId);
  }
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/** Merge keeps the later time, the peak value (the report is about exceedances) and the later limits. */
function mergePoints(a: ReportPoint, b: ReportPoint): ReportPoint {
  const peak = Math.abs(b.value) >= Math.abs(a.value) ? b.value : a.value;
  return { t: b.t, value: peak, threshold: b.threshold, ...(b.baseline === undefined ? {} : { baseline: b.baseline }) };
}

/** Pending/firing spans from a group's transitions (sorted by time). */
export function spansOf(transitions: readonly AlertTransition[], endOfData: number): ReportSpan[] {
  const spans: ReportSpan[] = [];
  let cur: { state: 'pending' | 'firing'; start: number } | undefined;
  for (const t of transitions) {
    const at = Date.parse(t['@timestamp']);
    const state = t.alert.state;
    if (cur !== undefined && cur.state === state) continue; // repeats and severity changes
    if (cur !== undefined) spans.push({ state: cur.state, start: cur.start, end: at, open: false });
    cur = state === 'resolved' ? undefined : { state, start: at };
  }
  if (cur !== undefined) spans.push({ state: cur.state, start: cur.start, end: Math.max(endOfData, cur.start), open: true });
  return spans;
}

/** Builds the report: per pattern, the `topGroups` groups with the most transitions (then the highest peak). */
export function buildReportData(
  patterns: readonly Pattern[],
  collector: EvaluationCollector,
  transitions: readonly AlertTransition[],
  meta: { title: string; source: string; from?: number; to?: number; counters: ReportData['counters'] },
  topGroups = 5,
): ReportData {
  const out: ReportPattern[] = [];
  for (const p of patterns) {
    const keys = collector.groupKeys(p.id);
    const ts = transitions.filter((t) => t.pattern.id === p.id);
    const byGroupKey = new Map<string, AlertTransition[]>();
    for (const t of ts) {
      const key = JSON.stringify(p.group_by.map((f) => t.group[f] ?? ''));
      const list = byGroupKey.get(key) ?? [];
      list.push(t);
      byGroupKey.set(key, list);
    }
    const all = new Set([...keys, ...byGroupKey.keys()]);
    if (all.size === 0) continue;
    const ranked = [...all]
      .map((k) => {
        const pts = collector.pointsOf(p.id, k);
        const peak = pts.reduce((m, x) => Math.max(m, Math.abs(x.value)), 0);
        return { k, n: byGroupKey.get(k)?.length ?? 0, peak };
      })
      .sort((a, b) => b.n - a.n || b.peak - a.peak || (a.k < b.k ? -1 : 1))
      .slice(0, topGroups);
    const groups: ReportGroup[] = ranked.map(({ k }) => {
      const pts = collector.pointsOf(p.id, k);
      const gts = byGroupKey.get(k) ?? [];
      let values: string[] = [];
      try {
        values = JSON.parse(k) as string[];
      } catch {
        values = [];
      }
      const group = gts[0]?.group ?? Object.fromEntries(p.group_by.map((f, i) => [f, String(values[i] ?? '')]));
      const end = pts.length > 0 ? pts[pts.length - 1]!.t : gts.length > 0 ? Date.parse(gts[gts.length - 1]!['@timestamp']) : 0;
      return { groupKey: k, group, points: pts, spans: spansOf(gts, end), transitions: gts };
    });
    const op = collector.opOf(p.id) ?? ('op' in p.detect ? p.detect.op : undefined);
    out.push({ id: p.id, description: p.description, detector: p.detect.type, ...(op === undefined ? {} : { op }), groupCount: all.size, groups });
  }
  return { title: meta.title, source: meta.source, ...(meta.from === undefined ? {} : { from: meta.from }), ...(meta.to === undefined ? {} : { to: meta.to }), patterns: out, counters: meta.counters };
}
