/** Human-readable output of `tripline replay --format table`. */
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import type { DetectionCounters } from '../pipeline.js';

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(2);
}

function fmtGroup(g: Record<string, string>): string {
  const parts = Object.entries(g).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? '-' : parts.join(',');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTable(ts: readonly AlertTransition[]): string {
  const rows = ts.map((t) => [
    t['@timestamp'],
    t.alert.state + (t.alert.repeat > 0 ? ` (repeat ${t.alert.repeat})` : '') + (t.alert.flapping ? ' flapping' : ''),
    t.alert.severity,
    t.pattern.id,
    fmtGroup(t.group),
    `${fmtValue(t.value)} ${t.op ?? ''} ${fmtValue(t.threshold)}`.replace(/\s+/g, ' '),
    t.summary,
  ]);
  const header = ['TIME', 'STATE', 'SEVERITY', 'PATTERN', 'GROUP', 'VALUE', 'SUMMARY'];
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd();
  if (rows.length === 0) return 'No alert transitions.\n';
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatSummary(c: DetectionCounters, patterns: readonly Pattern[]): string {
  const invalidTotal = Object.values(c.invalid).reduce((s, n) => s + (n ?? 0), 0);
  const lines = [
    '',
    'Summary',
    `  lines read     ${c.read}`,
    `  decoded        ${c.decoded}`,
    `  matched        ${c.matched}`,
    `  late (dropped) ${c.late}`,
    `  invalid        ${invalidTotal}`,
  ];
  for (const [reason, n] of Object.entries(c.invalid).sort()) lines.push(`    ${pad(reason, 18)} ${n}`);
  if (c.filtered > 0) lines.push(`  outside --from/--to ${c.filtered}`);
  lines.push('  alerts by pattern (pending / firing / resolved)');
  for (const p of patterns) {
    const s = c.transitions[p.id] ?? {};
    lines.push(`    ${pad(p.id, 36)} ${s.pending ?? 0} / ${s.firing ?? 0} / ${s.resolved ?? 0}`);
  }
  return lines.join('\n') + '\n';
}
