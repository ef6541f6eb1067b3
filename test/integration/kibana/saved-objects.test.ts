// Every saved search and every Lens panel of deploy/kibana/tripline.ndjson, run against the real
// Elasticsearch: realistic alert transitions (the bundled pattern tests replayed through the real
// engine) and metric records (engine evaluations of synthetic HTTP and webhook traffic) are
// indexed with the installed tripline templates into unique indices; each query runs as
// `query_string` (Lucene) plus the object's filters and must return exactly the expected docs.
// Kibana cannot run here; the KQL side is checked by the subset test in test/unit/deploy/kibana.test.ts.
import { readFileSync } from 'node:fs';
import type { Client, estypes } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKibanaObjects, ADMIN_ROUTE_PREFIX, DASHBOARD_PATTERNS, PROBE_ROUTES, KIBANA_NDJSON_PATH } from '../../../src/cli/kibana-objects.js';
import type { QueryCheck, SavedObject } from '../../../src/cli/kibana-objects.js';
import { parsePatternTestFile } from '../../../src/cli/patterns-test.js';
import { replayLines } from '../../../src/cli/replay.js';
import { loadPatterns } from '../../../src/config/load-patterns.js';
import type { Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { createDetection } from '../../../src/pipeline.js';
import { alertCodec, datedIndex, metricCodec } from '../../../src/sink/elasticsearch/documents.js';
import type { MetricRecord } from '../../../src/sink/elasticsearch/documents.js';
import { TEMPLATE_SPECS, templateBody } from '../../../src/sink/elasticsearch/templates.js';
import { OPEN_ALERTS_SEARCH_ID, savedSearchIdForPattern } from '../../../src/sink/kibana-url.js';
import { Cleanup, esClient, uniqueName } from '../helpers/stack.js';

const patterns = await loadPatterns('patterns');
const { checks } = buildKibanaObjects(patterns);

/** Real transitions: every case of patterns/tests replayed with its pattern. */
async function realAlerts(): Promise<AlertTransition[]> {
  const out: AlertTransition[] = [];
  for (const p of patterns) {
    const tf = parsePatternTestFile(readFileSync(`patterns/tests/${p.id}.yaml`, 'utf8'), `${p.id}.yaml`);
    for (const c of tf.cases) out.push(...(await replayLines(c.lines, [p], { advanceEvery: 1 })).transitions);
  }
  return out;
}

/** Metric records from engine evaluations (what the service writes to tripline-metrics-*). */
function realMetrics(): MetricRecord[] {
  const wanted = new Set<string>(Object.values(DASHBOARD_PATTERNS));
  const metrics: MetricRecord[] = [];
  const det = createDetection(
    patterns.filter((p) => wanted.has(p.id)),
    {
      engine: {
        onEvaluate: (p: Pattern, groupKey: string, T: number, e) => {
          if (e.count === 0 || T % 60_000 !== 0) return; // one record a minute per group with data
          const values = JSON.parse(groupKey) as string[];
          const group = Object.fromEntries(p.group_by.map((f, i) => [f, values[i]!]));
          metrics.push({
            '@timestamp': new Date(T).toISOString(),
            pattern: { id: p.id },
            group,
            group_key: groupKey,
            window: { start: new Date(e.windowStart).toISOString(), end: new Date(e.windowEnd).toISOString() },
            value: e.value,
            threshold: e.threshold,
            count: e.count,
          });
        },
      },
    },
  );
  const t0 = Date.parse('2024-05-01T10:00:00Z');
  const routes = ['/v1/admin/orders/{id}', '/v1/admin/users', '/v1/orders', '/v1/bookings/{id}', '/healthz', '/readyz'];
  for (let s = 0; s < 20 * 60; s += 2) {
    const time = new Date(t0 + s * 1000).toISOString();
    for (const [i, route] of routes.entries()) {
      const status = (s + i * 7) % 40 === 0 ? 503 : 200;
      const duration = route === '/readyz' ? 20 + (s % 50) * 12 : 3 + (s % 7);
      det.push(JSON.stringify({ event: 'http_request', timestamp: time, route, status, duration_ms: duration }));
    }
    if (s % 30 === 0) {
      det.push(JSON.stringify({ event: 'export_webhook_failed', timestamp: time, destination_host: s % 60 === 0 ? 'hooks.acme.test' : 'crm.example.org', org_id: `org_${s % 5}` }));
    }
    det.advance();
  }
  det.flush();
  return metrics;
}

type Doc = { id: string; src: Record<string, unknown> };

function get(src: Record<string, unknown>, path: string): unknown {
  let cur: unknown = src;
  for (const k of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** The oracle: what each object must show, written independently of the generator's queries. */
function expectedFor(c: QueryCheck, alerts: Doc[], metrics: Doc[]): Doc[] {
  const state = (d: Doc) => get(d.src, 'alert.state');
  const pid = (d: Doc) => get(d.src, 'pattern.id');
  const route = (d: Doc) => String(get(d.src, 'group.route'));
  if (c.objectId === OPEN_ALERTS_SEARCH_ID) return alerts.filter((d) => state(d) === 'pending' || state(d) === 'firing');
  const p = patterns.find((x) => savedSearchIdForPattern(x.id) === c.objectId);
  if (p !== undefined) return alerts.filter((d) => pid(d) === p.id && state(d) === 'firing');
  switch (c.objectId) {
    case 'tripline-lens-alerts-by-pattern':
    case 'tripline-lens-alerts-by-severity':
    case 'tripline-lens-top-groups':
      return alerts.filter((d) => state(d) === 'firing');
    case 'tripline-lens-5xx-admin':
      return metrics.filter((d) => pid(d) === DASHBOARD_PATTERNS.ratio5xx && route(d).startsWith(ADMIN_ROUTE_PREFIX));
    case 'tripline-lens-5xx-public':
      return metrics.filter((d) => pid(d) === DASHBOARD_PATTERNS.ratio5xx && !route(d).startsWith(ADMIN_ROUTE_PREFIX));
    case 'tripline-lens-probe-p95':
      return metrics.filter((d) => pid(d) === DASHBOARD_PATTERNS.p95 && (PROBE_ROUTES as readonly string[]).includes(route(d)));
    case 'tripline-lens-probe-p99':
      return metrics.filter((d) => pid(d) === DASHBOARD_PATTERNS.p99 && (PROBE_ROUTES as readonly string[]).includes(route(d)));
    case 'tripline-lens-webhook-failures':
      return metrics.filter((d) => pid(d) === DASHBOARD_PATTERNS.webhookFailuresByHost);
  }
  throw new Error(`no oracle for ${c.objectId}`);
}

describe('Kibana saved objects against the real Elasticsearch', () => {
  const cleanup = new Cleanup();
  let es: Client;
  const prefix = uniqueName('kibana');
  const alertsPrefix = `${prefix}-alerts`;
  const metricsPrefix = `${prefix}-metrics`;
  let alerts: Doc[] = [];
  let metrics: Doc[] = [];

  beforeAll(async () => {
    es = esClient();
    cleanup.add('close client', () => es.close());
    for (const [spec, p] of [[TEMPLATE_SPECS[0]!, alertsPrefix], [TEMPLATE_SPECS[1]!, metricsPrefix]] as const) {
      await es.indices.putIndexTemplate({ name: p, ...(templateBody(spec, { mode: 'index', ilm: false, prefix: p }) as Omit<estypes.IndicesPutIndexTemplateRequest, 'name'>) });
      cleanup.add(`delete template ${p}`, () => es.indices.deleteIndexTemplate({ name: p }, { ignore: [404] }));
      cleanup.add(`delete indices ${p}-*`, async () => {
        const names = Object.keys(await es.indices.get({ index: `${p}-*`, allow_no_indices: true, ignore_unavailable: true }));
        if (names.length > 0) await es.indices.delete({ index: names });
      });
    }
    const transitions = await realAlerts();
    const records = realMetrics();
    alerts = transitions.map((t) => ({ id: alertCodec.id(t), src: alertCodec.source(t) }));
    metrics = records.map((m) => ({ id: metricCodec.id(m), src: metricCodec.source(m) }));
    const ops: unknown[] = [];
    for (const t of transitions) ops.push({ create: { _index: datedIndex(alertsPrefix, t['@timestamp']), _id: alertCodec.id(t) } }, alertCodec.source(t));
    for (const m of records) ops.push({ create: { _index: datedIndex(metricsPrefix, m['@timestamp']), _id: metricCodec.id(m) } }, metricCodec.source(m));
    const res = await es.bulk({ operations: ops, refresh: true });
    const failed = res.items.filter((i) => i.create?.error !== undefined && i.create.status !== 409);
    expect(failed.map((i) => i.create?.error)).toEqual([]);
  });

  afterAll(async () => {
    await cleanup.run();
  });

  it('indexed realistic documents for every pattern and every dashboard panel', () => {
    const pids = new Set(alerts.map((d) => get(d.src, 'pattern.id')));
    for (const p of patterns) expect(pids.has(p.id), p.id).toBe(true);
    expect(new Set(alerts.map((d) => get(d.src, 'alert.state')))).toEqual(new Set(['pending', 'firing', 'resolved']));
    expect(metrics.length).toBeGreaterThan(100);
  });

  function esQuery(c: QueryCheck): estypes.QueryDslQueryContainer {
    return {
      bool: {
        must: [{ query_string: { query: c.query } }],
        filter: c.filters.filter((f) => !f.meta.negate).map((f) => f.query as estypes.QueryDslQueryContainer),
        must_not: c.filters.filter((f) => f.meta.negate).map((f) => f.query as estypes.QueryDslQueryContainer),
      },
    };
  }

  for (const c of checks) {
    it(`${c.objectId}: ${c.query}${c.filters.map((f) => ` [${f.meta.alias}]`).join('')}`, async () => {
      const index = `${c.dataView === 'tripline-alerts' ? alertsPrefix : metricsPrefix}-*`;
      const res = await es.search({ index, query: esQuery(c), size: 10_000, _source: false });
      const got = res.hits.hits.map((h) => h._id!).sort();
      const want = expectedFor(c, alerts, metrics).map((d) => d.id).sort();
      expect(want.length, 'the oracle expects at least one document').toBeGreaterThan(0);
      expect(got).toEqual(want);
    });
  }

  it('the split fields of the panels are aggregatable and bucket like the oracle', async () => {
    const splits: Array<[string, string, string]> = [
      ['tripline-lens-alerts-by-pattern', 'pattern.id', 'pattern.id'],
      ['tripline-lens-alerts-by-severity', 'alert.severity', 'alert.severity'],
      ['tripline-lens-top-groups', 'alert.key', 'alert.key'],
      ['tripline-lens-5xx-public', 'group.route', 'group.route'],
      ['tripline-lens-probe-p95', 'group.route', 'group.route'],
      ['tripline-lens-webhook-failures', 'group.destination_host', 'group.destination_host'],
    ];
    for (const [id, field, path] of splits) {
      const c = checks.find((x) => x.objectId === id)!;
      const index = `${c.dataView === 'tripline-alerts' ? alertsPrefix : metricsPrefix}-*`;
      const res = await es.search({ index, query: esQuery(c), size: 0, aggs: { split: { terms: { field, size: 1000 } }, per: { date_histogram: { field: '@timestamp', fixed_interval: '1m' } } } });
      const buckets = (res.aggregations!['split'] as estypes.AggregationsStringTermsAggregate).buckets as estypes.AggregationsStringTermsBucket[];
      const got = Object.fromEntries(buckets.map((b) => [String(b.key), b.doc_count]));
      const want: Record<string, number> = {};
      for (const d of expectedFor(c, alerts, metrics)) want[String(get(d.src, path))] = (want[String(get(d.src, path))] ?? 0) + 1;
      expect(got, id).toEqual(want);
    }
  });

  it('the committed ndjson holds exactly these queries', () => {
    const objects = readFileSync(KIBANA_NDJSON_PATH, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as SavedObject);
    for (const c of checks) {
      const o = objects.find((x) => x.id === c.objectId)!;
      const stored =
        o.type === 'search'
          ? (JSON.parse((o.attributes['kibanaSavedObjectMeta'] as { searchSourceJSON: string }).searchSourceJSON) as { query: { query: string }; filter: unknown[] })
          : { query: (o.attributes['state'] as { query: { query: string } }).query, filter: (o.attributes['state'] as { filters: unknown[] }).filters };
      expect(stored.query.query).toBe(c.query);
      expect(stored.filter).toEqual(c.filters);
    }
  });
});
