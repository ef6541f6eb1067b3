import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFS, STAGES } from '../../../src/telemetry/metric-names.js';
import { createMetrics, renderMetrics } from '../../../src/telemetry/metrics.js';

describe('metrics', () => {
  it('builds every metric on a private registry', async () => {
    const m = createMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name).sort();
    expect(names).toEqual(Object.values(METRIC_DEFS).map((d) => d.name).sort());
  });

  it('two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.recordsConsumed.inc({ topic: 'logs' }, 3);
    expect((await a.recordsConsumed.get()).values[0]?.value).toBe(3);
    expect((await b.recordsConsumed.get()).values).toEqual([]);
  });

  it('component metrics take a stage label and render as Prometheus text', async () => {
    const m = createMetrics();
    for (const stage of STAGES) m.componentReceivedEvents.inc({ stage });
    m.componentErrors.inc({ stage: 'decode', error_type: 'not_json' });
    m.consumerLag.set({ topic: 'logs', partition: '2' }, 17);
    m.sinkRequestDuration.observe({ sink: 'elasticsearch' }, 0.03);
    const { body, contentType } = await renderMetrics(m);
    expect(contentType).toContain('text/plain');
    expect(body).toContain('tripline_component_received_events_total{stage="sink"} 1');
    expect(body).toContain('tripline_component_errors_total{stage="decode",error_type="not_json"} 1');
    expect(body).toContain('tripline_kafka_consumer_lag{topic="logs",partition="2"} 17');
    expect(body).toContain('tripline_sink_request_duration_seconds_bucket{le="0.05",sink="elasticsearch"} 1');
  });

  it('names follow the conventions (prefix, _total on counters, unique)', () => {
    const names = new Set<string>();
    for (const d of Object.values(METRIC_DEFS)) {
      expect(d.name).toMatch(/^tripline_[a-z_]+$/);
      if (d.kind === 'counter') expect(d.name).toMatch(/_total$/);
      else expect(d.name).not.toMatch(/_total$/);
      expect(names.has(d.name)).toBe(false);
      names.add(d.name);
    }
  });

  it('no metric name is spelled outside metric-names.ts', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('metric-names.ts')) {
          if (/['"`]tripline_[a-z_]+(_total|_seconds|_lag|_groups)['"`]/.test(readFileSync(p, 'utf8'))) offenders.push(p);
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});
