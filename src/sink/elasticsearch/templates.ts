/**
 * Index templates and ILM policies: the single source of truth. deploy/elasticsearch/*.json are
 * generated from these constants (`npx tsx src/sink/elasticsearch/write-deploy-files.ts`) and a unit
 * test fails when they drift. The bodies in deploy/ are the full (data stream + ILM) variant;
 * `templateBody` strips what the detected cluster does not support.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { WriteMode } from './features.js';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
const double = { type: 'double' } as const;
const long = { type: 'long' } as const;
const date = { type: 'date' } as const;

/**
 * group.* and labels.* are keywords whatever their name; other unknown strings too. Only string
 * leaves match: a dotted key such as `service.name` is expanded by Elasticsearch into an object
 * `group.service` that must stay an object (found against a real node).
 */
const dynamicTemplates = [
  { group_as_keyword: { path_match: 'group.*', match_mapping_type: 'string', mapping: keyword } },
  { labels_as_keyword: { path_match: 'labels.*', match_mapping_type: 'string', mapping: keyword } },
  { strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } },
];

export const ALERTS_MAPPINGS = {
  dynamic_templates: dynamicTemplates,
  properties: {
    '@timestamp': date,
    alert: {
      properties: {
        id: keyword,
        key: keyword,
        seq: long,
        state: keyword,
        previous: keyword,
        severity: keyword,
        flapping: { type: 'boolean' },
        repeat: long,
      },
    },
    pattern: { properties: { id: keyword, description: { type: 'text' }, detector: keyword } },
    group: { type: 'object', dynamic: true },
    labels: { type: 'object', dynamic: true },
    value: double,
    threshold: double,
    op: keyword,
    baseline: double,
    score: double,
    window: { properties: { start: date, end: date } },
    samples: { type: 'object', enabled: false },
    runbook: keyword,
    summary: { type: 'text' },
  },
} as const;

export const METRICS_MAPPINGS = {
  dynamic_templates: dynamicTemplates,
  properties: {
    '@timestamp': date,
    pattern: { properties: { id: keyword } },
    group: { type: 'object', dynamic: true },
    group_key: keyword,
    window: { properties: { start: date, end: date } },
    value: double,
    threshold: double,
    count: long,
    total: long,
  },
} as const;

export interface TemplateSpec {
  /** Template name, ILM policy name and index/data stream prefix. */
  readonly name: 'tripline-alerts' | 'tripline-metrics';
  readonly mappings: typeof ALERTS_MAPPINGS | typeof METRICS_MAPPINGS;
  readonly ilmPolicy: { policy: estypes.IlmPolicy };
}

function ilmPolicy(deleteAfter: string): { policy: estypes.IlmPolicy } {
  return {
    policy: {
      _meta: { managed_by: 'tripline' },
      phases: {
        hot: { actions: { rollover: { max_primary_shard_size: '10gb', max_age: '1d' } } },
        delete: { min_age: deleteAfter, actions: { delete: {} } },
      },
    },
  };
}

export const TEMPLATE_SPECS: readonly TemplateSpec[] = [
  { name: 'tripline-alerts', mappings: ALERTS_MAPPINGS, ilmPolicy: ilmPolicy('90d') },
  { name: 'tripline-metrics', mappings: METRICS_MAPPINGS, ilmPolicy: ilmPolicy('14d') },
];

/** Bumped whenever a mapping changes; stored as the template `version`. */
export const TEMPLATE_VERSION = 1;

export interface TemplateOptions {
  readonly mode: WriteMode;
  readonly ilm: boolean;
  /** Index/data stream prefix (defaults to the spec name). */
  readonly prefix?: string;
}

/** The body for `indices.putIndexTemplate` (without `name`). */
export function templateBody(spec: TemplateSpec, opts: TemplateOptions): Record<string, unknown> {
  const prefix = opts.prefix ?? spec.name;
  const settings: Record<string, unknown> = { 'index.number_of_shards': 1, 'index.auto_expand_replicas': '0-1' };
  if (opts.mode === 'data_stream' && opts.ilm) settings['index.lifecycle.name'] = spec.name;
  return {
    index_patterns: [`${prefix}-*`],
    priority: 200,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: 'tripline', description: `tripline ${spec.name.slice('tripline-'.length)} (${opts.mode})` },
    ...(opts.mode === 'data_stream' ? { data_stream: {} } : {}),
    template: { settings, mappings: spec.mappings },
  };
}

/** Files under deploy/elasticsearch/, generated from the constants above. */
export function deployFiles(): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const spec of TEMPLATE_SPECS) {
    files[`index-template-${spec.name}.json`] = templateBody(spec, { mode: 'data_stream', ilm: true });
    files[`ilm-policy-${spec.name}.json`] = spec.ilmPolicy;
  }
  return files;
}
