/**
 * Durations in pattern files: `500ms`, `30s`, `5m`, `1h`, `1d`, compounds in descending unit
 * order without repeats (`1h30m`, `1m30s500ms`), or a non-negative integer of milliseconds
 * (YAML number or a digit-only string). Values are milliseconds, capped at 365 days.
 */
import { show } from './show.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

export const MAX_DURATION_MS = 365 * UNIT_MS.d;

const PART = /(\d+)(ms|s|m|h|d)/y;


/** Milliseconds, or an error message (without the key path). */
export function parseDuration(v: unknown): number | string {
  const hint = `must be a duration like 500ms, 30s, 5m, 1h30m or a number of milliseconds (got ${show(v)})`;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) return `${hint.slice(0, hint.indexOf(' (got'))}; numbers must be non-negative integers (got ${show(v)})`;
    return v <= MAX_DURATION_MS ? v : `must be at most 365d (got ${show(v)})`;
  }
  if (typeof v !== 'string') return hint;
  const s = v.trim();
  if (/^\d+$/.test(s)) return parseDuration(Number(s));
  if (s === '') return hint;
  let total = 0;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (m === null) return hint;
    const order = UNIT_ORDER.indexOf(m[2] as Unit);
    if (order <= last) return `${hint.slice(0, hint.indexOf(' (got'))}; units must go from largest to smallest without repeats (got ${show(v)})`;
    last = order;
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
  }
  return total <= MAX_DURATION_MS ? total : `must be at most 365d (got ${show(v)})`;
}

/** Humanised duration: `0s`, `500ms`, `10s`, `1h30m`, `1d2h`. Inverse of parseDuration. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const u of UNIT_ORDER) {
    const n = Math.floor(rest / UNIT_MS[u]);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * UNIT_MS[u];
    }
  }
  return out;
}
