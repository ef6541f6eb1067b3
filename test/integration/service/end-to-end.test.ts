// `tripline run` end to end against the real broker and node: a 3-partition stream with three
// incidents -> alert and metric documents in Elasticsearch with the expected ids, trigger+resolve
// per incident at the PagerDuty receiver, and the same transitions as `tripline replay`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import type { MetricRecord } from '../../../src/sink/elasticsearch/documents.js';
import { INCIDENTS, PD_KEY, ServiceScenario, alertId, buildStream, expected, metricId } from './scenario.js';
import type { Expected } from './scenario.js';

describe('tripline run: end to end', () => {
  const sc = new ServiceScenario('svc-e2e');
  const lines = buildStream();
  let exp: Expected;

  beforeAll(async () => {
    await sc.setup();
    exp = await expected(sc.patternsDir, lines);
  });
  afterAll(() => sc.cleanup.run());

  it('alerts to Elasticsearch and PagerDuty, metrics to Elasticsearch, same transitions as replay', async () => {
    // The scenario itself: one firing and one resolved per incident.
    const states = exp.transitions.map((t) => `${t.group.service}:${t.alert.state}`);
    for (const svc of Object.keys(INCIDENTS)) {
      expect(states).toContain(`${svc}:firing`);
      expect(states).toContain(`${svc}:resolved`);
    }
    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines);

    const wantAlerts = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('every alert document', 90_000, async () => (await sc.esCount(sc.alertsIndex)) >= wantAlerts.size);
    const cutoff = Math.max(...exp.transitions.map((t) => Date.parse(t['@timestamp'])));
    const wantMetrics = exp.metrics.filter((mr) => Date.parse(mr['@timestamp']) <= cutoff);
    await proc
      .waitUntil('metric documents', 20_000, async () => {
        const ids = new Set((await sc.esDocs<MetricRecord>(sc.metricsIndex)).map((d) => d._id));
        return wantMetrics.every((mr) => ids.has(metricId(mr)));
      })
      .catch(() => undefined);
    const gotMetrics = (await sc.esDocs<MetricRecord>(sc.metricsIndex)).map((d) => d._source);
    const mkey = (mr: MetricRecord) => `${mr['@timestamp']} ${mr.group_key} ${mr.value}`;
    expect(gotMetrics.filter((mr) => Date.parse(mr['@timestamp']) <= cutoff).map(mkey).sort()).toEqual(wantMetrics.map(mkey).sort());
    await proc.waitUntil('PagerDuty trigger+resolve per incident', 30_000, () => sc.pd.incidents.filter((i) => i.status === 'resolved').length >= 3);

    const alerts = await sc.esDocs<AlertTransition>(sc.alertsIndex);
    expect(new Set(alerts.map((d) => d._id))).toEqual(wantAlerts);
    for (const d of alerts) expect(d._source.alert.id).toBeDefined();

    // PagerDuty: per incident exactly one incident, trigger then resolve, dedup_key = alert.id.
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    expect(sc.pd.incidents).toHaveLength(fired.length);
    for (const t of fired) {
      expect(sc.pd.actionsFor(t.alert.id)).toEqual(['trigger', 'resolve']);
      expect(sc.pd.incidentsFor(t.alert.id, PD_KEY)).toHaveLength(1);
    }

    // Graceful stop: exit 0 and a final commit.
    const exit = await proc.sigterm();
    expect(exit.code, proc.tail()).toBe(0);

    // `tripline replay` over the same lines: the same transitions (ids, states, @timestamp).
    const replayed = await sc.replayCli(await sc.writeStreamFile(lines));
    const key = (t: AlertTransition) => `${t.alert.id}|${t.alert.state}|${t['@timestamp']}`;
    const fromEs = alerts.map((d) => key(d._source)).sort();
    expect(replayed.filter((t) => Date.parse(t['@timestamp']) <= cutoff).map(key).sort()).toEqual(fromEs);

    // No secret in any output.
    expect(sc.allOutput()).not.toContain(PD_KEY);
  });
});
