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
  /** One-field group_by: group value -> its cached results (see GroupEntry). */
  readonly cache: Map<string, GroupEntry>;
  /** No group_by: the results per roles. */
  readonly ungrouped: GroupEntry;
}

/**
 * The results of one (pattern, group) by roles (index = ROLE_* bit set, 0..7). MatchResult is
 * immutable, so the same object is returned for every event of the group: no per-event
 * allocation, and no JSON.stringify of the group values (6% self time of the engine bench,
 * with the MatchResult/group objects a large share of its minor GCs).
 */
interface GroupEntry {
  readonly groupKey: string;
  readonly group: Readonly<Record<string, string>>;
  readonly byRoles: (MatchResult | undefined)[];
}

/** Group values cached per pattern; beyond this many the cache starts over (bounded memory). */
export const GROUP_CACHE_MAX = 65_536;

const NO_MATCHES: readonly MatchResult[] = Object.freeze([]);
const NO_GROUP: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_KEY = '[]';

export function groupValue(v: unknown): string {
  if (v === undefined || v === null) return MISSING_GROUP_VALUE;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function newEntry(groupKey: string, group: Readonly<Record<string, string>>): GroupEntry {
  return { groupKey, group, byRoles: [] };
}

function compile(p: Pattern, index: number): CompiledPattern {
  return {
    index,
    sel: compileSelector(p.match),
    sub: p.detect.type === 'ratio' ? compileSelector(p.detect.numerator) : p.detect.type === 'consecutive' ? compileSelector(p.detect.failure) : null,
    follow: p.detect.type === 'missing_follow_up' ? compileSelector(p.detect.follow_up) : null,
    groupFields: p.group_by,
    groupGetters: p.group_by.map(compileFieldPath),
    cache: new Map(),
    ungrouped: newEntry(EMPTY_KEY, NO_GROUP),
  };
}

function fromEntry(cp: CompiledPattern, g: GroupEntry, roles: number): MatchResult {
  return (g.byRoles[roles] ??= { pattern: cp.index, roles, groupKey: g.groupKey, group: g.group });
}

function result(cp: CompiledPattern, ev: LogEvent, f: Readonly<Record<string, unknown>>, base: number): MatchResult {
  const sub = cp.sub;
  const roles = sub !== null && (sub.names === null || sub.names.has(ev.name)) && fieldsMatch(sub, f) ? base | ROLE_SUB : base;
  const n = cp.groupGetters.length;
  if (n === 0) return fromEntry(cp, cp.ungrouped, roles);
  if (n === 1) {
    const v = groupValue(cp.groupGetters[0]!(f));
    let g = cp.cache.get(v);
    if (g === undefined) {
      if (cp.cache.size >= GROUP_CACHE_MAX) cp.cache.clear();
      g = newEntry(JSON.stringify([v]), Object.freeze({ [cp.groupFields[0]!]: v }));
      cp.cache.set(v, g);
    }
    return fromEntry(cp, g, roles);
  }
  const values: string[] = new Array<string>(n);
  const group: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const v = groupValue(cp.groupGetters[i]!(f));
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
    if (candidates.length === 0) return NO_MATCHES;
    // Fast-decoded events carry the pattern fields in `needed` (src/decode/fast.ts).
    const f = ev.needed ?? ev.fields;
    let out: MatchResult[] | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const cp = candidates[i]!;
      if (cp.follow === null) {
        if (!fieldsMatch(cp.sel, f)) continue;
        (out ??= []).push(result(cp, ev, f, ROLE_MATCH));
        continue;
      }
      const roles = (selectorMatches(cp.sel, ev) ? ROLE_MATCH : 0) | (selectorMatches(cp.follow, ev) ? ROLE_FOLLOW_UP : 0);
      if (roles !== 0) (out ??= []).push(result(cp, ev, f, roles));
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
