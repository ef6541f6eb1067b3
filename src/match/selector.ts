/**
 * A compiled Selector: an event-name set (or any name) plus field tests, all of which must hold.
 */
import type { LogEvent } from '../model/event.js';
import { compileFieldPath, type FieldGetter } from '../model/field-path.js';
import type { Selector } from '../model/pattern.js';
import { compilePredicate, type Predicate } from './predicate.js';

export interface FieldTest {
  readonly path: string;
  readonly get: FieldGetter;
  readonly test: Predicate;
}

export interface CompiledSelector {
  /** Accepted event names; null means any name. */
  readonly names: ReadonlySet<string> | null;
  readonly tests: readonly FieldTest[];
}

export function selectorNames(sel: Selector): string[] | null {
  if (sel.event === undefined) return null;
  return typeof sel.event === 'string' ? [sel.event] : [...sel.event];
}

export function compileSelector(sel: Selector): CompiledSelector {
  const names = selectorNames(sel);
  const tests = Object.entries(sel.where ?? {}).map(([path, p]) => ({ path, get: compileFieldPath(path), test: compilePredicate(p) }));
  return { names: names === null ? null : new Set(names), tests };
}

/** Field tests only (the name was already checked by the matcher's index). */
export function fieldsMatch(sel: CompiledSelector, fields: Readonly<Record<string, unknown>>): boolean {
  const tests = sel.tests;
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i]!;
    if (!t.test(t.get(fields))) return false;
  }
  return true;
}

export function selectorMatches(sel: CompiledSelector, ev: LogEvent): boolean {
  return (sel.names === null || sel.names.has(ev.name)) && fieldsMatch(sel, ev.needed ?? ev.fields);
}
