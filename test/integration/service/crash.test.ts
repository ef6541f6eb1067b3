// SIGKILL mid-stream, restart: no alert lost, no duplicate PagerDuty incident, no duplicate ES
// document (window state comes back from the checkpoint topic; replayed records regenerate
// identical transitions with the same ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import type { MetricRecord } from '../../../src/sink/elasticsearch/documents.js';
import { PD_KEY, ServiceScenario, T0, alertId, buildStream, expected, metricId } from './scenario.js';

describe('tripline run: crash and restart', () => {
  const sc = new ServiceScenario('svc-crash');
  const lines = buildStream();

  beforeAll(() => sc.setup());
  afterAll(() => sc.cleanup.run());

  it('loses nothing and duplicates nothing across SIGKILL + restart', async () => {
    const exp = await expected(sc.patternsDir, lines);
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    expect(fired.length).toBe(3);
    // First part: through the middle of the second incident (web fires at ~10:15, resolves ~10:18).
    const split = lines.findIndex((l) => JSON.parse(l.value)['@timestamp'] >= new Date(T0 + 960_000).toISOString());
    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines.slice(0, split));
    await proc.waitUntil('second incident triggered', 60_000, () => sc.pd.actionsFor(fired[1]!.alert.id).includes('trigger'));
    expect((await proc.sigkill()).signal).toBe('SIGKILL');

    await sc.produce(lines.slice(split));
    proc.start();
    await proc.waitReady();
    const want = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('every alert', 90_000, async () => (await sc.esCount(sc.alertsIndex)) >= want.size);
    await proc.waitUntil('every incident resolved', 30_000, () => sc.pd.incidents.filter((i) => i.status === 'resolved').length >= fired.length);
    const cutoff = Math.max(...exp.transitions.map((t) => Date.parse(t['@timestamp'])));
    const wantMetrics = new Set(exp.metrics.filter((mr) => Date.parse(mr['@timestamp']) <= cutoff).map(metricId));
    await proc.waitUntil('metric docs', 30_000, async () => {
      const ids = new Set((await sc.esDocs<MetricRecord>(sc.metricsIndex)).map((d) => d._id));
      return [...wantMetrics].every((id) => ids.has(id));
    });
    expect((await proc.sigterm()).code, proc.tail()).toBe(0);

    // ES: exactly the expected alert ids, one document each.
    const alerts = await sc.esDocs<AlertTransition>(sc.alertsIndex);
    expect(alerts.length).toBe(want.size);
    expect(new Set(alerts.map((d) => d._id))).toEqual(want);
    const metrics = await sc.esDocs<MetricRecord>(sc.metricsIndex);
    expect(new Set(metrics.map((d) => d._id)).size).toBe(metrics.length);
    for (const id of wantMetrics) expect(metrics.some((d) => d._id === id)).toBe(true);

    // PagerDuty: one incident per alert, opened and resolved; no second page.
    expect(sc.pd.incidents).toHaveLength(fired.length);
    for (const t of fired) {
      expect(sc.pd.incidentsFor(t.alert.id, PD_KEY)).toHaveLength(1);
      expect(sc.pd.incidentsFor(t.alert.id)[0]!.status).toBe('resolved');
      const actions = sc.pd.actionsFor(t.alert.id);
      expect(actions[0]).toBe('trigger');
      expect(actions[actions.length - 1]).toBe('resolve');
    }
    // The restart restored the window state from the checkpoint.
    expect(proc.stdout).toContain('restored window state from checkpoint');
    expect(sc.allOutput()).not.toContain(PD_KEY);
  });
});
