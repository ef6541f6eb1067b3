// Elasticsearch down for ~30 s mid-stream, tripline SIGKILLed during the outage and restarted:
// /readyz turns unhealthy, then recovers; every expected alert and metric document ends up in
// Elasticsearch exactly once (the source offsets never ran ahead of acknowledged output, and the
// restart restores the window state of the last checkpoint, taken before the outage), and
// PagerDuty sees exactly one incident per alert although the replay re-derives transitions it
// already has (the delivered-event memory survives the crash).
//
// Stops the shared node: ES is restarted with `stack.sh up` in a `finally`, whatever happens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import type { MetricRecord } from '../../../src/sink/elasticsearch/documents.js';
import { elasticsearchHealthy, ensureElasticsearchUp, killElasticsearch } from '../helpers/elasticsearch-control.js';
import { stackInfo, withAdmin } from '../helpers/stack.js';
import { PD_KEY, ServiceScenario, T0, alertId, buildStream, expected, metricId } from './scenario.js';

const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sum of the group's committed offsets over the topic's partitions (= records committed, offsets start at 0). */
async function committedTotal(sc: ServiceScenario): Promise<number> {
  const got = await withAdmin(sc.kafka, (a) => a.fetchOffsets({ groupId: sc.group, topics: [sc.topic] }));
  return (got[0]?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

/**
 * True when stage 2 (group <group>-partials) has committed the whole partials topic: it commits
 * only what a checkpoint covers, so the window state of every partials record so far is saved.
 */
async function stage2Checkpointed(sc: ServiceScenario): Promise<boolean> {
  const topic = `${sc.group}-partials`;
  return withAdmin(sc.kafka, async (a) => {
    const ends = await a.fetchTopicOffsets(topic);
    const got = await a.fetchOffsets({ groupId: `${sc.group}-partials`, topics: [topic] });
    const committed = new Map((got[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.every((e) => Number(e.high) === 0 || committed.get(e.partition) === Number(e.high));
  });
}

describe('tripline run: Elasticsearch outage', () => {
  const sc = new ServiceScenario('svc-esout');
  const lines = buildStream();
  const esUrl = () => stackInfo().elasticsearchUrl;

  beforeAll(() => sc.setup());
  afterAll(async () => {
    await ensureElasticsearchUp(esUrl());
    await sc.cleanup.run();
  });

  it('goes unready, survives SIGKILL during the outage, and delivers every document exactly once', { timeout: 420_000 }, async () => {
    const exp = await expected(sc.patternsDir, lines);
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    expect(fired.length).toBe(3);
    // Before the outage: through the first incident (api, resolved by ~10:08).
    const split = lines.findIndex((l) => (JSON.parse(l.value) as { '@timestamp': string })['@timestamp'] >= new Date(T0 + 600_000).toISOString());
    const before = exp.transitions.filter((t) => Date.parse(t['@timestamp']) < T0 + 600_000);
    expect(before.length).toBeGreaterThanOrEqual(2);

    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines.slice(0, split));
    await proc.waitUntil('first incident in Elasticsearch', 60_000, async () => (await sc.esCount(sc.alertsIndex)) >= before.length);
    // ...and checkpointed: stage 1 committed every record produced so far (with its partials), and
    // stage 2 committed every partials record (only after a checkpoint covering it).
    await proc.waitUntil('pre-outage records checkpointed and committed', 30_000, async () => (await committedTotal(sc)) === split && (await stage2Checkpointed(sc)));

    let outage = { start: 0, end: 0 };
    const readiness: Array<{ status: number; es?: boolean; sinks?: boolean; t: number }> = [];
    try {
      outage.start = Date.now();
      await killElasticsearch(esUrl());
      expect(await elasticsearchHealthy(esUrl())).toBe(false);
      await sc.produce(lines.slice(split));

      // Unready while Elasticsearch is gone: the ES probe fails and the ES queues stall.
      await proc.waitUntil('/readyz 503 with elasticsearch and sinks not ok', 25_000, async () => {
        const r = await proc.readyz();
        readiness.push({ status: r.status, es: r.body.components?.elasticsearch?.ok, sinks: r.body.components?.sinks?.ok, t: Date.now() - outage.start });
        return r.status === 503 && r.body.components?.elasticsearch?.ok === false && r.body.components.sinks?.ok === false;
      });

      // Crash during the outage, restart (it cannot become ready until Elasticsearch is back).
      expect((await proc.sigkill()).signal).toBe('SIGKILL');
      proc.start();
      await proc.waitUntil('restarted process serving /readyz', 30_000, () => proc.port !== 0);
      await proc.waitUntil('restarted process unready', 15_000, async () => (await proc.readyz()).status === 503);

      await sleep(Math.max(0, outage.start + OUTAGE_MS - Date.now()));
    } finally {
      await ensureElasticsearchUp(esUrl());
      outage = { ...outage, end: Date.now() };
    }
    expect(await elasticsearchHealthy(esUrl())).toBe(true);

    // Recovery: ready again, everything delivered.
    await proc.waitReady(120_000);
    const want = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('every alert document', 120_000, async () => (await sc.esCount(sc.alertsIndex)) >= want.size);
    const cutoff = Math.max(...exp.transitions.map((t) => Date.parse(t['@timestamp'])));
    const wantMetrics = new Set(exp.metrics.filter((mr) => Date.parse(mr['@timestamp']) <= cutoff).map(metricId));
    await proc.waitUntil('every metric document', 60_000, async () => {
      const ids = new Set((await sc.esDocs<MetricRecord>(sc.metricsIndex)).map((d) => d._id));
      return [...wantMetrics].every((id) => ids.has(id));
    });
    await proc.waitUntil('every incident resolved', 60_000, () => fired.every((t) => sc.pd.incidentsFor(t.alert.id).some((i) => i.status === 'resolved')));
    expect((await proc.sigterm()).code, proc.tail()).toBe(0);
    expect(await committedTotal(sc)).toBe(lines.length);

    // Exactly once in Elasticsearch: the expected alert ids, one document each; metric docs unique
    // and a superset of the expected ones (all of them, none twice).
    const alerts = await sc.esDocs<AlertTransition>(sc.alertsIndex);
    expect(alerts.length).toBe(want.size);
    expect(new Set(alerts.map((d) => d._id))).toEqual(want);
    const key = (t: AlertTransition) => `${t.alert.id}|${t.alert.state}|${t['@timestamp']}`;
    expect(alerts.map((d) => key(d._source)).sort()).toEqual(exp.transitions.map(key).sort());
    const metrics = await sc.esDocs<MetricRecord>(sc.metricsIndex);
    expect(new Set(metrics.map((d) => d._id)).size).toBe(metrics.length);
    const mkey = (mr: MetricRecord) => `${mr['@timestamp']} ${mr.group_key} ${mr.value}`;
    expect(metrics.filter((d) => Date.parse(d._source['@timestamp']) <= cutoff).map((d) => mkey(d._source)).sort()).toEqual(
      exp.metrics.filter((mr) => Date.parse(mr['@timestamp']) <= cutoff).map(mkey).sort(),
    );

    // The restart restored the checkpoint taken before the outage (none could complete during it).
    expect(proc.stdout).toContain('restored window state from checkpoint');
    // PagerDuty kept delivering during the outage, and the crash replayed everything since the
    // pre-outage checkpoint; the durable delivered-event memory (<group>-pagerduty-delivered) keeps
    // the replay from re-opening what PagerDuty already had: exactly one incident per alert, resolved.
    expect(sc.pd.incidents).toHaveLength(fired.length);
    for (const t of fired) {
      const incidents = sc.pd.incidentsFor(t.alert.id, PD_KEY);
      expect(incidents, `${t.alert.id}: ${JSON.stringify(sc.pd.actionsFor(t.alert.id))}`).toHaveLength(1);
      expect(incidents[0]!.status).toBe('resolved');
      const actions = sc.pd.actionsFor(t.alert.id);
      expect(actions[0]).toBe('trigger');
      expect(actions[actions.length - 1]).toBe('resolve');
    }
    expect(proc.stdout).toContain('loaded PagerDuty delivered-event memory');
    console.log(
      `[es-outage] outage ${outage.end - outage.start} ms; readiness samples ${JSON.stringify(readiness.slice(-3))}; ` +
        `PD incidents ${sc.pd.incidents.length} for ${fired.length} alerts`,
    );
    expect(sc.allOutput()).not.toContain(PD_KEY);
  });
});
