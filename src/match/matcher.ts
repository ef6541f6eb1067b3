/**
 * match: LogEvent -> the (pattern, group) pairs it belongs to.
 *
 * Patterns are indexed by event name, so an event only tests the patterns that can match it
 * (plus the patterns without an event name). Results come in pattern order.
 * A missing_follow_up pattern is also indexed under its `follow_up` event names: an event
 * selected by `follow_up` reaches the pattern with ROLE_FOLLOW_UP (plus ROLE_MATCH only if
 * `match` selects it too). Group values: strings as-is, numbers/booleans via String(), objects/arrays as JSON,
 * missing or null as MISSING_GROUP_VALUE. groupKey is JSON.stringify of the values array.
 */
import type { LogEvent } from '../model/event.js';
import { compileFieldPath, type FieldGetter } from '../model/field-path.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH, ROLE_SUB, type Matcher, type MatchResult } from '../model/match.js';
import { MISSING_GROUP_VALUE, type Pattern, type Selector } from '../model/pattern.js';
import { compileSelector, fieldsMatch, selectorMatches, selectorNames, type CompiledSelector } from './selector.js';

interface CompiledPattern {
  readonly index: number;
  readonly sel: CompiledSelector;
  /** Secondary selector (ratio numerator, consecutive failure) -> ROLE_SUB. */
  readonly sub: CompiledSelector | null;
  /** missing_follow_up's follow_up selector -> ROLE_FOLLOW_UP. */
  readonly follow: CompiledSelector | null;
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
    sub: p.detect.type === 'ratio' ? compileSelector(p.detect.numerator) : p.detect.type === 'consecutive' ? compileSelector(p.detect.failure) : null,
    follow: p.detect.type === 'missing_follow_up' ? compileSelector(p.detect.follow_up) : null,
    groupFields: p.group_by,
    groupGetters: p.group_by.map(compileFieldPath),
  };
}

function result(cp: CompiledPattern, ev: LogEvent, base: number): MatchResult {
  const roles = cp.sub !== null && selectorMatches(cp.sub, ev) ? base | ROLE_SUB : base;
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
  const anyName = compiled.filter((cp) => cp.sel.names === null || (cp.follow !== null && cp.follow.names === null));
  const byName = new Map<string, CompiledPattern[]>();
  for (const cp of compiled) {
    const names = new Set([...(cp.sel.names ?? []), ...(cp.follow?.names ?? [])]);
    for (const name of names) {
      let list = byName.get(name);
      if (list === undefined) byName.set(name, (list = []));
      list.push(cp);
    }
  }
  // Merge the any-name patterns into every named list, keeping pattern order.
  for (const [name, list] of byName) {
    byName.set(name, [...new Set([...list, ...anyName])].sort((a, b) => a.index - b.index));
  }

  return (ev) => {
    const candidates = byName.get(ev.name) ?? anyName;
    let out: MatchResult[] | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const cp = candidates[i]!;
      if (cp.follow === null) {
        if (!fieldsMatch(cp.sel, ev.fields)) continue;
        (out ??= []).push(result(cp, ev, ROLE_MATCH));
        continue;
      }
      const roles = (selectorMatches(cp.sel, ev) ? ROLE_MATCH : 0) | (selectorMatches(cp.follow, ev) ? ROLE_FOLLOW_UP : 0);
      if (roles !== 0) (out ??= []).push(result(cp, ev, roles));
    }
    return out ?? NO_MATCHES;
  };
}

/** The detector's secondary selector, if any (ratio numerator, consecutive failure, follow_up). */
function secondary(p: Pattern): Selector | undefined {
  const d = p.detect;
  return d.type === 'ratio' ? d.numerator : d.type === 'consecutive' ? d.failure : d.type === 'missing_follow_up' ? d.follow_up : undefined;
}

/** Every field path any pattern reads (where, secondary selectors, group_by, detect.field), sorted, unique. */
export function neededFields(patterns: readonly Pattern[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    for (const k of Object.keys(p.match.where ?? {})) out.add(k);
    for (const k of Object.keys(secondary(p)?.where ?? {})) out.add(k);
    for (const g of p.group_by) out.add(g);
    if ('field' in p.detect) out.add(p.detect.field);
  }
  return [...out].sort();
}

/** Every event name any pattern selects on, or null when some pattern accepts any name. */
export function neededEventNames(patterns: readonly Pattern[]): string[] | null {
  const out = new Set<string>();
  for (const p of patterns) {
    const sec = p.detect.type === 'missing_follow_up' ? p.detect.follow_up : undefined;
    for (const sel of sec === undefined ? [p.match] : [p.match, sec]) {
      const names = selectorNames(sel);
      if (names === null) return null;
      for (const n of names) out.add(n);
    }
  }
  return [...out].sort();
}
