/**
 * match: LogEvent -> the (pattern, group) pairs it belongs to.
 *
 * Patterns are indexed by event name, so an event only tests the patterns that can match it
 * (plus the patterns without an event name). Results come in pattern order. Per event name a
 * plan (NamePlan) reads each field path once and evaluates each distinct predicate at most once
 * (patterns sharing a `where`, such as the two probe-latency patterns, share the test); a single
 * match returns a cached frozen one-element list.
 * A missing_follow_up pattern is also indexed under its `follow_up` event names: an event
 * selected by `follow_up` reaches the pattern with ROLE_FOLLOW_UP (plus ROLE_MATCH only if
 * `match` selects it too). Group values: strings as-is, numbers/booleans via String(), objects/arrays as JSON,
 * missing or null as MISSING_GROUP_VALUE. groupKey is JSON.stringify of the values array.
 */
import type { LogEvent } from '../model/event.js';
import { compileFieldPath, type FieldGetter } from '../model/field-path.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH, ROLE_SUB, type Matcher, type MatchResult } from '../model/match.js';
import { MISSING_GROUP_VALUE, groupRecordOf, type FieldPredicate, type Pattern, type Selector } from '../model/pattern.js';
import { compilePredicate, predicateExpr, toNumber, type Predicate } from './predicate.js';
import { compileSelector, fieldsMatch, selectorMatches, type CompiledSelector } from './selector.js';

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
  /** One-field group_by: the frozen group record of a value (one object shape per pattern). */
  readonly groupRecord: (v: string) => Readonly<Record<string, string>>;
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
  /** Frozen one-element result lists by roles: an event with a single match allocates nothing. */
  readonly alone: (readonly MatchResult[] | undefined)[];
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

/**
 * The group key of one group value: JSON.stringify([v]). Values of printable ASCII other than
 * `"` and `\\` (org ids, hosts, routes) need no escaping, so the key is built by concatenation:
 * JSON.stringify of a one-element array costs ~200 ns per call on this VM, which an org's
 * events paid once per event once its outcome stopped caching (fromOutcome).
 */
export function singleGroupKey(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify([v]);
  }
  return `["${v}"]`;
}

function newEntry(groupKey: string, group: Readonly<Record<string, string>>): GroupEntry {
  return { groupKey, group, byRoles: [], alone: [] };
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
    groupRecord: p.group_by.length === 1 ? groupRecordFactory(p.group_by[0]!) : () => NO_GROUP,
  };
}

/**
 * `v => Object.freeze({ <field>: v })` as one generated object literal: a computed-key literal
 * builds each record through a property add (a new group of a high-cardinality group_by, such
 * as one per paying org, pays it at every first sight). The field name is embedded with
 * JSON.stringify, so any key text is a string literal, never code; `__proto__` (which a literal
 * would take as the prototype) goes through groupRecordOf.
 */
function groupRecordFactory(field: string): (v: string) => Readonly<Record<string, string>> {
  if (field === '__proto__') return (v) => Object.freeze(groupRecordOf([field], [v]));
  return new Function('v', `return Object.freeze({ ${JSON.stringify(field)}: v });`) as (v: string) => Readonly<Record<string, string>>;
}

/** The cached entry of a one-field group value (the cache starts over beyond GROUP_CACHE_MAX). */
function cachedEntry(cp: CompiledPattern, v: string): GroupEntry {
  let g = cp.cache.get(v);
  if (g === undefined) {
    if (cp.cache.size >= GROUP_CACHE_MAX) cp.cache.clear();
    g = newEntry(singleGroupKey(v), cp.groupRecord(v));
    cp.cache.set(v, g);
  }
  return g;
}

/** The (uncached) result of a group of several group_by values. */
function groupedResult(cp: CompiledPattern, roles: number, values: string[]): MatchResult {
  return { pattern: cp.index, roles, groupKey: JSON.stringify(values), group: groupRecordOf(cp.groupFields, values) };
}

function fromEntry(cp: CompiledPattern, g: GroupEntry, roles: number): MatchResult {
  return (g.byRoles[roles] ??= { pattern: cp.index, roles, groupKey: g.groupKey, group: g.group });
}

function result(cp: CompiledPattern, ev: LogEvent, f: Readonly<Record<string, unknown>>, base: number): MatchResult {
  const sub = cp.sub;
  const roles = sub !== null && (sub.names === null || sub.names.has(ev.name)) && fieldsMatch(sub, f) ? base | ROLE_SUB : base;
  const n = cp.groupGetters.length;
  if (n === 0) return fromEntry(cp, cp.ungrouped, roles);
  if (n === 1) return fromEntry(cp, cachedEntry(cp, groupValue(cp.groupGetters[0]!(f))), roles);
  const values: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) values[i] = groupValue(cp.groupGetters[i]!(f));
  return groupedResult(cp, roles, values);
}

/** The cached group entry for group values already read (slots of `vals`); null for several group_by fields. */
function entryFromValues(cp: CompiledPattern, slots: readonly number[], vals: readonly unknown[]): GroupEntry | null {
  const n = slots.length;
  if (n === 0) return cp.ungrouped;
  return n === 1 ? cachedEntry(cp, groupValue(vals[slots[0]!])) : null;
}

/** The result for group values already read (slots of `vals`), roles already known. */
function resultFromValues(cp: CompiledPattern, roles: number, slots: readonly number[], vals: readonly unknown[]): MatchResult {
  const g = entryFromValues(cp, slots, vals);
  if (g !== null) return fromEntry(cp, g, roles);
  const n = slots.length;
  const values: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) values[i] = groupValue(vals[slots[i]!]);
  return groupedResult(cp, roles, values);
}

/**
 * One candidate of a NamePlan. Test lists hold test ids of the plan; null: that selector cannot
 * select an event of this name (or the pattern has no such selector).
 */
interface PlanEntry {
  readonly cp: CompiledPattern;
  readonly sel: readonly number[] | null;
  readonly sub: readonly number[] | null;
  readonly follow: readonly number[] | null;
  readonly groupSlots: readonly number[];
}

/**
 * Everything the candidates of one event name read, deduplicated: each field path is read once
 * per event (slots), each distinct (path, predicate) test is evaluated at most once per event
 * (e.g. the `route in [/healthz, /readyz]` shared by the two probe-latency patterns), and name
 * checks are resolved when the plan is built. Results equal those of the per-pattern loop
 * (`generic` below), in pattern order.
 */
interface NamePlan {
  readonly getters: readonly FieldGetter[];
  /** Test id -> slot and predicate. */
  readonly testSlots: readonly number[];
  readonly testFns: readonly Predicate[];
  readonly entries: readonly PlanEntry[];
  /**
   * Up to MAX_MASK_TESTS tests: every test is evaluated once per event into a bit mask, and the
   * matching entries with their roles are looked up by mask (Outcome, built on first use).
   * null: too many tests, the lazy per-entry evaluation below.
   */
  readonly outcomes: (Outcome | undefined)[] | null;
  /** Generated reads and tests (with `outcomes`): fills `vals`, returns the test mask. */
  readonly maskFn: MaskFn | null;
}

type MaskFn = (f: Readonly<Record<string, unknown>>, vals: unknown[]) => number;

/** Tests per plan for the mask path (2^n outcome slots at most, built lazily). */
const MAX_MASK_TESTS = 12;

/**
 * What the events of one name with one test mask match: the matching entries and their roles, in
 * pattern order, and their result lists. The list depends only on the group values: with no
 * grouped entry it is fixed (`fixed`, built once); when every grouped entry groups by the same
 * single field (`slot`), lists are cached per value of it (`lists`: a /readyz request's list for
 * the 5xx ratio and the two probe-latency patterns is one Map lookup, no allocation) while the
 * values repeat, and built per event once they do not (LIST_PROBATION: the billing pattern's
 * orgs); otherwise (several group_by fields) a list is built per event.
 */
interface Outcome {
  readonly entries: readonly PlanEntry[];
  readonly roles: readonly number[];
  /** -1: no entry is grouped (`fixed`); >= 0: the one group slot; -2: mixed, no cache. */
  readonly slot: number;
  readonly fixed: readonly MatchResult[] | null;
  readonly lists: Map<string, readonly MatchResult[]>;
  /** Lookups of `lists` in the current probation window, and how many missed. */
  looks: number;
  misses: number;
  /**
   * True once `lists` missed most lookups of a window: lists are then built per event for the
   * rest of the matcher's life (a later run of repeats then pays a key, a frozen group record and
   * the list per event instead of one Map hit).
   */
  uncached: boolean;
}

/**
 * Probation of an outcome's per-value list cache (see fromOutcome): after this many lookups, an
 * outcome whose lookups missed more than half of the time stops caching. A group value seen
 * about once (an org's subscription event and its follow-up, each with its own outcome) made
 * the cache a loss: every miss built and stored a list, an entry and their records, and every
 * later lookup of a Map of thousands of org values touched cold memory: 2.7-3.9 µs per billing
 * event in the pipeline against ~0.2 µs built per event (BENCHMARKS.md, issue 4 round 6).
 */
export const LIST_PROBATION = 1024;

function buildPlan(name: string, candidates: readonly CompiledPattern[], patterns: readonly Pattern[]): NamePlan {
  const slots = new Map<string, number>();
  const getters: FieldGetter[] = [];
  const testIds = new Map<string, number>();
  const testSlots: number[] = [];
  const testFns: Predicate[] = [];
  const testSpecs: FieldPredicate[] = [];
  const paths: string[] = [];
  const slot = (path: string): number => {
    let i = slots.get(path);
    if (i === undefined) {
      slots.set(path, (i = getters.length));
      getters.push(compileFieldPath(path));
      paths.push(path);
    }
    return i;
  };
  const tests = (sel: Selector | undefined, compiled: CompiledSelector | null): number[] | null => {
    if (sel === undefined || compiled === null || (compiled.names !== null && !compiled.names.has(name))) return null;
    return Object.entries(sel.where ?? {}).map(([path, spec]) => {
      const key = `${path}\u0000${JSON.stringify(spec)}`;
      let id = testIds.get(key);
      if (id === undefined) {
        testIds.set(key, (id = testFns.length));
        testSlots.push(slot(path));
        testFns.push(compilePredicate(spec));
        testSpecs.push(spec);
      }
      return id;
    });
  };
  const entries = candidates.map((cp): PlanEntry => {
    const p = patterns[cp.index]!;
    return { cp, sel: tests(p.match, cp.sel), sub: tests(secondaryOf(p, 'sub'), cp.sub), follow: tests(secondaryOf(p, 'follow'), cp.follow), groupSlots: p.group_by.map(slot) };
  });
  const outcomes = testFns.length <= MAX_MASK_TESTS ? new Array<Outcome | undefined>(1 << testFns.length) : null;
  const maskFn = outcomes === null ? null : maskFunction(paths, getters, testSlots, testSpecs);
  return { getters, testSlots, testFns, entries, outcomes, maskFn };
}

/**
 * The plan's field reads and tests as one generated function: reads every slot into `vals` and
 * returns the test mask. One call per event instead of a getter call per field and a predicate
 * call per test (those call sites see every plan's closures, so V8 cannot inline them); measured
 * in BENCHMARKS.md (issue 4). Keys and constants are never spliced into the code as text: keys
 * are JSON string literals, constants are read from an array (predicateExpr).
 */
function maskFunction(paths: readonly string[], getters: readonly FieldGetter[], testSlots: readonly number[], specs: readonly FieldPredicate[]): MaskFn {
  const consts: unknown[] = [];
  const body: string[] = [];
  paths.forEach((path, i) => {
    const direct = !path.includes('.') && !(path in Object.prototype);
    body.push(`const s${i} = ${direct ? `f[${JSON.stringify(path)}]` : `G[${i}](f)`}; vals[${i}] = s${i};`);
  });
  body.push('let m = 0;');
  specs.forEach((spec, t) => body.push(`{ const v = s${testSlots[t]!}; if (${predicateExpr(spec, consts)}) m |= ${1 << t}; }`));
  body.push('return m;');
  return new Function('G', 'C', 'N', `return function planMask(f, vals) {\n${body.join('\n')}\n};`)(getters, consts, toNumber) as MaskFn;
}

function holds(ids: readonly number[] | null, mask: number): boolean {
  if (ids === null) return false;
  for (let i = 0; i < ids.length; i++) if ((mask & (1 << ids[i]!)) === 0) return false;
  return true;
}

function buildOutcome(plan: NamePlan, mask: number): Outcome {
  const entries: PlanEntry[] = [];
  const roles: number[] = [];
  for (const e of plan.entries) {
    let r = holds(e.sel, mask) ? ROLE_MATCH : 0;
    if (holds(e.follow, mask)) r |= ROLE_FOLLOW_UP;
    if (r === 0) continue;
    if (holds(e.sub, mask)) r |= ROLE_SUB;
    entries.push(e);
    roles.push(r);
  }
  const slots = new Set<number>();
  let multi = false;
  for (const e of entries) {
    if (e.groupSlots.length > 1) multi = true;
    else if (e.groupSlots.length === 1) slots.add(e.groupSlots[0]!);
  }
  const slot = multi || slots.size > 1 ? -2 : slots.size === 1 ? [...slots][0]! : -1;
  // Ungrouped entries read no slot: their results are the same for every event.
  const fixed = slot !== -1 ? null : entries.length === 0 ? NO_MATCHES : Object.freeze(entries.map((e, i) => fromEntry(e.cp, e.cp.ungrouped, roles[i]!)));
  return { entries, roles, slot, fixed, lists: new Map(), looks: 0, misses: 0, uncached: false };
}

function secondaryOf(p: Pattern, which: 'sub' | 'follow'): Selector | undefined {
  const d = p.detect;
  if (which === 'follow') return d.type === 'missing_follow_up' ? d.follow_up : undefined;
  return d.type === 'ratio' ? d.numerator : d.type === 'consecutive' ? d.failure : undefined;
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

  const plans = new Map<string, NamePlan>();
  let maxSlots = 0;
  let maxTests = 0;
  for (const [name, list] of byName) {
    const plan = buildPlan(name, list, patterns);
    plans.set(name, plan);
    maxSlots = Math.max(maxSlots, plan.getters.length);
    maxTests = Math.max(maxTests, plan.testFns.length);
  }
  const vals: unknown[] = new Array<unknown>(maxSlots).fill(undefined);
  /** Per test id: the event number it was evaluated for, and its result. */
  const memoAt = new Float64Array(maxTests).fill(-1);
  const memoHolds = new Uint8Array(maxTests);
  let eventNo = 0;

  /** All tests of `ids` hold (each evaluated at most once per event). */
  function all(plan: NamePlan, ids: readonly number[]): boolean {
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]!;
      if (memoAt[t] !== eventNo) {
        memoAt[t] = eventNo;
        memoHolds[t] = plan.testFns[t]!(vals[plan.testSlots[t]!]) ? 1 : 0;
      }
      if (memoHolds[t] === 0) return false;
    }
    return true;
  }

  /** Patterns without an event name, for event names no pattern names: per-pattern checks. */
  function generic(ev: LogEvent): readonly MatchResult[] {
    const f = ev.needed ?? ev.fields;
    let out: MatchResult[] | undefined;
    for (let i = 0; i < anyName.length; i++) {
      const cp = anyName[i]!;
      if (cp.follow === null) {
        if (!fieldsMatch(cp.sel, f)) continue;
        (out ??= []).push(result(cp, ev, f, ROLE_MATCH));
        continue;
      }
      const roles = (selectorMatches(cp.sel, ev) ? ROLE_MATCH : 0) | (selectorMatches(cp.follow, ev) ? ROLE_FOLLOW_UP : 0);
      if (roles !== 0) (out ??= []).push(result(cp, ev, f, roles));
    }
    return out ?? NO_MATCHES;
  }

  /** The results of an outcome for the group values in `vals`. */
  function fromOutcome(o: Outcome): readonly MatchResult[] {
    if (o.fixed !== null) return o.fixed;
    const es = o.entries;
    if (o.slot === -2) return es.map((e, i) => resultFromValues(e.cp, o.roles[i]!, e.groupSlots, vals));
    const key = groupValue(vals[o.slot]);
    if (o.uncached) return freshList(o, key);
    let list = o.lists.get(key);
    if (list === undefined) {
      o.misses++;
      if (o.lists.size >= GROUP_CACHE_MAX) o.lists.clear();
      list = Object.freeze(es.map((e, i) => resultFromValues(e.cp, o.roles[i]!, e.groupSlots, vals)));
      o.lists.set(key, list);
    }
    if (++o.looks === LIST_PROBATION) {
      if (2 * o.misses > o.looks) {
        o.uncached = true;
        o.lists.clear();
      }
      o.looks = o.misses = 0;
    }
    return list;
  }

  /**
   * An uncached outcome's list for group value `v` (every grouped entry groups by that one
   * field): fresh results, not stored in the patterns' group caches either.
   */
  function freshList(o: Outcome, v: string): readonly MatchResult[] {
    const es = o.entries;
    const out = new Array<MatchResult>(es.length);
    let key: string | undefined;
    for (let i = 0; i < es.length; i++) {
      const cp = es[i]!.cp;
      if (cp.groupGetters.length === 0) out[i] = fromEntry(cp, cp.ungrouped, o.roles[i]!);
      else out[i] = { pattern: cp.index, roles: o.roles[i]!, groupKey: (key ??= singleGroupKey(v)), group: cp.groupRecord(v) };
    }
    return out;
  }

  // Consecutive events mostly share their name (interned by the byte decoder): one compare.
  let lastName = '';
  let lastPlan: NamePlan | undefined;
  return (ev) => {
    let plan: NamePlan | undefined;
    if (ev.name === lastName) plan = lastPlan;
    else {
      plan = plans.get(ev.name);
      lastName = ev.name;
      lastPlan = plan;
    }
    if (plan === undefined) return anyName.length === 0 ? NO_MATCHES : generic(ev);
    // Fast-decoded events carry the pattern fields in `needed` (src/decode/fast.ts).
    const f = ev.needed ?? ev.fields;
    const getters = plan.getters;
    const outcomes = plan.outcomes;
    if (outcomes !== null) {
      const mask = plan.maskFn!(f, vals);
      const res = fromOutcome(outcomes[mask] ??= buildOutcome(plan, mask));
      for (let i = 0; i < getters.length; i++) vals[i] = undefined;
      return res;
    }
    for (let i = 0; i < getters.length; i++) vals[i] = getters[i]!(f);
    eventNo++;
    let out: MatchResult[] | undefined;
    let first: PlanEntry | undefined;
    let firstRoles = 0;
    const entries = plan.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      let roles = e.sel !== null && all(plan, e.sel) ? ROLE_MATCH : 0;
      if (e.follow !== null && all(plan, e.follow)) roles |= ROLE_FOLLOW_UP;
      if (roles === 0) continue;
      if (e.sub !== null && all(plan, e.sub)) roles |= ROLE_SUB;
      if (first === undefined) {
        first = e;
        firstRoles = roles;
        continue;
      }
      out ??= [resultFromValues(first.cp, firstRoles, first.groupSlots, vals)];
      out.push(resultFromValues(e.cp, roles, e.groupSlots, vals));
    }
    let res: readonly MatchResult[] = NO_MATCHES;
    if (out !== undefined) res = out;
    else if (first !== undefined) {
      // One match (most events): a cached frozen list, no allocation.
      const g = entryFromValues(first.cp, first.groupSlots, vals);
      res = g === null ? [resultFromValues(first.cp, firstRoles, first.groupSlots, vals)] : (g.alone[firstRoles] ??= Object.freeze([fromEntry(first.cp, g, firstRoles)]));
    }
    for (let i = 0; i < getters.length; i++) vals[i] = undefined;
    return res;
  };
}
