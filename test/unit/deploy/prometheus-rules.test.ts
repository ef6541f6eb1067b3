// deploy/prometheus/tripline-rules.yaml only uses metrics tripline exports
// (src/telemetry/metric-names.ts) plus an explicit list of external ones.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_DEFS } from '../../../src/telemetry/metric-names.js';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const file = parse(readFileSync('deploy/prometheus/tripline-rules.yaml', 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = file.groups.flatMap((g) => g.rules);

/** Metrics from other exporters the rules may use. */
const EXTERNAL = new Set(['kube_pod_status_ready']);
const PROMQL_WORDS = new Set(['sum', 'by', 'and', 'or', 'unless', 'without', 'rate', 'increase', 'deriv', 'vector', 'topic', 'sink', 'error_type', 'reason', 'outcome', 'condition', 'pod', 'namespace', 'error', 'false']);

function metricNames(expr: string): string[] {
  const noStrings = expr.replace(/"[^"]*"/g, '""');
  return [...noStrings.matchAll(/\b([a-z_][a-z0-9_]*)\b/g)].map((m) => m[1]!).filter((w) => !PROMQL_WORDS.has(w) && /_/.test(w));
}

describe('deploy/prometheus/tripline-rules.yaml', () => {
  const exported = new Map(Object.values(METRIC_DEFS).map((d) => [d.name, d]));

  it('covers lag growth, no records, sink errors, DLQ growth and readiness', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['TriplineConsumerLagGrowing', 'TriplineNoRecordsConsumed', 'TriplineSinkErrors', 'TriplineDeadLetterGrowth', 'TriplineNotReady']));
    expect(rules.find((r) => r.alert === 'TriplineNoRecordsConsumed')!.expr).toContain('[10m]');
  });

  it('every metric name exists in metric-names.ts (or is a listed external metric)', () => {
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) {
        const base = n.replace(/_(bucket|sum|count)$/, '');
        expect(exported.has(n) || exported.get(base)?.kind === 'histogram' || EXTERNAL.has(n), `${r.alert}: ${n}`).toBe(true);
      }
    }
  });

  it('label names used in by() exist on the metric', () => {
    for (const r of rules) {
      for (const m of r.expr.matchAll(/by \(([^)]*)\) \((?:rate|increase|deriv)?\(?([a-z_]+)/g)) {
        const def = exported.get(m[2]!);
        if (def === undefined) continue;
        for (const label of m[1]!.split(',').map((s) => s.trim())) expect(def.labels as readonly string[], `${r.alert}: ${label}`).toContain(label);
      }
    }
  });

  it('every rule has severity, summary and a runbook link', () => {
    for (const r of rules) {
      expect(['critical', 'warning', 'info']).toContain(r.labels['severity']);
      expect(r.annotations['summary'], r.alert).toBeTruthy();
      expect(r.annotations['runbook_url'], r.alert).toBeTruthy();
      expect(r.for).toMatch(/^\d+[smh]$/);
    }
  });
});
