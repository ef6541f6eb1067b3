// deploy/kibana/tripline.ndjson is generated from the bundled patterns (src/cli/kibana-objects.ts);
// this fails when it is stale, when a reference dangles, or when a query leaves the subset that
// KQL and Lucene read the same way. The queries themselves run against a real Elasticsearch in
// test/integration/kibana/saved-objects.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPatterns } from '../../../src/config/load-patterns.js';
import { buildKibanaObjects, generateKibanaNdjson, KIBANA_NDJSON_PATH } from '../../../src/cli/kibana-objects.js';
import type { SavedObject } from '../../../src/cli/kibana-objects.js';
import { kibanaDiscoverUrl, rison, savedSearchIdForPattern } from '../../../src/sink/kibana-url.js';

/**
 * The shared subset: clause ((AND|OR) clause)*, clause = NOT? (field:"value" | ( expr )).
 * Returns the unparsed rest ('' when the whole query is in the subset).
 */
function parseSubset(q: string): string {
  let s = q.trim();
  const clause = (): boolean => {
    if (s.startsWith('NOT ')) s = s.slice(4).trimStart();
    if (s.startsWith('(')) {
      s = s.slice(1);
      if (!expr()) return false;
      if (!s.startsWith(')')) return false;
      s = s.slice(1).trimStart();
      return true;
    }
    const m = /^[A-Za-z0-9_.@-]+:"[^"\\]*"/.exec(s);
    if (m === null) return false;
    s = s.slice(m[0].length).trimStart();
    return true;
  };
  const expr = (): boolean => {
    if (!clause()) return false;
    for (;;) {
      const op = /^(AND|OR) /.exec(s);
      if (op === null) return true;
      s = s.slice(op[0].length).trimStart();
      if (!clause()) return false;
    }
  };
  return expr() ? s : s || '<incomplete>';
}

const committed = readFileSync(KIBANA_NDJSON_PATH, 'utf8');
const objects = committed.trimEnd().split('\n').map((l) => JSON.parse(l) as SavedObject);

describe('deploy/kibana/tripline.ndjson', () => {
  it('is up to date with the bundled patterns (regenerate: npx tsx src/cli/kibana-objects.ts)', async () => {
    expect(committed).toBe(await generateKibanaNdjson('patterns'));
  });

  it('has both data views, a saved search per pattern plus open alerts, and one dashboard', async () => {
    const patterns = await loadPatterns('patterns');
    const byType = (t: string) => objects.filter((o) => o.type === t);
    expect(byType('index-pattern').map((o) => [o.attributes['title'], o.attributes['timeFieldName']])).toEqual([
      ['tripline-alerts-*', '@timestamp'],
      ['tripline-metrics-*', '@timestamp'],
    ]);
    const searches = byType('search').map((o) => o.id);
    for (const p of patterns) expect(searches).toContain(savedSearchIdForPattern(p.id));
    expect(searches).toContain('tripline-open-alerts');
    expect(searches).toHaveLength(patterns.length + 1);
    expect(byType('dashboard')).toHaveLength(1);
    expect(new Set(objects.map((o) => `${o.type}/${o.id}`)).size).toBe(objects.length);
  });

  it('every reference resolves, and every dashboard panel has its reference', () => {
    const known = new Set(objects.map((o) => `${o.type}/${o.id}`));
    for (const o of objects) for (const r of o.references) expect(known.has(`${r.type}/${r.id}`), `${o.id} -> ${r.type}/${r.id}`).toBe(true);
    const dash = objects.find((o) => o.type === 'dashboard')!;
    const panels = JSON.parse(dash.attributes['panelsJSON'] as string) as { panelIndex: string; panelRefName: string; type: string }[];
    expect(panels.length).toBe(9);
    for (const p of panels) {
      const ref = dash.references.find((r) => r.name === `${p.panelIndex}:${p.panelRefName}`);
      expect(ref?.type, p.panelRefName).toBe(p.type);
    }
    for (const o of objects.filter((x) => x.type === 'search')) {
      const src = JSON.parse((o.attributes['kibanaSavedObjectMeta'] as { searchSourceJSON: string }).searchSourceJSON) as { indexRefName: string };
      expect(o.references.map((r) => r.name)).toContain(src.indexRefName);
    }
  });

  it('every query is in the subset KQL and Lucene share', async () => {
    const { checks } = buildKibanaObjects(await loadPatterns('patterns'));
    expect(checks.length).toBe(objects.filter((o) => o.type === 'search' || o.type === 'lens').length);
    for (const c of checks) expect(parseSubset(c.query), `${c.objectId}: ${c.query}`).toBe('');
    expect(parseSubset('route:/v1/admin*')).not.toBe('');
    expect(parseSubset('a:"x" AND (b:"y" OR NOT c:"z")')).toBe('');
  });
});

describe('kibanaDiscoverUrl', () => {
  const alert = {
    '@timestamp': '2024-05-01T10:10:00.000Z',
    pattern: { id: 'http-5xx-ratio-by-route' },
    group: { route: '/v1/admin/orders/{id}' },
    window: { start: '2024-05-01T10:05:00.000Z', end: '2024-05-01T10:10:00.000Z' },
  };

  it('opens the pattern saved search with a phrase filter per group field and the time range', () => {
    const url = kibanaDiscoverUrl('https://kibana.example.com/s/ops/', alert)!;
    expect(url.startsWith('https://kibana.example.com/s/ops/app/discover#/view/tripline-pattern-http-5xx-ratio-by-route?_g=')).toBe(true);
    expect(url).toContain("_g=(time:(from:'2024-05-01T09:35:00.000Z',to:'2024-05-01T10:40:00.000Z'))");
    expect(decodeURIComponent(url)).toContain('match_phrase:(group.route:/v1/admin/orders/{id})');
    expect(url).not.toMatch(/\s/);
  });

  it('returns undefined without KIBANA_URL', () => {
    expect(kibanaDiscoverUrl(undefined, alert)).toBeUndefined();
    expect(kibanaDiscoverUrl('  ', alert)).toBeUndefined();
  });

  it('encodes rison', () => {
    expect(rison({ a: [1, true, null, "it's", '!x', ''], 'b c': 'ok' })).toBe("(a:!(1,!t,!n,'it!'s','!!x',''),'b c':ok)");
  });
});
