// docs/patterns.md cannot rot: every ```yaml block that is a pattern file (starts with `- id:`)
// goes through the same loader as `tripline check`, every detector has an example, every schema
// key is documented, and the fixture example runs as a fixture test against its pattern.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePatterns } from '../../../src/config/load-patterns.js';
import { DETECT_TYPES, DETECT_VARIANTS, PREDICATE_KEYS, patternSchema } from '../../../src/config/schema.js';
import { SUMMARY_VARIABLES } from '../../../src/config/finalize.js';
import { parsePatternTestFile, runPatternTestCases } from '../../../src/cli/patterns-test.js';
import type { Pattern } from '../../../src/model/pattern.js';

const DOC = 'docs/patterns.md';
const text = readFileSync(DOC, 'utf8');

function yamlBlocks(md: string): { body: string; line: number }[] {
  const out: { body: string; line: number }[] = [];
  const re = /^```yaml\n([\s\S]*?)^```$/gm;
  for (const m of md.matchAll(re)) out.push({ body: m[1]!, line: md.slice(0, m.index).split('\n').length });
  return out;
}

const blocks = yamlBlocks(text);
const patternBlocks = blocks.filter((b) => b.body.startsWith('- id:'));
const fixtureBlocks = blocks.filter((b) => b.body.startsWith('pattern:'));

function loadAll(): Pattern[] {
  return patternBlocks.flatMap((b) => parsePatterns(b.body, `${DOC}:${b.line}`));
}

describe('docs/patterns.md', () => {
  it('has pattern examples and a fixture example', () => {
    expect(patternBlocks.length).toBeGreaterThanOrEqual(DETECT_TYPES.length + 1);
    expect(fixtureBlocks.length).toBe(1);
  });

  it.each(patternBlocks.map((b) => [b.line, b.body] as const))('the pattern block at line %i is valid', (line, body) => {
    expect(() => parsePatterns(body, `${DOC}:${line}`)).not.toThrow();
  });

  it('example ids are unique across the page', () => {
    const ids = loadAll().map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has a section and an example for every detector', () => {
    const used = new Set(loadAll().map((p) => p.detect.type));
    for (const t of DETECT_TYPES) {
      expect(text, `### ${t}`).toMatch(new RegExp(`^### ${t}$`, 'm'));
      expect(used, `an example with detect.type ${t}`).toContain(t);
    }
    expect(loadAll().some((p) => 'levels' in p.detect && p.detect.levels !== undefined)).toBe(true);
  });

  it('mentions every pattern key, detector key, predicate and summary placeholder', () => {
    for (const key of Object.keys(patternSchema.shape)) expect(text, key).toContain(`\`${key}\``);
    for (const v of DETECT_VARIANTS) for (const key of Object.keys(v.shape)) expect(text, `detect.${key}`).toContain(`\`${key}`);
    for (const p of PREDICATE_KEYS) expect(text, p).toContain(`\`${p}`);
    for (const v of SUMMARY_VARIABLES) expect(text, v).toContain(`{{${v}}}`);
  });

  it('the fixture example passes against its pattern', async () => {
    const b = fixtureBlocks[0]!;
    const tf = parsePatternTestFile(b.body, `${DOC}:${b.line}`);
    const pattern = loadAll().find((p) => p.id === tf.pattern);
    expect(pattern, `pattern ${tf.pattern} among the examples`).toBeDefined();
    const results = await runPatternTestCases(tf, pattern!);
    for (const r of results) expect(r.diff, `${r.name}\n${r.diff.join('\n')}`).toEqual([]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(YAML.parse(b.body)).toHaveProperty('cases');
  });
});
