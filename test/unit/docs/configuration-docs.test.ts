// docs/configuration.md is generated from the service config schema (src/cli/config-docs.ts).
// This fails when the committed copy is stale, when a schema field has no `.describe()`, or when
// an ENV_VARS entry points at a key the schema does not have.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildConfigDocsModel, CONFIGURATION_DOC_PATH, REGENERATE_COMMAND, renderConfigurationDocs, slug } from '../../../src/cli/config-docs.js';
import { ENV_VARS } from '../../../src/config/env-config.js';

describe('docs/configuration.md', () => {
  it(`is up to date with the schema (regenerate: ${REGENERATE_COMMAND})`, () => {
    const committed = readFileSync(CONFIGURATION_DOC_PATH, 'utf8');
    const fresh = renderConfigurationDocs();
    if (committed !== fresh) {
      expect.fail(`${CONFIGURATION_DOC_PATH} is stale: the service config schema or ENV_VARS changed. Run \`${REGENERATE_COMMAND}\` and commit the result.`);
    }
  });

  it('every schema field has a description and every environment variable a key', () => {
    const model = buildConfigDocsModel();
    expect(model.undocumented, 'add .describe() to these fields').toEqual([]);
    expect(model.unknownEnvVars, 'ENV_VARS paths missing from serviceConfigSchema').toEqual([]);
  });

  it('lists every environment variable in a field row and in the index', () => {
    const doc = renderConfigurationDocs();
    const rows = buildConfigDocsModel().sections.flatMap((s) => s.rows);
    for (const e of ENV_VARS) {
      expect(rows.find((r) => r.path === e.path.join('.'))?.env, e.name).toBe(e.name);
      expect(doc).toContain(`| \`${e.name}\` | \`${e.path.join('.')}\` |`);
    }
  });

  it('has the PagerDuty routing tree, the Elasticsearch sink options and secrets marked', () => {
    const model = buildConfigDocsModel();
    const paths = model.sections.map((s) => s.path);
    expect(paths).toEqual(expect.arrayContaining(['kafka', 'kafka.sasl', 'elasticsearch', 'elasticsearch.sink', 'pagerduty', 'pagerduty.route', 'pagerduty.route.matchers[]', 'pagerduty.routing_keys.<name>']));
    const rows = model.sections.flatMap((s) => s.rows);
    const row = (p: string) => rows.find((r) => r.path === p)!;
    expect(row('kafka.sasl.password').secret).toMatch(/yes/);
    expect(row('elasticsearch.api_key').secret).toMatch(/yes/);
    expect(row('elasticsearch.api_key_file').secret).toMatch(/file/);
    expect(row('pagerduty.routing_keys.<name>.routing_key_env').secret).toMatch(/env var/);
    expect(row('kafka.group_id').default).toBe('`"tripline"`');
    expect(row('kafka.brokers').default).toBe('required');
    expect(row('kibana_url').default).toBe('—');
    expect(row('log_level').type).toContain('`debug`');
    // The recursive route tree links back to its own section instead of recursing.
    expect(row('pagerduty.route.routes').type).toContain('(#pagerdutyroute)');
  });

  it('every in-document link points at a heading of the document', () => {
    const doc = renderConfigurationDocs();
    const anchors = new Set([...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) => slug(m[1]!)));
    for (const m of doc.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, `#${m[1]}`).toContain(m[1]);
  });

  it('walks nested objects, arrays, records, unions, preprocess and recursion in any schema', () => {
    interface Node {
      name: string;
      children?: Node[] | undefined;
    }
    const node: z.ZodType<Node> = z.lazy(() => z.strictObject({ name: z.string().describe('Name.'), children: z.array(node).optional().describe('Kids.') }));
    const schema = z
      .strictObject({
        a: z.preprocess((v) => v ?? {}, z.strictObject({ x: z.int().min(1).max(5).default(2).describe('X.') })).describe('A.'),
        b: z.union([z.literal(8), z.literal(9)]).optional().describe('B.'),
        c: z.record(z.string(), z.strictObject({ y: z.boolean().describe('Y.') })).default({}).describe('C.'),
        tree: node.optional().describe('Tree.'),
      })
      .describe('Test.');
    const model = buildConfigDocsModel(schema, []);
    expect(model.sections.map((s) => s.path)).toEqual(['', 'a', 'c.<name>', 'tree']);
    const rows = model.sections.flatMap((s) => s.rows);
    expect(rows.find((r) => r.path === 'a')!.default).toBe('see fields');
    expect(rows.find((r) => r.path === 'a.x')!).toMatchObject({ type: 'integer 1–5', default: '`2`' });
    expect(rows.find((r) => r.path === 'b')!.type).toBe('`8` | `9`');
    expect(rows.find((r) => r.path === 'tree.children')!.type).toContain('(#tree)');
    expect(model.undocumented).toEqual([]);
  });
});
