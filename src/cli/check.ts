/**
 * `tripline check <dir>`: validate pattern files and print the compiled plan of each pattern.
 * Exit code 0 when every file is valid, 1 otherwise (each problem printed as `file: key: message`).
 */
import { formatDuration } from '../config/duration.js';
import { loadPatterns } from '../config/load-patterns.js';
import { ConfigError } from '../model/errors.js';
import type { Detect, FieldPredicate, Level, Pattern, Selector } from '../model/pattern.js';

function lit(v: unknown): string {
  return JSON.stringify(v);
}

/** `status >= 500`, `level in ["error","critical"]`, `route =~ /^\/v1\//`. */
export function describePredicate(field: string, p: FieldPredicate): string[] {
  const out: string[] = [];
  if (p.equals !== undefined) out.push(`${field} == ${lit(p.equals)}`);
  if (p.not_equals !== undefined) out.push(`${field} != ${lit(p.not_equals)}`);
  if (p.in !== undefined) out.push(`${field} in [${p.in.map(lit).join(', ')}]`);
  if (p.not_in !== undefined) out.push(`${field} not in [${p.not_in.map(lit).join(', ')}]`);
  if (p.exists !== undefined) out.push(p.exists ? `${field} exists` : `${field} missing`);
  if (p.gt !== undefined) out.push(`${field} > ${p.gt}`);
  if (p.gte !== undefined) out.push(`${field} >= ${p.gte}`);
  if (p.lt !== undefined) out.push(`${field} < ${p.lt}`);
  if (p.lte !== undefined) out.push(`${field} <= ${p.lte}`);
  if (p.prefix !== undefined) out.push(`${field} starts with ${lit(p.prefix)}`);
  if (p.regex !== undefined) out.push(`${field} =~ /${p.regex}/`);
  return out;
}

export function describeSelector(sel: Selector): { events: string; where: string } {
  const events = sel.event === undefined ? '(any)' : (typeof sel.event === 'string' ? [sel.event] : sel.event).join(', ');
  const preds = Object.entries(sel.where ?? {}).flatMap(([f, p]) => describePredicate(f, p));
  return { events, where: preds.length === 0 ? '(none)' : preds.join(' and ') };
}

export function describeDetect(d: Detect): string {
  switch (d.type) {
    case 'threshold':
      return `threshold: count ${limit(d)} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)})`;
    case 'ratio': {
      const num = describeSelector(d.numerator);
      const minTotal = d.min_total > 0 ? `, min_total ${d.min_total}` : '';
      return `ratio: (events: ${num.events}; where: ${num.where}) / matched ${limit(d)} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)}${minTotal})`;
    }
    case 'any':
      return 'any: every matching event';
    case 'absence':
      return `absence: no matching event for ${formatDuration(d.after)}`;
    case 'spike': {
      const lim = d.levels === undefined ? `score >= ${d.threshold}` : `score ${describeLevels('>=', d.levels)}`;
      const base = `baseline ${formatDuration(d.baseline)}${d.seasonality === 'daily' ? ' (daily seasonality once 3 days exist)' : ''}`;
      return `spike ${d.direction}: count over ${formatDuration(d.window)} vs ${base}, ${lim}, min_count ${d.min_count} (resolution ${formatDuration(d.resolution)})`;
    }
    case 'new_value':
      return `new_value: ${d.field} not seen in ${formatDuration(d.lookback)}${d.learn > 0 ? `, learning for ${formatDuration(d.learn)}` : ''} (exact up to ${d.max_values} values)`;
    case 'cardinality':
      return `cardinality: distinct ${d.field} ${limit(d)} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)})`;
    case 'quantile':
      return `quantile: p${Math.round(d.q * 1000) / 10} of ${d.field} ${limit(d)} over ${formatDuration(d.window)}, min_count ${d.min_count} (resolution ${formatDuration(d.resolution)})`;
    case 'gauge':
      return `gauge: ${d.aggregate} ${d.field} ${limit(d)} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)})`;
    case 'consecutive': {
      const f = describeSelector(d.failure);
      return `consecutive: ${d.count} failures in a row (failure events: ${f.events}; where: ${f.where})`;
    }
    case 'missing_follow_up': {
      const f = describeSelector(d.follow_up);
      return `missing_follow_up: no follow-up (events: ${f.events}; where: ${f.where}) within ${formatDuration(d.within)} (max ${d.max_pending} pending per group)`;
    }
  }
}

function describeLevels(op: string, levels: readonly Level[]): string {
  return levels.map((l) => `${op} ${l.value} ${l.severity}`).join(', ');
}

function limit(d: { op: string; value: number; levels?: readonly Level[] | undefined }): string {
  return d.levels === undefined ? `${d.op} ${d.value}` : describeLevels(d.op, d.levels);
}

/** The plan of one pattern, as printed by `tripline check`. */
export function describePattern(p: Pattern): string[] {
  const sel = describeSelector(p.match);
  const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const lines = [
    `pattern ${p.id} (${p.file})`,
    ...(p.description === '' ? [] : [`  description: ${p.description}`]),
    `  events:      ${sel.events}`,
    `  where:       ${sel.where}`,
    `  group_by:    ${p.group_by.length === 0 ? '(none)' : p.group_by.join(', ')} (max ${p.max_groups} groups)`,
    `  detect:      ${describeDetect(p.detect)}`,
    `  timing:      grace ${formatDuration(p.grace)}, for ${formatDuration(p.for)}, resolve_after ${formatDuration(p.resolve_after)}, repeat ${p.repeat_interval === 0 ? 'never' : `every ${formatDuration(p.repeat_interval)}`}`,
    `  flapping:    more than ${p.flap_max_changes} changes in ${formatDuration(p.flap_window)}`,
    `  severity:    ${p.severity}`,
    `  labels:      ${labels === '' ? '(none)' : labels}`,
    `  summary:     ${p.summary}`,
  ];
  if (p.runbook !== undefined) lines.push(`  runbook:     ${p.runbook}`);
  if (p.redact.length > 0) lines.push(`  redact:      ${p.redact.join(', ')}`);
  return lines;
}

export async function runCheck(dir: string, out: (line: string) => void): Promise<number> {
  let patterns: Pattern[];
  try {
    patterns = await loadPatterns(dir);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.lines) out(line);
      return 1;
    }
    throw e;
  }
  const files = new Set(patterns.map((p) => p.file)).size;
  for (const p of patterns) {
    for (const line of describePattern(p)) out(line);
    out('');
  }
  out(`ok: ${patterns.length} pattern${patterns.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`);
  return 0;
}
