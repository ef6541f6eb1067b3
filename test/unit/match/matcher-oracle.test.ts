/**
 * The matcher's per-name plans (test masks, cached outcome lists, generated field getters) and
 * the decoder's per-name field extraction (neededFieldsByName) against a brute-force oracle: for
 * random pattern sets (names, multi-name and any-name selectors, where clauses of every
 * predicate kind, 0-2 group_by fields, ratio / consecutive / missing_follow_up secondary
 * selectors; plans with more tests than the mask path takes) and random events, createMatcher
 * gives exactly the oracle's results, on fully parsed events and on fast-decoded ones.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/decode/decode.js';
import { createFastDecoder } from '../../../src/decode/fast.js';
import { compilePredicate, createMatcher, groupValue, neededEventNames, neededFields, neededFieldsByName, neededLiterals } from '../../../src/match/index.js';
import { getField } from '../../../src/model/field-path.js';
import type { LogEvent } from '../../../src/model/event.js';
import { isDecodeError } from '../../../src/model/event.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH, ROLE_SUB } from '../../../src/model/match.js';
import type { MatchResult } from '../../../src/model/match.js';
import type { Detect, FieldPredicate, Pattern, Selector } from '../../../src/model/pattern.js';
import { makePattern } from '../engine/helpers.js';

const NAMES = ['a', 'b', 'c'];
/** `constructor` is on Object.prototype: its getter must still read only own properties (lines may not carry it: forbidden key). */
const FIELDS = ['s', 'n', 'k', 'constructor'];

const predArb: fc.Arbitrary<FieldPredicate> = fc.oneof(
  fc.record({ equals: fc.constantFrom<string | number | boolean | null>('x', 'y', 1, 2, true, null) }),
  fc.record({ not_equals: fc.constantFrom<string | number>('x', 2) }),
  fc.record({ in: fc.subarray(['x', 'y', 'z', 1, 2, 3] as (string | number)[], { minLength: 1 }) }),
  fc.record({ not_in: fc.subarray(['x', 'y', 1] as (string | number)[], { minLength: 1 }) }),
  fc.record({ exists: fc.boolean() }),
  fc.record({ gte: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ lt: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ prefix: fc.constantFrom('x', 'y') }),
  fc.record({ gt: fc.integer({ min: 0, max: 3 }), lte: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ regex: fc.constantFrom('^x', 'y$', 'z') }),
  fc.constant({}),
);

const selArb = (named: boolean): fc.Arbitrary<Selector> =>
  fc.record(
    {
      event: named ? fc.oneof(fc.constantFrom(...NAMES), fc.subarray(NAMES, { minLength: 1 })) : fc.constant(undefined),
      where: fc.dictionary(fc.constantFrom(...FIELDS), predArb, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  ).map((s) => {
    const out: { event?: string | string[]; where?: Record<string, FieldPredicate> } = {};
    if (s.event !== undefined) out.event = s.event;
    if (s.where !== undefined && Object.keys(s.where).length > 0) out.where = s.where;
    return out as Selector;
  });

const detectArb: fc.Arbitrary<Detect> = fc.oneof(
  fc.constant<Detect>({ type: 'any' }),
  selArb(false).map((numerator): Detect => ({ type: 'ratio', window: 60_000, resolution: 1_000, op: '>', value: 0.5, min_total: 1, numerator })),
  fc.oneof(selArb(false), selArb(true)).map((failure): Detect => ({ type: 'consecutive', count: 2, failure })),
  fc.oneof(selArb(true), selArb(false)).map((follow_up): Detect => ({ type: 'missing_follow_up', within: 60_000, follow_up, max_pending: 5, max_total_pending: 50 })),
);

const patternArb = fc.record({
  match: fc.oneof({ weight: 4, arbitrary: selArb(true) }, { weight: 1, arbitrary: selArb(false) }),
  // constructor and __proto__: group records must hold them as own properties (matcher groupRecordFactory).
  group_by: fc.subarray(['s', 'k', 'g', 'constructor', '__proto__'], { maxLength: 2 }),
  detect: detectArb,
});

function selHolds(sel: Selector | undefined, ev: LogEvent): boolean {
  if (sel === undefined) return false;
  const names = sel.event === undefined ? null : typeof sel.event === 'string' ? [sel.event] : sel.event;
  if (names !== null && !names.includes(ev.name)) return false;
  return Object.entries(sel.where ?? {}).every(([path, p]) => compilePredicate(p)(getField(ev.fields, path)));
}

/** The matching semantics written out per pattern, with no plan, cache or generated code. */
function oracle(ps: readonly Pattern[], ev: LogEvent): MatchResult[] {
  const out: MatchResult[] = [];
  ps.forEach((p, i) => {
    const d = p.detect;
    let roles = selHolds(p.match, ev) ? ROLE_MATCH : 0;
    if (d.type === 'missing_follow_up' && selHolds(d.follow_up, ev)) roles |= ROLE_FOLLOW_UP;
    if (roles === 0) return;
    const sub = d.type === 'ratio' ? d.numerator : d.type === 'consecutive' ? d.failure : undefined;
    if (selHolds(sub, ev)) roles |= ROLE_SUB;
    const values = p.group_by.map((f) => groupValue(getField(ev.fields, f)));
    out.push({ pattern: i, roles, groupKey: JSON.stringify(values), group: Object.fromEntries(p.group_by.map((f, j) => [f, values[j]!])) });
  });
  return out;
}

const eventArb = fc.record({
  name: fc.constantFrom(...NAMES, 'other'),
  s: fc.option(fc.constantFrom('x', 'y', 'z', 'xy', 'yz'), { nil: undefined }),
  n: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('2', 'x', true, null)), { nil: undefined }),
  k: fc.option(fc.constantFrom<string | number | boolean | null>(1, 2, 3, 'x', true, null), { nil: undefined }),
  g: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
});

function line(e: { name: string } & Record<string, unknown>): string {
  const o: Record<string, unknown> = { timestamp: '2026-11-20T12:00:00.000Z', event: e.name };
  for (const f of ['s', 'n', 'k', 'g']) if (e[f] !== undefined) o[f] = e[f];
  return JSON.stringify(o);
}

describe('matcher against the oracle', () => {
  it('random pattern sets and events: the same results on parsed and fast-decoded events', () => {
    fc.assert(
      fc.property(fc.array(patternArb, { minLength: 1, maxLength: 10 }), fc.array(eventArb, { minLength: 1, maxLength: 60 }), (specs, events) => {
        const ps = specs.map((s, i) => makePattern({ id: `p${i}`, ...s }));
        const m = createMatcher(ps);
        const full = createDecoder({});
        const fast = createFastDecoder({ fields: neededFields(ps), fieldsByName: neededFieldsByName(ps), pinned: neededLiterals(ps), names: neededEventNames(ps), path: 'extract' });
        for (const e of events) {
          const text = line(e as never);
          const a = full(text);
          const b = fast(Buffer.from(text));
          if (isDecodeError(a) || isDecodeError(b)) throw new Error('test lines must decode');
          expect(b.needed, 'the byte path took the line').toBeDefined();
          const want = oracle(ps, a);
          expect(m(a)).toEqual(want);
          expect(m(b)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a name with more tests than the mask path takes is matched by the lazy path, the same', () => {
    const ps = Array.from({ length: 16 }, (_, i) => makePattern({ id: `p${i}`, match: { event: 'a', where: { n: { gte: i % 5 }, s: { prefix: i % 2 === 0 ? 'x' : 'y' }, k: { not_equals: i } } }, detect: { type: 'any' } }));
    const m = createMatcher(ps);
    const full = createDecoder({});
    for (const n of [0, 2, 4]) {
      for (const s of ['x1', 'y1']) {
        const ev = full(line({ name: 'a', n, s, k: 3 }));
        if (isDecodeError(ev)) throw new Error('decode');
        const got = m(ev);
        expect(got).toEqual(oracle(ps, ev));
        expect(got.length).toBeGreaterThan(0);
      }
    }
  });

  it('per-name fields: each name gets its candidates\' fields, names no pattern names get the any-name patterns\'', () => {
    const ps = [
      makePattern({ id: 'x', match: { event: 'a', where: { s: { equals: 'x' } } }, group_by: ['g'], detect: { type: 'any' } }),
      makePattern({ id: 'y', match: { event: ['a', 'b'] }, detect: { type: 'quantile', field: 'n', q: 0.5, window: 60_000, resolution: 1_000, op: '>=', value: 1, min_count: 1 } }),
      makePattern({ id: 'z', match: { event: 'c' }, group_by: ['k'], detect: { type: 'missing_follow_up', within: 1_000, follow_up: { event: 'b', where: { t: { exists: true } } }, max_pending: 1, max_total_pending: 1 } }),
      makePattern({ id: 'w', match: { where: { lvl: { equals: 'error' } } }, detect: { type: 'any' } }),
    ];
    const { byName, other } = neededFieldsByName(ps);
    expect(other).toEqual(['lvl']);
    expect(Object.fromEntries(byName)).toEqual({ a: ['g', 'lvl', 'n', 's'], b: ['k', 'lvl', 'n', 't'], c: ['k', 'lvl', 't'] });
  });
});
