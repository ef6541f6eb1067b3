/**
 * Fixture tests for every bundled pattern, run by the same code as `tripline patterns test
 * patterns` (src/cli/patterns-test.ts). patterns/tests/<pattern-id>.yaml holds
 * `{pattern, cases: [{name, lines, expect: [{at?, state, group?, severity?}]}]}`; each case
 * replays its lines with only that pattern (push, advance every line, flush) and compares the
 * transitions in order. `expect: []` asserts silence.
 */
import { describe, expect, it } from 'vitest';
import { loadPatterns } from '../../../src/config/index.js';
import { runPatternTests } from '../../../src/cli/patterns-test.js';

const patterns = await loadPatterns('patterns');
const run = await runPatternTests('patterns');

describe('bundled patterns', () => {
  it('test files parse and name bundled patterns', () => {
    expect(run.errors).toEqual([]);
  });

  it('every bundled pattern has a test file with a firing case and a silent case', () => {
    expect(run.untested).toEqual([]);
    for (const p of patterns) {
      const cases = run.results.filter((r) => r.pattern === p.id);
      expect(cases.some((c) => c.expected.length > 0), `${p.id}: firing case`).toBe(true);
      expect(cases.some((c) => c.expected.length === 0), `${p.id}: silent case`).toBe(true);
    }
  });

  for (const id of patterns.map((p) => p.id)) {
    describe(id, () => {
      for (const r of run.results.filter((x) => x.pattern === id)) {
        it(r.name, () => {
          expect(r.ok, `${r.file}: expected (-) vs actual (+)\n${r.diff.join('\n')}`).toBe(true);
        });
      }
    });
  }
});
