/**
 * `tripline check <dir>`: validate pattern files and print the compiled plan of each pattern.
 * Exit code 0 when every file is valid, 1 otherwise (each problem printed as `file: key: message`).
 */
import { formatDuration } from '../config/duration.js';
import { loadPatterns } from '../config/load-patterns.js';
import { ConfigError } from '../model/errors.js';
import type { Detect, FieldPredicate, Pattern, Selector } from '../model/pattern.js';

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
      return `threshold: count ${d.op} ${d.value} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)})`;
    case 'ratio': {
      const num = describeSelector(d.numerator);
      const minTotal = d.min_total > 0 ? `, min_total ${d.min_total}` : '';
      return `ratio: (events: ${num.events}; where: ${num.where}) / matched ${d.op} ${d.value} over ${formatDuration(d.window)} (resolution ${formatDuration(d.resolution)}${minTotal})`;
    }
    case 'any':
      return 'any: every matching event';
    case 'absence':
      return `absence: no matching event for ${formatDuration(d.after)}`;
  }
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
