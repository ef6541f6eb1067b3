import type { ValueUnit } from '../detect/detector.js';

/**
 * Summary templates. Placeholders: `{{value}}`, `{{threshold}}`, `{{count}}`, `{{op}}`,
 * `{{severity}}`, `{{pattern.id}}`, `{{group.<field>}}`, `{{baseline}}` and `{{score}}` (spike;
 * '' when the detector reports none) (whitespace inside braces allowed).
 * Formatting by the detector's unit:
 * - count: integer with no separators (`1234`); non-integers get up to 2 decimals;
 * - ratio: a percentage with up to 2 decimals, trailing zeros trimmed (`0.125` -> `12.5%`);
 * - seconds: a compact duration (`45s`, `10m`, `1h 5m`, `2d 3h`), rounded to whole seconds;
 * - number: up to 3 decimals.
 * A missing group field renders as ''; an unknown placeholder is left as written.
 */
export interface SummaryContext {
  value: number;
  threshold: number;
  count: number;
  op: string | undefined;
  severity: string;
  unit: ValueUnit;
  patternId: string;
  group: Readonly<Record<string, string>>;
  baseline?: number | undefined;
  score?: number | undefined;
}

function trimDecimals(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}

export function formatDuration(seconds: number): string {
  let s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const parts: string[] = [];
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  for (const [size, name] of units) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${name}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function formatValue(v: number, unit: ValueUnit): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'count':
      return Number.isInteger(v) ? String(v) : trimDecimals(v, 2);
    case 'ratio':
      return `${trimDecimals(v * 100, 2)}%`;
    case 'seconds':
      return formatDuration(v);
    case 'number':
      return trimDecimals(v, 3);
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.@-]+)\s*\}\}/g;

export function renderSummary(template: string, ctx: SummaryContext): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    switch (name) {
      case 'value':
        return formatValue(ctx.value, ctx.unit);
      case 'threshold':
        return formatValue(ctx.threshold, ctx.unit);
      case 'count':
        return String(ctx.count);
      case 'baseline':
        return ctx.baseline === undefined ? '' : formatValue(ctx.baseline, ctx.unit === 'count' ? 'number' : ctx.unit);
      case 'score':
        return ctx.score === undefined ? '' : formatValue(ctx.score, 'number');
      case 'op':
        return ctx.op ?? '';
      case 'severity':
        return ctx.severity;
      case 'pattern.id':
        return ctx.patternId;
      default:
        if (name.startsWith('group.')) {
          const field = name.slice(6);
          return Object.prototype.hasOwnProperty.call(ctx.group, field) ? (ctx.group[field] ?? '') : '';
        }
        return whole;
    }
  });
}
