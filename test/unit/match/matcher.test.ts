import { describe, expect, it } from 'vitest';
import { parsePatterns } from '../../../src/config/load-patterns.js';
import fc from 'fast-check';
import { createMatcher, groupValue, LIST_PROBATION, singleGroupKey } from '../../../src/match/matcher.js';
import { neededEventNames, neededFields } from '../../../src/match/needed.js';
import { compilePredicate, toNumber } from '../../../src/match/predicate.js';
import type { LogEvent } from '../../../src/model/event.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH, ROLE_SUB } from '../../../src/model/match.js';
import { MISSING_GROUP_VALUE, type FieldPredicate } from '../../../src/model/pattern.js';

function ev(name: string, fields: Record<string, unknown> = {}): LogEvent {
  return { name, time: 0, timeSource: 'field', fields: { event: name, ...fields }, partition: 0 };
}

function patterns(yaml: string) {
  return parsePatterns(yaml, 'patterns/t.yaml');
}

describe('predicates', () => {
  const cases: Array<[string, FieldPredicate, unknown[], unknown[]]> = [
    ['equals string', { equals: 'a' }, ['a'], ['b', undefined, null, ['a']]],
    ['equals is type-strict', { equals: 503 }, [503], ['503', 503.1]],
    ['equals boolean', { equals: true }, [true], ['true', 1]],
    ['equals null', { equals: null }, [null], [undefined, 'null', 0]],
    ['not_equals (missing holds)', { not_equals: 'a' }, ['b', undefined, 1], ['a']],
    ['in', { in: ['error', 500] }, ['error', 500], ['500', 'warn', undefined]],
    ['not_in (missing holds)', { not_in: ['sre'] }, ['dev', undefined], ['sre']],
    ['exists true', { exists: true }, ['', 0, false, {}], [undefined, null]],
    ['exists false', { exists: false }, [undefined, null], ['x', 0]],
    ['gt numeric strings', { gt: 5 }, [6, '6', ' 7.5 ', '1e3'], [5, '5', 'x', '', null, true, '0x10', undefined]],
    ['gte', { gte: 500 }, [500, 599, '500'], [499, 'abc']],
    ['lt', { lt: 0 }, [-1, '-0.5'], [0, '0']],
    ['lte', { lte: 1.5 }, [1.5, '-2'], [2]],
    ['prefix (strings only)', { prefix: '/v1/' }, ['/v1/users'], ['/v2/', 1, undefined]],
    ['regex unanchored, strings only', { regex: 'ERR[0-9]+' }, ['x ERR42 y'], ['err42', 42, undefined]],
    ['several keys: all must hold', { gte: 500, lt: 600, not_in: [503] }, [500, '599'], [503, 600, 499]],
    ['empty predicate holds', {}, [undefined, 1], []],
  ];
  for (const [name, p, yes, no] of cases) {
    it(name, () => {
      const f = compilePredicate(p);
      for (const v of yes) expect(f(v), `${JSON.stringify(v)} should match`).toBe(true);
      for (const v of no) expect(f(v), `${String(JSON.stringify(v))} should not match`).toBe(false);
    });
  }

  it('toNumber accepts only decimal numeric strings', () => {
    expect([toNumber('12'), toNumber('-1.5e2'), toNumber(3)]).toEqual([12, -150, 3]);
    for (const v of ['', ' ', '0x1f', 'Infinity', '1,5', null, true, []]) expect(toNumber(v)).toBeNaN();
  });
});

describe('createMatcher', () => {
  const ps = patterns(`
- id: blocked
  match:
    event: export_webhook_blocked
    where: { reason: host_not_allowed, http.status: { gte: 400 } }
  group_by: [destination_host, tenant.id]
  detect: { type: any }
- id: http-errors
  match: { event: [http_request, http.request] }
  group_by: [service]
  detect:
    type: ratio
    window: 1m
    numerator: { where: { status: { gte: 500 } } }
    op: '>'
    value: 0.1
- id: everything-error
  match: { where: { level: error } }
  detect: { type: any }
- id: numerator-named
  match: { event: [a, b] }
  detect: { type: ratio, window: 1m, numerator: { event: b }, op: '>', value: 0.5 }
`);
  const m = createMatcher(ps);

  it('matches by name and fields, with group values in group_by order', () => {
    const r = m(ev('export_webhook_blocked', { reason: 'host_not_allowed', http: { status: 403 }, destination_host: 'evil.com', tenant: { id: 7 } }));
    expect(r).toEqual([{ pattern: 0, roles: ROLE_MATCH, groupKey: '["evil.com","7"]', group: { destination_host: 'evil.com', 'tenant.id': '7' } }]);
  });

  it('resolves literal dotted keys (ECS flattened) and nested paths alike', () => {
    const flat = m(ev('export_webhook_blocked', { reason: 'host_not_allowed', 'http.status': '500', destination_host: 'h', 'tenant.id': 'x' }));
    expect(flat.map((x) => [x.pattern, x.groupKey])).toEqual([[0, '["h","x"]']]);
  });

  it('missing group values go to MISSING_GROUP_VALUE', () => {
    const r = m(ev('export_webhook_blocked', { reason: 'host_not_allowed', http: { status: 400 }, tenant: { id: null } }));
    expect(r[0]!.group).toEqual({ destination_host: MISSING_GROUP_VALUE, 'tenant.id': MISSING_GROUP_VALUE });
    expect(r[0]!.groupKey).toBe(JSON.stringify([MISSING_GROUP_VALUE, MISSING_GROUP_VALUE]));
  });

  it('does not match when a predicate fails or the name differs', () => {
    expect(m(ev('export_webhook_blocked', { reason: 'host_not_allowed', http: { status: 399 } }))).toEqual([]);
    expect(m(ev('export_webhook_blocked', { reason: 'other', http: { status: 500 } }))).toEqual([]);
    expect(m(ev('unrelated', { reason: 'host_not_allowed', http: { status: 500 } }))).toEqual([]);
  });

  it('multi-name selectors and ROLE_SUB for the ratio numerator', () => {
    expect(m(ev('http_request', { status: 503, service: 'api' }))).toEqual([{ pattern: 1, roles: ROLE_MATCH | ROLE_SUB, groupKey: '["api"]', group: { service: 'api' } }]);
    expect(m(ev('http.request', { status: 200, service: 'api' }))[0]!.roles).toBe(ROLE_MATCH);
    expect(m(ev('a'))[0]!.roles).toBe(ROLE_MATCH);
    expect(m(ev('b'))[0]!.roles).toBe(ROLE_MATCH | ROLE_SUB);
  });

  it('patterns without an event name see every event, results in pattern order', () => {
    const r = m(ev('http_request', { status: 500, service: 's', level: 'error' }));
    expect(r.map((x) => x.pattern)).toEqual([1, 2]);
    expect(m(ev('never-indexed', { level: 'error' })).map((x) => [x.pattern, x.groupKey, x.group])).toEqual([[2, '[]', {}]]);
  });

  it('group values: numbers, booleans, objects, and unambiguous keys', () => {
    expect([groupValue('a'), groupValue(1.5), groupValue(false), groupValue({ a: 1 }), groupValue([1]), groupValue(undefined), groupValue(null)]).toEqual([
      'a', '1.5', 'false', '{"a":1}', '[1]', MISSING_GROUP_VALUE, MISSING_GROUP_VALUE,
    ]);
    const k1 = m(ev('export_webhook_blocked', { reason: 'host_not_allowed', http: { status: 400 }, destination_host: 'a","b', tenant: { id: 'c' } }))[0]!.groupKey;
    const k2 = m(ev('export_webhook_blocked', { reason: 'host_not_allowed', http: { status: 400 }, destination_host: 'a', tenant: { id: 'b","c' } }))[0]!.groupKey;
    expect(k1).not.toBe(k2);
  });

  it('returns the same empty array when nothing matches (no allocation)', () => {
    expect(m(ev('zzz'))).toBe(m(ev('yyy')));
  });

  it('neededFields and neededEventNames', () => {
    expect(neededFields(ps)).toEqual(['destination_host', 'http.status', 'level', 'reason', 'service', 'status', 'tenant.id']);
    expect(neededEventNames(ps)).toBeNull();
    expect(neededEventNames([ps[0]!, ps[1]!])).toEqual(['export_webhook_blocked', 'http.request', 'http_request']);
  });

  it('an empty pattern list matches nothing', () => {
    expect(createMatcher([])(ev('x'))).toEqual([]);
  });
});

describe('singleGroupKey', () => {
  it('equals JSON.stringify([v]) for any string (escapes, control characters, lone surrogates)', () => {
    for (const v of ['', 'org_1', 'a"b', 'a\\b', 'tab\there', '\u0000', '\u001f', '\u007f', 'é', '\ud800', '😀', '/v1/x?y=1']) expect(singleGroupKey(v)).toBe(JSON.stringify([v]));
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.string()), (v) => singleGroupKey(v) === JSON.stringify([v])), { numRuns: 2000 });
  });
});

describe('per-value result lists (probation)', () => {
  // Two patterns on one event name: one grouped by org_id (a missing_follow_up, so the follow-up
  // event reaches it with ROLE_FOLLOW_UP), one ungrouped; both match every `paid` event.
  const ps = patterns(`
- id: not-activated
  match: { event: paid }
  group_by: [org_id]
  detect:
    type: missing_follow_up
    follow_up: { event: flipped, where: { to: { not_in: [inactive] } } }
    within: 5m
- id: paid-any
  match: { event: paid }
  detect: { type: any }
`);
  const expected = (v: string) => [
    { pattern: 0, roles: ROLE_MATCH, groupKey: JSON.stringify([v]), group: { org_id: v } },
    { pattern: 1, roles: ROLE_MATCH, groupKey: '[]', group: {} },
  ];

  it('an outcome whose values repeat keeps one cached list per value', () => {
    const m = createMatcher(ps);
    const first = new Map<string, readonly unknown[]>();
    for (let i = 0; i < 3 * LIST_PROBATION; i++) {
      const v = `org_${i % 10}`;
      const r = m(ev('paid', { org_id: v }));
      expect(r).toEqual(expected(v));
      if (!first.has(v)) first.set(v, r);
      else expect(r).toBe(first.get(v));
    }
  });

  it('an outcome whose values rarely repeat stops caching after one probation window, with the same results', () => {
    const m = createMatcher(ps);
    // Window 1: every value new (all misses) -> uncached from then on.
    for (let i = 0; i < LIST_PROBATION; i++) expect(m(ev('paid', { org_id: `org_${i}` }))).toEqual(expected(`org_${i}`));
    const a = m(ev('paid', { org_id: 'org_7' }));
    const b = m(ev('paid', { org_id: 'org_7' }));
    expect(a).toEqual(expected('org_7'));
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    // The ungrouped pattern's result is still the shared one.
    expect(b[1]).toBe(a[1]);
    // Other values and a missing value keep their exact results.
    expect(m(ev('paid', { org_id: 42 }))).toEqual(expected('42'));
    expect(m(ev('paid', {}))).toEqual(expected(MISSING_GROUP_VALUE));
  });

  it('each outcome is judged on its own (follow-ups of new orgs, paid events of few orgs)', () => {
    const m = createMatcher(ps);
    for (let i = 0; i < 2 * LIST_PROBATION; i++) {
      const f = m(ev('flipped', { org_id: `org_${i}`, to: 'active' }));
      expect(f).toEqual([{ pattern: 0, roles: ROLE_FOLLOW_UP, groupKey: JSON.stringify([`org_${i}`]), group: { org_id: `org_${i}` } }]);
    }
    const p1 = m(ev('paid', { org_id: 'org_1' }));
    for (let i = 0; i < 2 * LIST_PROBATION; i++) m(ev('paid', { org_id: `org_${i % 3}` }));
    expect(m(ev('paid', { org_id: 'org_1' }))).toBe(p1);
    expect(m(ev('flipped', { org_id: 'org_1', to: 'inactive' }))).toEqual([]);
  });
});
