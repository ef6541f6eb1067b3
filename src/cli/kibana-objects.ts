/**
 * Kibana saved objects for tripline (deploy/kibana/tripline.ndjson), generated from the loaded
 * patterns so they stay in sync; a unit test fails when the committed file is stale.
 * Regenerate: `npx tsx src/cli/kibana-objects.ts [patterns-dir] [out-file]`.
 *
 * Format: Kibana 8.x saved-objects export (importable with POST /api/saved_objects/_import):
 * two data views (`index-pattern`), one `search` per pattern plus one for open alerts, Lens
 * visualizations (`lens`) and one `dashboard` whose panels reference them.
 *
 * Every query is written in the subset that KQL and Lucene share (`field:"value"`, AND, OR, NOT,
 * parentheses), so it means the same whatever query language a user switches to; prefix
 * conditions are Query DSL filters. The integration test runs each query with `query_string`
 * plus the filters against a real Elasticsearch.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadPatterns } from '../config/load-patterns.js';
import type { Pattern } from '../model/pattern.js';
import { OPEN_ALERTS_SEARCH_ID, savedSearchIdForPattern } from '../sink/kibana-url.js';

export const ALERTS_DATA_VIEW_ID = 'tripline-alerts';
export const METRICS_DATA_VIEW_ID = 'tripline-metrics';
export const DASHBOARD_ID = 'tripline-overview';

/** The ids of the bundled patterns the dashboard charts; the generator fails if one is missing. */
export const DASHBOARD_PATTERNS = {
  ratio5xx: 'http-5xx-ratio-by-route',
  p95: 'probe-latency-p95',
  p99: 'probe-latency-p99',
  webhookFailuresByHost: 'export-webhook-failed-by-host',
} as const;

export const ADMIN_ROUTE_PREFIX = '/v1/admin';
export const PROBE_ROUTES = ['/healthz', '/readyz'] as const;

export interface SavedObject {
  id: string;
  type: 'index-pattern' | 'search' | 'lens' | 'dashboard';
  attributes: Record<string, unknown>;
  references: { id: string; name: string; type: string }[];
  coreMigrationVersion: string;
  typeMigrationVersion: string;
  managed: boolean;
}

/** A Kibana filter as stored in searchSourceJSON / Lens state: meta plus a Query DSL query. */
export interface KibanaFilter {
  meta: { alias: string; disabled: false; negate: boolean; type: 'custom'; key: 'query'; value: string };
  query: Record<string, unknown>;
  $state: { store: 'appState' };
}

export interface QuerySpec {
  query: string;
  filters: KibanaFilter[];
}

/** What the integration test needs to check a saved query: object, data view and the query itself. */
export interface QueryCheck extends QuerySpec {
  objectId: string;
  title: string;
  dataView: typeof ALERTS_DATA_VIEW_ID | typeof METRICS_DATA_VIEW_ID;
}

const CORE_MIGRATION = '8.8.0';
const TYPE_MIGRATION: Record<SavedObject['type'], string> = {
  'index-pattern': '8.0.0',
  search: '8.0.0',
  lens: '8.9.0',
  dashboard: '8.9.0',
};

/** `field:"value"`: the same phrase query in KQL and Lucene (values with `"` or `\` are refused). */
export function phrase(field: string, value: string): string {
  if (!/^[A-Za-z0-9_.@-]+$/.test(field)) throw new Error(`field name not safe in KQL and Lucene: ${field}`);
  if (/["\\]/.test(value)) throw new Error(`value not safe in KQL and Lucene: ${value}`);
  return `${field}:"${value}"`;
}

export function anyOf(field: string, values: readonly string[]): string {
  return values.length === 1 ? phrase(field, values[0]!) : `(${values.map((v) => phrase(field, v)).join(' OR ')})`;
}

export function prefixFilter(field: string, prefix: string, negate: boolean): KibanaFilter {
  return {
    meta: { alias: `${field} ${negate ? 'does not start' : 'starts'} with ${prefix}`, disabled: false, negate, type: 'custom', key: 'query', value: JSON.stringify({ prefix: { [field]: prefix } }) },
    query: { prefix: { [field]: prefix } },
    $state: { store: 'appState' },
  };
}

const FIRING = phrase('alert.state', 'firing');
export const OPEN_ALERTS_QUERY = anyOf('alert.state', ['pending', 'firing']);

function object(type: SavedObject['type'], id: string, attributes: Record<string, unknown>, references: SavedObject['references'] = []): SavedObject {
  return { id, type, attributes, references, coreMigrationVersion: CORE_MIGRATION, typeMigrationVersion: TYPE_MIGRATION[type], managed: false };
}

function dataView(id: string, title: string, name: string): SavedObject {
  return object('index-pattern', id, { title, name, timeFieldName: '@timestamp', fields: '[]', fieldFormatMap: '{}', runtimeFieldMap: '{}', sourceFilters: '[]', typeMeta: '{}', allowNoIndex: true });
}

function savedSearch(id: string, title: string, description: string, spec: QuerySpec, columns: string[]): SavedObject {
  const searchSource = {
    query: { query: spec.query, language: 'kuery' },
    filter: spec.filters,
    indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
  };
  return object(
    'search',
    id,
    { title, description, columns, sort: [['@timestamp', 'desc']], grid: {}, hideChart: false, isTextBasedQuery: false, kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify(searchSource) } },
    [{ id: ALERTS_DATA_VIEW_ID, name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern' }],
  );
}

/** Columns of a pattern's saved search: what an on-call person reads first. */
export function searchColumns(p: Pattern): string[] {
  const detectorCols = p.detect.type === 'spike' ? ['value', 'baseline', 'score'] : ['value', 'threshold'];
  return ['alert.severity', 'alert.state', ...p.group_by.map((f) => `group.${f}`), ...detectorCols, 'summary', 'alert.id'];
}

// ---------------------------------------------------------------- Lens

type Column = Record<string, unknown>;

const dateHistogram: Column = {
  label: '@timestamp',
  dataType: 'date',
  operationType: 'date_histogram',
  sourceField: '@timestamp',
  isBucketed: true,
  scale: 'interval',
  params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
};
const countColumn: Column = { label: 'Alerts', customLabel: true, dataType: 'number', operationType: 'count', sourceField: '___records___', isBucketed: false, scale: 'ratio', params: { emptyAsNull: true } };
const maxOf = (field: string, label: string): Column => ({ label, customLabel: true, dataType: 'number', operationType: 'max', sourceField: field, isBucketed: false, scale: 'ratio', params: { emptyAsNull: true } });
const termsOf = (field: string, size: number, orderColumn: string): Column => ({
  label: `Top ${size} values of ${field}`,
  dataType: 'string',
  operationType: 'terms',
  sourceField: field,
  isBucketed: true,
  scale: 'ordinal',
  params: { size, orderBy: { type: 'column', columnId: orderColumn }, orderDirection: 'desc', otherBucket: true, missingBucket: false, parentFormat: { id: 'terms' } },
});
const lastValueOf = (field: string): Column => ({
  label: field,
  customLabel: true,
  dataType: 'string',
  operationType: 'last_value',
  sourceField: field,
  isBucketed: false,
  scale: 'ordinal',
  params: { sortField: '@timestamp', showArrayValues: true },
});

const LAYER = 'layer1';

function lens(id: string, title: string, description: string, dataViewId: string, visualizationType: 'lnsXY' | 'lnsDatatable', columns: Record<string, Column>, columnOrder: string[], visualization: Record<string, unknown>, spec: QuerySpec): SavedObject {
  return object(
    'lens',
    id,
    {
      title,
      description,
      visualizationType,
      state: {
        datasourceStates: { formBased: { layers: { [LAYER]: { columns, columnOrder, incompleteColumns: {} } } } },
        visualization,
        query: { query: spec.query, language: 'kuery' },
        filters: spec.filters,
        internalReferences: [],
        adHocDataViews: {},
      },
    },
    [{ id: dataViewId, name: `indexpattern-datasource-layer-${LAYER}`, type: 'index-pattern' }],
  );
}

function xyLens(id: string, title: string, description: string, dataViewId: string, spec: QuerySpec, y: Column, splitField: string, seriesType: 'bar_stacked' | 'line'): SavedObject {
  const columns = { x: dateHistogram, y, split: termsOf(splitField, 10, 'y') };
  const visualization = {
    legend: { isVisible: true, position: 'right' },
    valueLabels: 'hide',
    fittingFunction: 'None',
    preferredSeriesType: seriesType,
    layers: [{ layerId: LAYER, layerType: 'data', seriesType, xAccessor: 'x', accessors: ['y'], splitAccessor: 'split' }],
  };
  return lens(id, title, description, dataViewId, 'lnsXY', columns, ['split', 'x', 'y'], visualization, spec);
}

export interface GeneratedObjects {
  objects: SavedObject[];
  /** Every saved search and Lens query, for the integration test. */
  checks: QueryCheck[];
}

/** Builds every saved object from the loaded patterns (deterministic: same patterns, same output). */
export function buildKibanaObjects(patterns: readonly Pattern[]): GeneratedObjects {
  const ids = new Set(patterns.map((p) => p.id));
  for (const id of Object.values(DASHBOARD_PATTERNS)) {
    if (!ids.has(id)) throw new Error(`dashboard pattern "${id}" is not among the loaded patterns; update DASHBOARD_PATTERNS in src/cli/kibana-objects.ts`);
  }
  const objects: SavedObject[] = [
    dataView(ALERTS_DATA_VIEW_ID, 'tripline-alerts-*', 'tripline alerts'),
    dataView(METRICS_DATA_VIEW_ID, 'tripline-metrics-*', 'tripline metrics'),
  ];
  const checks: QueryCheck[] = [];
  const add = (o: SavedObject, dataViewId: QueryCheck['dataView'], spec: QuerySpec): void => {
    objects.push(o);
    checks.push({ objectId: o.id, title: String(o.attributes['title']), dataView: dataViewId, ...spec });
  };

  // Saved searches: open alerts, then one per pattern (firing records).
  const open: QuerySpec = { query: OPEN_ALERTS_QUERY, filters: [] };
  add(savedSearch(OPEN_ALERTS_SEARCH_ID, 'tripline: open alerts (pending and firing records)', 'Every pending or firing alert record, newest first. An incident is still open when its latest record is not resolved.', open, ['pattern.id', 'alert.severity', 'alert.state', 'summary', 'value', 'threshold', 'alert.id']), ALERTS_DATA_VIEW_ID, open);
  for (const p of patterns) {
    const spec: QuerySpec = { query: `${phrase('pattern.id', p.id)} AND ${FIRING}`, filters: [] };
    const desc = `Firing alerts of pattern ${p.id} (${p.detect.type}): ${p.description}${p.runbook === undefined ? '' : ` Runbook: ${p.runbook}`}`;
    add(savedSearch(savedSearchIdForPattern(p.id), `tripline: ${p.id} firing`, desc, spec, searchColumns(p)), ALERTS_DATA_VIEW_ID, spec);
  }

  // Lens panels.
  const firing: QuerySpec = { query: FIRING, filters: [] };
  const byPattern = xyLens('tripline-lens-alerts-by-pattern', 'Firing alerts over time by pattern', 'Firing alert records per interval, split by pattern id.', ALERTS_DATA_VIEW_ID, firing, countColumn, 'pattern.id', 'bar_stacked');
  const bySeverity = xyLens('tripline-lens-alerts-by-severity', 'Firing alerts over time by severity', 'Firing alert records per interval, split by severity.', ALERTS_DATA_VIEW_ID, firing, countColumn, 'alert.severity', 'bar_stacked');

  const groupFields = [...new Set(patterns.flatMap((p) => p.group_by))].sort();
  const topColumns: Record<string, Column> = { pattern: termsOf('pattern.id', 10, 'count'), key: { ...termsOf('alert.key', 20, 'count'), label: 'Group (alert key)', customLabel: true }, count: countColumn };
  const topOrder = ['pattern', 'key', 'count'];
  groupFields.forEach((f, i) => {
    topColumns[`g${i}`] = lastValueOf(`group.${f}`);
    topOrder.push(`g${i}`);
  });
  const topGroups = lens('tripline-lens-top-groups', 'Top groups (firing alerts)', 'Groups with the most firing alert records, per pattern, with their group values.', ALERTS_DATA_VIEW_ID, 'lnsDatatable', topColumns, topOrder, { layerId: LAYER, layerType: 'data', columns: topOrder.map((columnId) => ({ columnId })) }, firing);

  const ratioQuery = phrase('pattern.id', DASHBOARD_PATTERNS.ratio5xx);
  const adminSpec: QuerySpec = { query: ratioQuery, filters: [prefixFilter('group.route', ADMIN_ROUTE_PREFIX, false)] };
  const publicSpec: QuerySpec = { query: ratioQuery, filters: [prefixFilter('group.route', ADMIN_ROUTE_PREFIX, true)] };
  const ratioAdmin = xyLens('tripline-lens-5xx-admin', `5xx ratio by route: ${ADMIN_ROUTE_PREFIX}`, `Windowed 5xx share per route under ${ADMIN_ROUTE_PREFIX} (pattern ${DASHBOARD_PATTERNS.ratio5xx}).`, METRICS_DATA_VIEW_ID, adminSpec, maxOf('value', '5xx ratio'), 'group.route', 'line');
  const ratioPublic = xyLens('tripline-lens-5xx-public', '5xx ratio by route: public endpoints', `Windowed 5xx share per route outside ${ADMIN_ROUTE_PREFIX} (pattern ${DASHBOARD_PATTERNS.ratio5xx}).`, METRICS_DATA_VIEW_ID, publicSpec, maxOf('value', '5xx ratio'), 'group.route', 'line');

  const probes = anyOf('group.route', PROBE_ROUTES);
  const p95Spec: QuerySpec = { query: `${phrase('pattern.id', DASHBOARD_PATTERNS.p95)} AND ${probes}`, filters: [] };
  const p99Spec: QuerySpec = { query: `${phrase('pattern.id', DASHBOARD_PATTERNS.p99)} AND ${probes}`, filters: [] };
  const p95 = xyLens('tripline-lens-probe-p95', 'p95 latency (ms): /healthz and /readyz', `5-minute p95 of duration_ms per probe route (pattern ${DASHBOARD_PATTERNS.p95}).`, METRICS_DATA_VIEW_ID, p95Spec, maxOf('value', 'p95 ms'), 'group.route', 'line');
  const p99 = xyLens('tripline-lens-probe-p99', 'p99 latency (ms): /healthz and /readyz', `15-minute p99 of duration_ms per probe route (pattern ${DASHBOARD_PATTERNS.p99}).`, METRICS_DATA_VIEW_ID, p99Spec, maxOf('value', 'p99 ms'), 'group.route', 'line');

  const webhookSpec: QuerySpec = { query: phrase('pattern.id', DASHBOARD_PATTERNS.webhookFailuresByHost), filters: [] };
  const webhooks = xyLens('tripline-lens-webhook-failures', 'Export webhook failures by destination host', `Failures per 10-minute window per destination host (pattern ${DASHBOARD_PATTERNS.webhookFailuresByHost}).`, METRICS_DATA_VIEW_ID, webhookSpec, maxOf('value', 'failures (10 min)'), 'group.destination_host', 'line');

  add(byPattern, ALERTS_DATA_VIEW_ID, firing);
  add(bySeverity, ALERTS_DATA_VIEW_ID, firing);
  add(topGroups, ALERTS_DATA_VIEW_ID, firing);
  add(ratioAdmin, METRICS_DATA_VIEW_ID, adminSpec);
  add(ratioPublic, METRICS_DATA_VIEW_ID, publicSpec);
  add(p95, METRICS_DATA_VIEW_ID, p95Spec);
  add(p99, METRICS_DATA_VIEW_ID, p99Spec);
  add(webhooks, METRICS_DATA_VIEW_ID, webhookSpec);

  // Dashboard: 48-column grid.
  const layout: Array<[SavedObject, number, number, number, number]> = [
    [byPattern, 0, 0, 24, 12],
    [bySeverity, 24, 0, 24, 12],
    [topGroups, 0, 12, 48, 14],
    [ratioAdmin, 0, 26, 24, 12],
    [ratioPublic, 24, 26, 24, 12],
    [p95, 0, 38, 24, 12],
    [p99, 24, 38, 24, 12],
    [webhooks, 0, 50, 24, 12],
    [objects.find((o) => o.id === OPEN_ALERTS_SEARCH_ID)!, 24, 50, 24, 12],
  ];
  const panels = layout.map(([o, x, y, w, h], i) => ({
    type: o.type,
    gridData: { x, y, w, h, i: `p${i}` },
    panelIndex: `p${i}`,
    embeddableConfig: { enhancements: {} },
    panelRefName: `panel_p${i}`,
  }));
  objects.push(
    object(
      'dashboard',
      DASHBOARD_ID,
      {
        title: 'tripline overview',
        description: 'Alerts by pattern and severity, top groups, 5xx ratio (admin vs public), probe latency, webhook failures.',
        panelsJSON: JSON.stringify(panels),
        optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
        timeRestore: false,
        kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
      },
      layout.map(([o], i) => ({ id: o.id, name: `p${i}:panel_p${i}`, type: o.type })),
    ),
  );
  return { objects, checks };
}

/** NDJSON as the import API takes it: one object per line, trailing newline. */
export function toNdjson(objects: readonly SavedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

export const KIBANA_NDJSON_PATH = 'deploy/kibana/tripline.ndjson';

export async function generateKibanaNdjson(patternsDir = 'patterns'): Promise<string> {
  return toNdjson(buildKibanaObjects(await loadPatterns(patternsDir)).objects);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir = 'patterns', out = KIBANA_NDJSON_PATH] = process.argv.slice(2);
  writeFileSync(out, await generateKibanaNdjson(dir));
  process.stdout.write(`wrote ${out}\n`);
}
