/**
 * The typed metrics object, built from METRIC_DEFS on a private prom-client Registry
 * (never the global default one, so tests and several engines in one process don't collide).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_DEFS } from './metric-names.js';
import type { MetricDefs } from './metric-names.js';

type LabelsOf<D> = D extends { labels: readonly (infer L)[] } ? (L extends string ? L : never) : never;
type Built<D> = D extends { kind: 'counter' }
  ? Counter<LabelsOf<D>>
  : D extends { kind: 'gauge' }
    ? Gauge<LabelsOf<D>>
    : D extends { kind: 'histogram' }
      ? Histogram<LabelsOf<D>>
      : never;

export type Metrics = { readonly [K in keyof MetricDefs]: Built<MetricDefs[K]> } & {
  readonly registry: Registry;
};

export interface CreateMetricsOptions {
  /** Also export Node process metrics (`tripline_process_*`, `tripline_nodejs_*`). Default false. */
  processMetrics?: boolean;
  /** Labels added to every series (e.g. `{ instance: 'a' }`). */
  defaultLabels?: Record<string, string>;
}

export function createMetrics(opts: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels !== undefined) registry.setDefaultLabels(opts.defaultLabels);
  const out: Record<string, unknown> = { registry };
  for (const [key, def] of Object.entries(METRIC_DEFS)) {
    const base = { name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry] };
    switch (def.kind) {
      case 'counter':
        out[key] = new Counter(base);
        break;
      case 'gauge':
        out[key] = new Gauge(base);
        break;
      case 'histogram':
        out[key] = new Histogram({ ...base, buckets: [...(def as { buckets: readonly number[] }).buckets] });
        break;
    }
  }
  if (opts.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'tripline_' });
  return out as Metrics;
}

/** Prometheus text exposition of a registry. */
export async function renderMetrics(metrics: Pick<Metrics, 'registry'>): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}
