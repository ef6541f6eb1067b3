/**
 * What the decoder must extract for a pattern set: the fields the patterns read (all of them, and
 * per event name), the event names they select, and their string literals (returned by the
 * decoder as the patterns' own string objects). Used by src/pipeline.ts and src/shuffle.
 */
import type { Pattern, Selector } from '../model/pattern.js';
import { selectorNames } from './selector.js';

/** The detector's secondary selector, if any (ratio numerator, consecutive failure, follow_up). */
function secondary(p: Pattern): Selector | undefined {
  const d = p.detect;
  return d.type === 'ratio' ? d.numerator : d.type === 'consecutive' ? d.failure : d.type === 'missing_follow_up' ? d.follow_up : undefined;
}

/** The event names a pattern selects by `match` or `follow_up` (missing_follow_up); null = any name. */
function selectedNames(p: Pattern): string[] | null {
  const m = selectorNames(p.match);
  const f = p.detect.type === 'missing_follow_up' ? selectorNames(p.detect.follow_up) : [];
  return m === null || f === null ? null : [...m, ...f];
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

/**
 * Per event name, the fields the patterns that can match an event of that name read (its
 * candidates in createMatcher: patterns selecting the name by `match` or `follow_up`, plus every
 * pattern accepting any name); `other`: the fields read for names no pattern names (the
 * any-name patterns'). The decoder extracts only these per event (src/decode/fast.ts
 * `fieldsByName`). A secondary selector (ratio numerator, consecutive failure) is tested only
 * on events its pattern's candidates list holds, so a pattern's whole field list covers it.
 */
export function neededFieldsByName(patterns: readonly Pattern[]): { byName: Map<string, string[]>; other: string[] } {
  const other = neededFields(patterns.filter((p) => selectedNames(p) === null));
  const sets = new Map<string, Set<string>>();
  for (const p of patterns) {
    // An any-name pattern's fields are in `other`, which every name's set starts from.
    const names = selectedNames(p);
    if (names === null) continue;
    const fields = neededFields([p]);
    for (const n of names) {
      let set = sets.get(n);
      if (set === undefined) sets.set(n, (set = new Set(other)));
      for (const f of fields) set.add(f);
    }
  }
  return { byName: new Map([...sets].map(([n, set]) => [n, [...set].sort()])), other };
}

/**
 * The string objects of the patterns' event names and predicate literals (equals, not_equals,
 * in, not_in), in every selector: the decoder returns these very objects for equal values
 * (src/decode/fast.ts `pinned`), so the matcher's name plans and `in` sets compare pointers.
 */
export function neededLiterals(patterns: readonly Pattern[]): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') out.add(v);
  };
  for (const p of patterns) {
    for (const sel of [p.match, secondary(p)]) {
      if (sel === undefined) continue;
      for (const n of selectorNames(sel) ?? []) out.add(n);
      for (const pred of Object.values(sel.where ?? {})) {
        add(pred.equals);
        add(pred.not_equals);
        for (const v of pred.in ?? []) add(v);
        for (const v of pred.not_in ?? []) add(v);
      }
    }
  }
  return [...out];
}

/**
 * Everything the fast decoder needs from a pattern set (src/decode/fast.ts options `fields`,
 * `fieldsByName`, `pinned`, `names`): one call for the service, the combiner and replay.
 */
export function decoderFieldsFor(patterns: readonly Pattern[]): { fields: string[]; fieldsByName: ReturnType<typeof neededFieldsByName>; pinned: string[]; names: string[] | null } {
  return { fields: neededFields(patterns), fieldsByName: neededFieldsByName(patterns), pinned: neededLiterals(patterns), names: neededEventNames(patterns) };
}

/** Every event name any pattern selects on, or null when some pattern accepts any name. */
export function neededEventNames(patterns: readonly Pattern[]): string[] | null {
  const out = new Set<string>();
  for (const p of patterns) {
    const names = selectedNames(p);
    if (names === null) return null;
    for (const n of names) out.add(n);
  }
  return [...out].sort();
}
