/**
 * Shape-valid pattern (schema.ts) -> Pattern: defaults that depend on other fields, and the
 * cross-field checks zod can't express per key. Issues use the same `file: key: message` form.
 */
import type { ConfigIssue } from '../model/errors.js';
import type { CompareOp, Detect, FieldPredicate, Level, Pattern, Selector, Severity } from '../model/pattern.js';
import { formatDuration } from './duration.js';
import { formatPath } from './issues.js';
import type { RawDetect, RawPattern, RawSelector } from './schema.js';
import { LABEL_NAME_PATTERN } from './schema.js';

export const DEFAULTS = {
  max_groups: 10_000,
  grace: 30_000,
  for: 0,
  repeat_interval: 4 * 3_600_000,
  /** resolve_after for detectors without a window (any, absence). */
  resolve_after_windowless: 5 * 60_000,
  severity: 'warning' as Severity,
  flap_window: 3_600_000,
  flap_max_changes: 6,
  min_total: 0,
  spike_baseline: 3_600_000,
  spike_min_count: 10,
  spike_threshold: 4,
  new_value_lookback: 7 * 86_400_000,
  new_value_max_values: 10_000,
  quantile_min_count: 20,
  max_pending: 100,
  max_total_pending: 100_000,
} as const;

/** Upper bound on window / resolution (buckets kept per group). */
export const MAX_BUCKETS = 10_000;
/** Default bucket count aimed for when `resolution` is omitted. */
export const TARGET_BUCKETS = 30;

/** Template variables `summary` may use (besides `group.<group_by field>`). */
export const SUMMARY_VARIABLES: readonly string[] = ['value', 'threshold', 'count', 'severity', 'pattern.id', 'baseline', 'score'];

/**
 * Default resolution: the smallest divisor of `window` that is >= max(1s, window/30),
 * so window % resolution == 0 and there are at most 30 buckets; the window itself when < 1s.
 */
export function defaultResolution(window: number): number {
  if (window <= 1000) return window;
  const target = Math.max(1000, Math.ceil(window / TARGET_BUCKETS));
  let best = window;
  for (let d = 1; d * d <= window; d++) {
    if (window % d !== 0) continue;
    const pair = window / d;
    if (d >= target && d < best) best = d;
    if (pair >= target && pair < best) best = pair;
  }
  return best;
}

type Seg = string | number;

interface Ctx {
  file: string;
  prefix: readonly Seg[];
  issues: ConfigIssue[];
}

function report(ctx: Ctx, path: readonly Seg[], message: string): void {
  ctx.issues.push({ file: ctx.file, path: formatPath([...ctx.prefix, ...path]), message });
}

function selector(raw: RawSelector): Selector {
  const sel: Selector = {};
  if (raw.event !== undefined) sel.event = raw.event;
  if (raw.where !== undefined) sel.where = raw.where as Record<string, FieldPredicate>;
  return sel;
}

/** Window + resolution checks shared by every windowed detector. */
function windowOf(raw: { window: number; resolution?: number | undefined }, ctx: Ctx): { window: number; resolution: number } {
  const window = raw.window;
  let resolution = raw.resolution ?? defaultResolution(window);
  if (raw.resolution !== undefined) {
    const got = formatDuration(raw.resolution);
    if (raw.resolution > window) {
      report(ctx, ['detect', 'resolution'], `must not be longer than detect.window (${formatDuration(window)}) (got ${got})`);
    } else if (window % raw.resolution !== 0) {
      report(ctx, ['detect', 'resolution'], `must divide detect.window (${formatDuration(window)}) evenly (got ${got})`);
    } else if (window / raw.resolution > MAX_BUCKETS) {
      report(ctx, ['detect', 'resolution'], `gives ${window / raw.resolution} buckets per detect.window (${formatDuration(window)}); at most ${MAX_BUCKETS} allowed (got ${got})`);
    }
  } else if (window / resolution > MAX_BUCKETS) {
    // Only reachable for windows with no divisor between 1s and window/10000.
    report(ctx, ['detect', 'window'], `needs an explicit detect.resolution (no default gives at most ${MAX_BUCKETS} buckets)`);
  }
  resolution = Math.min(resolution, window);
  return { window, resolution };
}

/** `value` xor `levels`; levels strictly stricter one after the other in the direction of op. */
function limitOf(raw: { op: CompareOp; value?: number | undefined; levels?: { severity: string; value: number }[] | undefined }, ctx: Ctx): { op: CompareOp; value: number; levels?: Level[] } {
  const { op } = raw;
  if (raw.levels === undefined) {
    if (raw.value === undefined) report(ctx, ['detect', 'value'], 'is required (or give levels)');
    return { op, value: raw.value ?? 0 };
  }
  if (raw.value !== undefined) report(ctx, ['detect', 'levels'], 'cannot be combined with detect.value (levels carry their own values)');
  checkLevels(raw.levels, op === '>=' || op === '>', ctx);
  const levels = raw.levels.map((l) => ({ severity: l.severity as Severity, value: l.value }));
  return { op, value: levels[0]!.value, levels };
}

function checkLevels(levels: readonly { value: number }[], ascending: boolean, ctx: Ctx): void {
  for (let i = 1; i < levels.length; i++) {
    const ok = ascending ? levels[i]!.value > levels[i - 1]!.value : levels[i]!.value < levels[i - 1]!.value;
    if (!ok) {
      report(ctx, ['detect', 'levels', i, 'value'], `must be ${ascending ? 'greater' : 'less'} than the previous level's value (${levels[i - 1]!.value}): list levels from the mildest to the strictest`);
    }
  }
}

function detect(raw: RawDetect, ctx: Ctx): Detect {
  switch (raw.type) {
    case 'any':
      return { type: 'any' };
    case 'absence':
      return { type: 'absence', after: raw.after };
    case 'threshold':
      return { type: 'threshold', ...windowOf(raw, ctx), ...limitOf(raw, ctx) };
    case 'ratio':
      return { type: 'ratio', ...windowOf(raw, ctx), numerator: selector(raw.numerator), ...limitOf(raw, ctx), min_total: raw.min_total ?? DEFAULTS.min_total };
    case 'spike': {
      const w = windowOf(raw, ctx);
      const baseline = raw.baseline ?? DEFAULTS.spike_baseline;
      if (baseline % w.window !== 0 || baseline < 3 * w.window) {
        report(ctx, ['detect', 'baseline'], `must be a multiple of detect.window (${formatDuration(w.window)}) and at least 3 windows (got ${formatDuration(baseline)})`);
      }
      if (raw.levels !== undefined && raw.threshold !== undefined) report(ctx, ['detect', 'levels'], 'cannot be combined with detect.threshold');
      if (raw.levels !== undefined) checkLevels(raw.levels, true, ctx);
      const levels = raw.levels?.map((l) => ({ severity: l.severity as Severity, value: l.value }));
      const d: Detect = {
        type: 'spike',
        ...w,
        baseline,
        seasonality: raw.seasonality ?? 'none',
        min_count: raw.min_count ?? DEFAULTS.spike_min_count,
        direction: raw.direction ?? 'up',
        threshold: levels?.[0]?.value ?? raw.threshold ?? DEFAULTS.spike_threshold,
      };
      if (levels !== undefined) d.levels = levels;
      return d;
    }
    case 'new_value': {
      const d: Detect = {
        type: 'new_value',
        field: raw.field,
        lookback: raw.lookback ?? DEFAULTS.new_value_lookback,
        learn: raw.learn ?? 0,
        max_values: raw.max_values ?? DEFAULTS.new_value_max_values,
      };
      if (raw.resolution !== undefined) d.resolution = raw.resolution;
      return d;
    }
    case 'cardinality':
      return { type: 'cardinality', ...windowOf(raw, ctx), field: raw.field, ...limitOf(raw, ctx) };
    case 'quantile':
      return { type: 'quantile', ...windowOf(raw, ctx), field: raw.field, q: raw.q, ...limitOf(raw, ctx), min_count: raw.min_count ?? DEFAULTS.quantile_min_count };
    case 'gauge':
      return { type: 'gauge', ...windowOf(raw, ctx), field: raw.field, aggregate: raw.aggregate ?? 'last', ...limitOf(raw, ctx) };
    case 'consecutive': {
      const d: Detect = { type: 'consecutive', failure: selector(raw.failure), count: raw.count };
      if (raw.resolution !== undefined) d.resolution = raw.resolution;
      return d;
    }
    case 'missing_follow_up': {
      const d: Detect = {
        type: 'missing_follow_up',
        follow_up: selector(raw.follow_up),
        within: raw.within,
        max_pending: raw.max_pending ?? DEFAULTS.max_pending,
        max_total_pending: raw.max_total_pending ?? DEFAULTS.max_total_pending,
      };
      if (raw.resolution !== undefined) d.resolution = raw.resolution;
      return d;
    }
  }
}

function defaultSummary(d: Detect, groupBy: readonly string[]): string {
  let s: string;
  switch (d.type) {
    case 'threshold':
      s = `{{pattern.id}}: {{value}} matching events in ${formatDuration(d.window)} (limit ${d.op} {{threshold}})`;
      break;
    case 'ratio':
      s = `{{pattern.id}}: ratio {{value}} over ${formatDuration(d.window)} (limit ${d.op} {{threshold}})`;
      break;
    case 'any':
      s = '{{pattern.id}}: matching event seen';
      break;
    case 'absence':
      s = `{{pattern.id}}: no matching event for {{value}}s (limit ${formatDuration(d.after)})`;
      break;
    case 'spike':
      s = `{{pattern.id}}: {{value}} events in ${formatDuration(d.window)} vs baseline {{baseline}} (score {{score}}, limit {{threshold}})`;
      break;
    case 'new_value':
      s = `{{pattern.id}}: new ${d.field} not seen in ${formatDuration(d.lookback)}`;
      break;
    case 'cardinality':
      s = `{{pattern.id}}: {{value}} distinct ${d.field} in ${formatDuration(d.window)} (limit ${d.op} {{threshold}})`;
      break;
    case 'quantile':
      s = `{{pattern.id}}: p${Math.round(d.q * 1000) / 10} ${d.field} {{value}} over ${formatDuration(d.window)} (limit ${d.op} {{threshold}})`;
      break;
    case 'gauge':
      s = `{{pattern.id}}: ${d.aggregate} ${d.field} {{value}} (limit ${d.op} {{threshold}})`;
      break;
    case 'consecutive':
      s = '{{pattern.id}}: {{value}} consecutive failures (limit {{threshold}})';
      break;
    case 'missing_follow_up':
      s = `{{pattern.id}}: {{value}} event(s) without a follow-up within ${formatDuration(d.within)}`;
      break;
  }
  if (groupBy.length > 0) s += ` [${groupBy.map((g) => `${g}={{group.${g}}}`).join(', ')}]`;
  return s;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

function checkSummary(summary: string, groupBy: readonly string[], ctx: Ctx): void {
  for (const m of summary.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (SUMMARY_VARIABLES.includes(name)) continue;
    if (name.startsWith('group.')) {
      const field = name.slice('group.'.length);
      if (groupBy.includes(field)) continue;
      report(ctx, ['summary'], `{{${name}}} refers to "${field}", which is not in group_by`);
      continue;
    }
    report(ctx, ['summary'], `unknown placeholder {{${name}}} (use ${SUMMARY_VARIABLES.join(', ')} or group.<group_by field>)`);
  }
}

/** Builds the Pattern; pushes cross-field issues into `issues` (the result is only valid if none were added). */
export function finalizePattern(raw: RawPattern, file: string, prefix: readonly Seg[], issues: ConfigIssue[]): Pattern {
  const ctx: Ctx = { file, prefix, issues };
  const groupBy = [...(raw.group_by ?? [])];
  // new_value fires per value: its field is always the last group_by field.
  if (raw.detect.type === 'new_value' && !groupBy.includes(raw.detect.field)) groupBy.push(raw.detect.field);
  groupBy.forEach((g, i) => {
    if (groupBy.indexOf(g) !== i) report(ctx, ['group_by', i], `duplicate field "${g}"`);
  });
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.labels ?? {})) {
    if (!LABEL_NAME_PATTERN.test(k)) report(ctx, ['labels', k], 'is not a valid label name (letters, digits and _, not starting with a digit)');
    labels[k] = String(v);
  }
  const d = detect(raw.detect, ctx);
  const summary = raw.summary ?? defaultSummary(d, groupBy);
  if (raw.summary !== undefined) checkSummary(raw.summary, groupBy, ctx);
  const windowed = 'window' in d;
  // consecutive resolves at the first success; the others without a window wait 5 minutes.
  const defaultResolve = windowed ? d.window : d.type === 'consecutive' ? 0 : DEFAULTS.resolve_after_windowless;

  const p: Pattern = {
    id: raw.id,
    description: raw.description ?? '',
    file,
    match: selector(raw.match),
    group_by: groupBy,
    max_groups: raw.max_groups ?? DEFAULTS.max_groups,
    detect: d,
    grace: raw.grace ?? DEFAULTS.grace,
    for: raw.for ?? DEFAULTS.for,
    resolve_after: raw.resolve_after ?? defaultResolve,
    repeat_interval: raw.repeat_interval ?? DEFAULTS.repeat_interval,
    severity: (raw.severity as Severity | undefined) ?? DEFAULTS.severity,
    labels,
    summary,
    redact: raw.redact ?? [],
    flap_window: raw.flap_window ?? DEFAULTS.flap_window,
    flap_max_changes: raw.flap_max_changes ?? DEFAULTS.flap_max_changes,
  };
  if (raw.runbook !== undefined) p.runbook = raw.runbook;
  return p;
}
