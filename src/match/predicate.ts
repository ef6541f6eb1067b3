/**
 * Field predicates, compiled once per pattern. Semantics (documented in the pattern language):
 *  - equals / not_equals / in / not_in are type-strict: "503" does not equal 503, true does not
 *    equal "true". (YAML `status: 503` is a number; quote it to match a string field.)
 *  - gt / gte / lt / lte accept numbers and numeric strings ("503", "1.5e3"); anything else fails.
 *  - prefix / regex apply to strings only; regexes are unanchored searches without flags.
 *  - exists: true holds for present, non-null values; exists: false for missing or null ones.
 *  - Negative predicates (not_equals, not_in) hold for missing fields; add `exists: true` to
 *    require presence.
 *  - Several keys in one predicate must all hold.
 */
import type { FieldPredicate } from '../model/pattern.js';

export type Predicate = (v: unknown) => boolean;

const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number, or a numeric string converted; NaN otherwise. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return NaN;
}

export function compilePredicate(p: FieldPredicate): Predicate {
  const checks: Predicate[] = [];
  if (p.equals !== undefined) {
    const x = p.equals;
    checks.push((v) => v === x);
  }
  if (p.not_equals !== undefined) {
    const x = p.not_equals;
    checks.push((v) => v !== x);
  }
  if (p.in !== undefined) {
    const set = new Set<unknown>(p.in);
    checks.push((v) => set.has(v));
  }
  if (p.not_in !== undefined) {
    const set = new Set<unknown>(p.not_in);
    checks.push((v) => !set.has(v));
  }
  if (p.exists !== undefined) {
    checks.push(p.exists ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null);
  }
  if (p.gt !== undefined) {
    const x = p.gt;
    checks.push((v) => toNumber(v) > x);
  }
  if (p.gte !== undefined) {
    const x = p.gte;
    checks.push((v) => toNumber(v) >= x);
  }
  if (p.lt !== undefined) {
    const x = p.lt;
    checks.push((v) => toNumber(v) < x);
  }
  if (p.lte !== undefined) {
    const x = p.lte;
    checks.push((v) => toNumber(v) <= x);
  }
  if (p.prefix !== undefined) {
    const x = p.prefix;
    checks.push((v) => typeof v === 'string' && v.startsWith(x));
  }
  if (p.regex !== undefined) {
    const re = new RegExp(p.regex);
    checks.push((v) => typeof v === 'string' && re.test(v));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  if (checks.length === 2) {
    const [a, b] = checks as [Predicate, Predicate];
    return (v) => a(v) && b(v);
  }
  return (v) => {
    for (const c of checks) if (!c(v)) return false;
    return true;
  };
}

/**
 * `in` / `not_in` lists short enough to test as `===` chains: cheaper than a Set lookup per event
 * (the route test of the probe-latency patterns runs on every http_request). `===` equals the
 * Set's SameValueZero for every value but NaN, which keeps the Set.
 */
function smallList(xs: readonly unknown[]): boolean {
  return xs.length <= 4 && xs.every((x) => !(typeof x === 'number' && Number.isNaN(x)));
}

/**
 * The same predicate as a JavaScript expression over the variable `v`, for generated matcher
 * code (src/match/matcher.ts): constants are pushed to `consts` and referenced as `C[i]`, never
 * spliced into the code as text; `toNumber` is referenced as `N`. Semantics are compilePredicate's
 * (the matcher oracle test checks both against the same expectations).
 */
export function predicateExpr(p: FieldPredicate, consts: unknown[]): string {
  const c = (x: unknown): string => `C[${consts.push(x) - 1}]`;
  const parts: string[] = [];
  if (p.equals !== undefined) parts.push(`v === ${c(p.equals)}`);
  if (p.not_equals !== undefined) parts.push(`v !== ${c(p.not_equals)}`);
  if (p.in !== undefined) parts.push(smallList(p.in) ? `(${p.in.map((x) => `v === ${c(x)}`).join(' || ') || 'false'})` : `${c(new Set<unknown>(p.in))}.has(v)`);
  if (p.not_in !== undefined) parts.push(smallList(p.not_in) ? `(${p.not_in.map((x) => `v !== ${c(x)}`).join(' && ') || 'true'})` : `!${c(new Set<unknown>(p.not_in))}.has(v)`);
  if (p.exists !== undefined) parts.push(p.exists ? '(v !== undefined && v !== null)' : '(v === undefined || v === null)');
  if (p.gt !== undefined) parts.push(`N(v) > ${c(p.gt)}`);
  if (p.gte !== undefined) parts.push(`N(v) >= ${c(p.gte)}`);
  if (p.lt !== undefined) parts.push(`N(v) < ${c(p.lt)}`);
  if (p.lte !== undefined) parts.push(`N(v) <= ${c(p.lte)}`);
  if (p.prefix !== undefined) parts.push(`(typeof v === 'string' && v.startsWith(${c(p.prefix)}))`);
  if (p.regex !== undefined) parts.push(`(typeof v === 'string' && ${c(new RegExp(p.regex))}.test(v))`);
  return parts.length === 0 ? 'true' : parts.map((x) => `(${x})`).join(' && ');
}
