// docs/runbook.md has a `## <pattern id>` section for every bundled pattern (the heading is the
// anchor `docs/runbook.md#<id>`), a `## tripline itself` section for the Prometheus rules, and a
// row for every `runbook:` page the bundled patterns link to.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPatterns } from '../../../src/config/load-patterns.js';

const DOC = 'docs/runbook.md';
const text = readFileSync(DOC, 'utf8');
const headings = new Set([...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim()));

describe('docs/runbook.md', () => {
  it('has a section for every bundled pattern', async () => {
    const patterns = await loadPatterns('patterns');
    expect(patterns.length).toBeGreaterThanOrEqual(21);
    const missing = patterns.map((p) => p.id).filter((id) => !headings.has(id));
    expect(missing, `add a "## <id>" section to ${DOC} for each`).toEqual([]);
  });

  it('maps every runbook: page of the bundled patterns to its sections', async () => {
    const patterns = await loadPatterns('patterns');
    for (const p of patterns) {
      expect(p.runbook, `${p.id} has a runbook`).toBeDefined();
      const page = p.runbook!.replace(/^.*\//, '');
      const row = text.split('\n').find((l) => l.startsWith(`| \`${page}\` |`));
      expect(row, `a mapping row for runbook page ${page}`).toBeDefined();
      expect(row, `${page} row links ${p.id}`).toContain(`(#${p.id})`);
    }
  });

  it('has the tripline-itself section with every Prometheus rule the rules link to', () => {
    expect(headings).toContain('tripline itself');
    const rules = YAML.parse(readFileSync('deploy/prometheus/tripline-rules.yaml', 'utf8')) as {
      groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[];
    };
    const section = text.slice(text.indexOf('## tripline itself'));
    for (const r of rules.groups.flatMap((g) => g.rules)) {
      expect(r.annotations.runbook_url).toBe('docs/runbook.md#tripline-itself');
      expect(section, r.alert).toContain(`\`${r.alert}\``);
    }
  });
});
