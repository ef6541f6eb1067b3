/**
 * Fixture tests for every bundled pattern: test/fixtures/pattern-tests/<pattern-id>.yaml holds
 * `{pattern, cases: [{name, lines, expect: [{at?, state, group?}]}]}`. Each case replays its
 * lines (YAML objects are serialised to JSON lines) through createDetection with only that
 * pattern (push, advance every line, flush) and compares the transitions in order: `state`
 * always, `at` (ISO time) and `group` when given. `expect: []` asserts silence.
 * This format is the future `tripline patterns test`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadPatterns } from '../../../src/config/index.js';
import { createDetection } from '../../../src/pipeline.js';
import type { AlertTransition } from '../../../src/model/transition.js';

interface Case {
  name: string;
  lines: (string | Record<string, unknown>)[];
  expect: { at?: string; state: string; group?: Record<string, string> }[];
}

const DIR = 'test/fixtures/pattern-tests';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const fixtures = files.map((f) => YAML.parse(readFileSync(join(DIR, f), 'utf8')) as { pattern: string; cases: Case[] });
const patterns = await loadPatterns('patterns');

function replay(id: string, c: Case): AlertTransition[] {
  const p = patterns.find((x) => x.id === id);
  if (p === undefined) throw new Error(`no bundled pattern ${id}`);
  const det = createDetection([p]);
  const out: AlertTransition[] = [];
  for (const l of c.lines) {
    const err = det.push(typeof l === 'string' ? l : JSON.stringify(l));
    expect(err).toBeUndefined();
    out.push(...det.advance());
  }
  out.push(...det.flush());
  return out;
}

describe('bundled patterns', () => {
  it('every bundled pattern has a fixture file with a firing case and a silent case', () => {
    const covered = new Set(fixtures.map((f) => f.pattern));
    expect(patterns.map((p) => p.id).filter((id) => !covered.has(id))).toEqual([]);
    for (const f of fixtures) {
      expect(f.cases.some((c) => c.expect.length > 0), `${f.pattern}: firing case`).toBe(true);
      expect(f.cases.some((c) => c.expect.length === 0), `${f.pattern}: silent case`).toBe(true);
    }
  });

  for (const f of fixtures) {
    describe(f.pattern, () => {
      for (const c of f.cases) {
        it(c.name, () => {
          const got = replay(f.pattern, c);
          const view = got.map((t, i) => {
            const want = c.expect[i];
            const v: Record<string, unknown> = { state: t.alert.state };
            if (want?.at !== undefined) v['at'] = t['@timestamp'];
            if (want?.group !== undefined) v['group'] = t.group;
            return v;
          });
          expect(view, JSON.stringify(got.map((t) => [t['@timestamp'], t.alert.state, t.value, t.score, t.baseline]))).toEqual(c.expect);
        });
      }
    });
  }
});
