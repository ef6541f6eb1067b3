/**
 * Pattern loader fuzz: random YAML text, random structured objects and mutations of valid
 * patterns. parsePatterns must return patterns or throw a ConfigError, nothing else, and every
 * message must be one `file: ...` sentence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePatterns } from '../../../src/config/load-patterns.js';
import { ConfigError } from '../../../src/model/errors.js';

const FILE = 'patterns/fuzz.yaml';

function attempt(text: string): void {
  try {
    const ps = parsePatterns(text, FILE);
    expect(ps.length).toBeGreaterThan(0);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.lines.length).toBeGreaterThan(0);
    for (const l of e.lines) {
      expect(l.startsWith(`${FILE}: `)).toBe(true);
      expect(l).not.toContain('\n');
    }
  }
}

const KEYS = ['id', 'description', 'match', 'event', 'where', 'group_by', 'max_groups', 'detect', 'type', 'window', 'resolution', 'op', 'value', 'numerator', 'min_total', 'after', 'grace', 'for', 'resolve_after', 'repeat_interval', 'severity', 'labels', 'runbook', 'summary', 'redact', 'flap_window', 'flap_max_changes', 'equals', 'in', 'gte', 'regex', 'prefix', 'exists', '__proto__', 'constructor'];
const VALUES = ['threshold', 'ratio', 'any', 'absence', 'spike', '>=', '=>', '5m', '10s', '7s', '0', '1h30m', 'x', '', '(a+)+$', '^/v1/', 'warning', 'fatal', '{{value}}', '{{group.host}}'];

const leaf = fc.oneof(fc.constantFrom(...VALUES), fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }));
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('node'), { maxKeys: 6 }),
})).node;

const BASE = {
  id: 'base',
  match: { event: ['a', 'b'], where: { status: { gte: 500 }, path: { regex: '^/v1/' } } },
  group_by: ['host'],
  detect: { type: 'threshold', window: '5m', op: '>=', value: 3 },
  severity: 'critical',
  summary: '{{value}} on {{group.host}}',
};

/** Replace one key path of a valid pattern with a random value. */
const mutatedPattern = fc.tuple(fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }), tree).map(([path, v]) => {
  const obj = structuredClone(BASE) as Record<string, unknown>;
  let cur: Record<string, unknown> = obj;
  // Own properties only: a `__proto__` step must create a key, never walk into Object.prototype.
  const put = (o: Record<string, unknown>, k: string, value: unknown) =>
    Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
  for (const k of path.slice(0, -1)) {
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) put(cur, k, {});
    cur = Object.getOwnPropertyDescriptor(cur, k)!.value as Record<string, unknown>;
  }
  put(cur, path[path.length - 1]!, v);
  return obj;
});

describe('pattern loader fuzz', () => {
  it('random structured YAML documents', () => {
    fc.assert(fc.property(tree, (v) => attempt(YAML.stringify(v))), { numRuns: 1500 });
  });

  it('mutations of a valid pattern (single and in lists)', () => {
    fc.assert(fc.property(mutatedPattern, fc.boolean(), (p, asList) => attempt(YAML.stringify(asList ? [BASE, p] : p))), { numRuns: 1500 });
  });

  it('random and mutated YAML text', () => {
    const valid = YAML.stringify(BASE);
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ':', '-', ' ', '\n', '&a', '*a', '!!', '---', 'id', '"', "'", '#', '|', '>'), maxLength: 60 }),
      fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 5 })).map(([a, b, s]) => {
        const i = a % valid.length;
        return valid.slice(0, i) + s + valid.slice(i + (b % 10));
      }),
    );
    fc.assert(fc.property(text, attempt), { numRuns: 1500 });
  });

  it('the base pattern is valid', () => {
    expect(parsePatterns(YAML.stringify(BASE), FILE)).toHaveLength(1);
  });
});
