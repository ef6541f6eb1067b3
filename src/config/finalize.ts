/**
 * Shape-valid pattern (schema.ts) -> Pattern: defaults that depend on other fields, and the
 * cross-field checks zod can't express per key. Issues use the same `file: key: message` form.
 */
import type { ConfigIssue } from '../model/errors.js';
import type { Detect, FieldPredicate, Pattern, Selector, Severity } from '../model/pattern.js';
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
} as const;

/** Upper bound on window / resolution (buckets kept per group). */
export const MAX_BUCKETS = 10_000;
/** Default bucket count aimed for when `resolution` is omitted. */
export const TARGET_BUCKETS = 30;

/** Template variables `summary` may use (besides `group.<group_by field>`). */
export const SUMMARY_VARIABLES: readonly string[] = ['value', 'threshold', 'count', 'pattern.id'];

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

function detect(raw: RawDetect, ctx: Ctx): Detect {
  if (raw.type === 'any') return { type: 'any' };
  if (raw.type === 'absence') return { type: 'absence', after: raw.after };
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
  if (raw.type === 'threshold') return { type: 'threshold', window, resolution, op: raw.op, value: raw.value };
  return {
    type: 'ratio',
    window,
    resolution,
    numerator: selector(raw.numerator),
    op: raw.op,
    value: raw.value,
    min_total: raw.min_total ?? DEFAULTS.min_total,
  };
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
  const groupBy = raw.group_by ?? [];
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
  const windowed = d.type === 'threshold' || d.type === 'ratio';

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
    resolve_after: raw.resolve_after ?? (windowed ? d.window : DEFAULTS.resolve_after_windowless),
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
