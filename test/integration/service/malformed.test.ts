// Malformed records mixed into the stream: they land in the DLQ topic with reason headers, the good
// records still alert, and /metrics counts match what was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import { DLQ_HEADERS } from '../../../src/source/dlq.js';
import { ServiceScenario, alertId, buildStream, expected } from './scenario.js';

describe('tripline run: malformed input', () => {
  const sc = new ServiceScenario('svc-bad');
  const lines = buildStream(1800, 37);
  const bad = lines.filter((l) => !l.value.startsWith('{"@timestamp"'));

  beforeAll(() => sc.setup());
  afterAll(() => sc.cleanup.run());

  it('dead-letters malformed records with reasons, still alerts, counts match', async () => {
    expect(bad.length).toBeGreaterThan(20);
    const exp = await expected(sc.patternsDir, lines);
    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines);

    const want = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('alerts', 60_000, async () => (await sc.esCount(sc.alertsIndex)) >= want.size);
    const alerts = await sc.esDocs<AlertTransition>(sc.alertsIndex);
    expect(new Set(alerts.map((d) => d._id))).toEqual(want);

    // /metrics: consumed, invalid, DLQ counts.
    await proc.waitUntil('consumed count', 30_000, async () => (await proc.metric('tripline_records_consumed_total', { topic: sc.topic })) === lines.length);
    await proc.waitUntil('dlq count', 30_000, async () => (await proc.metric('tripline_dlq_records_total', { topic: sc.topic })) === bad.length);
    expect(await proc.metric('tripline_records_invalid_total', { topic: sc.topic })).toBe(bad.length);
    expect(await proc.metric('tripline_records_decoded_total', { topic: sc.topic })).toBe(lines.length - bad.length);
    expect(await proc.metric('tripline_alert_transitions_total', { pattern: 'svc-errors' })).toBe(exp.transitions.length);

    // The DLQ topic: every malformed record, with reason and source headers.
    const consumer = sc.kafka.consumer({ groupId: `${sc.group}-dlq-reader` });
    const got: Array<{ value: string; reason: string; topic: string }> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [`${sc.topic}.dlq`], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({
          value: message.value?.toString() ?? '',
          reason: message.headers?.[DLQ_HEADERS.reason]?.toString() ?? '',
          topic: message.headers?.[DLQ_HEADERS.topic]?.toString() ?? '',
        });
      },
    });
    await proc.waitUntil('dlq records', 30_000, () => got.length >= bad.length);
    await consumer.disconnect();
    sc.cleanup.add('dlq reader group', () => import('../helpers/stack.js').then((s) => s.deleteGroups(sc.kafka, [`${sc.group}-dlq-reader`])).catch(() => undefined));
    expect(got.map((g) => g.value).sort()).toEqual(bad.map((b) => b.value).sort());
    for (const g of got) {
      expect(g.reason).toMatch(/^[a-z_]+$/);
      expect(g.topic).toBe(sc.topic);
    }

    expect((await proc.sigterm()).code, proc.tail()).toBe(0);
  });
});
