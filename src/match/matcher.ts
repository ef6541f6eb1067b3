/**
 * match: LogEvent -> the (pattern, group) pairs it belongs to.
 *
 * Patterns are indexed by event name, so an event only tests the patterns that can match it
 * (plus the patterns without an event name). Results come in pattern order.
 * Group values: strings as-is, numbers/booleans via String(), objects/arrays as JSON,
 * missing or null as MISSING_GROUP_VALUE. groupKey is JSON.stringify of the values array.
 */
import type { LogEvent } from '../model/event.js';
import { compileFieldPath, type FieldGetter } from '../model/field-path.js';
import { ROLE_MATCH, ROLE_SUB, type Matcher, type MatchResult } from '../model/match.js';
import { MISSING_GROUP_VALUE, type Pattern } from '../model/pattern.js';
import { compileSelector, fieldsMatch, selectorMatches, selectorNames, type CompiledSelector } from './selector.js';

interface CompiledPattern {
  readonly index: number;
  readonly sel: CompiledSelector;
  /** Secondary selector (ratio numerator) -> ROLE_SUB. */
  readonly sub: CompiledSelector | null;
  readonly groupFields: readonly string[];
  readonly groupGetters: readonly FieldGetter[];
}

const NO_MATCHES: readonly MatchResult[] = Object.freeze([]);
const NO_GROUP: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_KEY = '[]';

export function groupValue(v: unknown): string {
  if (v === undefined || v === null) return MISSING_GROUP_VALUE;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function compile(p: Pattern, index: number): CompiledPattern {
  return {
    index,
    sel: compileSelector(p.match),
    sub: p.detect.type === 'ratio' ? compileSelector(p.detect.numerator) : null,
    groupFields: p.group_by,
    groupGetters: p.group_by.map(compileFieldPath),
  };
}

function result(cp: CompiledPattern, ev: LogEvent): MatchResult {
  const roles = cp.sub !== null && selectorMatches(cp.sub, ev) ? ROLE_MATCH | ROLE_SUB : ROLE_MATCH;
  const n = cp.groupGetters.length;
  if (n === 0) return { pattern: cp.index, roles, groupKey: EMPTY_KEY, group: NO_GROUP };
  const values: string[] = new Array<string>(n);
  const group: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const v = groupValue(cp.groupGetters[i]!(ev.fields));
    values[i] = v;
    group[cp.groupFields[i]!] = v;
  }
  return { pattern: cp.index, roles, groupKey: JSON.stringify(values), group };
}

export function createMatcher(patterns: readonly Pattern[]): Matcher {
  const compiled = patterns.map(compile);
  const anyName = compiled.filter((cp) => cp.sel.names === null);
  const byName = new Map<string, CompiledPattern[]>();
  for (const cp of compiled) {
    for (const name of cp.sel.names ?? []) {
      let list = byName.get(name);
      if (list === undefined) byName.set(name, (list = []));
      list.push(cp);
    }
  }
  // Merge the any-name patterns into every named list, keeping pattern order.
  for (const [name, list] of byName) {
    byName.set(name, [...list, ...anyName].sort((a, b) => a.index - b.index));
  }

  return (ev) => {
    const candidates = byName.get(ev.name) ?? anyName;
    let out: MatchResult[] | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const cp = candidates[i]!;
      if (!fieldsMatch(cp.sel, ev.fields)) continue;
      (out ??= []).push(result(cp, ev));
    }
    return out ?? NO_MATCHES;
  };
}

/** Every field path any pattern reads (where, ratio numerator where, group_by), sorted, unique. */
export function neededFields(patterns: readonly Pattern[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    for (const k of Object.keys(p.match.where ?? {})) out.add(k);
    if (p.detect.type === 'ratio') for (const k of Object.keys(p.detect.numerator.where ?? {})) out.add(k);
    for (const g of p.group_by) out.add(g);
  }
  return [...out].sort();
}

/** Every event name any pattern selects on, or null when some pattern accepts any name. */
export function neededEventNames(patterns: readonly Pattern[]): string[] | null {
  const out = new Set<string>();
  for (const p of patterns) {
    const names = selectorNames(p.match);
    if (names === null) return null;
    for (const n of names) out.add(n);
  }
  return [...out].sort();
}
