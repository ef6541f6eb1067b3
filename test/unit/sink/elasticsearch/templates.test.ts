import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTS_MAPPINGS, TEMPLATE_SPECS, deployFiles, templateBody } from '../../../../src/sink/elasticsearch/templates.js';
import { DEPLOY_DIR, renderDeployFile } from '../../../../src/sink/elasticsearch/write-deploy-files.js';

describe('index templates', () => {
  it('deploy/elasticsearch/*.json match templates.ts (regenerate: npx tsx src/sink/elasticsearch/write-deploy-files.ts)', () => {
    const files = deployFiles();
    expect(readdirSync(DEPLOY_DIR).sort()).toEqual(Object.keys(files).sort());
    for (const [name, body] of Object.entries(files)) {
      expect(readFileSync(join(DEPLOY_DIR, name), 'utf8'), name).toBe(renderDeployFile(body));
    }
  });

  it('maps ids, state, severity as keyword, samples disabled, numbers as double, group/labels via dynamic templates', () => {
    const p = ALERTS_MAPPINGS.properties;
    expect(p['@timestamp']).toEqual({ type: 'date' });
    expect(p.alert.properties.id.type).toBe('keyword');
    expect(p.alert.properties.state.type).toBe('keyword');
    expect(p.alert.properties.severity.type).toBe('keyword');
    expect(p.pattern.properties.id.type).toBe('keyword');
    expect(p.samples).toEqual({ type: 'object', enabled: false });
    expect(p.value.type).toBe('double');
    expect(p.threshold.type).toBe('double');
    const dyn = JSON.stringify(ALERTS_MAPPINGS.dynamic_templates);
    expect(dyn).toContain('"path_match":"group.*"');
    expect(dyn).toContain('"path_match":"labels.*"');
  });

  it('uses only settings the integ-test zip knows in index mode', () => {
    for (const spec of TEMPLATE_SPECS) {
      const body = JSON.stringify(templateBody(spec, { mode: 'index', ilm: false }));
      expect(body).not.toContain('lifecycle');
      expect(body).not.toContain('data_stream');
      expect(body).not.toContain('match_only_text'); // mapper-extras is absent there
    }
  });
});
