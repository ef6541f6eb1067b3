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
