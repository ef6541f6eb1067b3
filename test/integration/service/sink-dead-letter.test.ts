// A sink refusing an item for good (PagerDuty answers 400 to the first trigger): the alert lands in
// `<group>-sink.dlq` with reason/sink/kind/status headers before the checkpoint passes it, is counted
// in tripline_sink_dead_lettered_total, and everything else is still delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import { SINK_DLQ_HEADERS } from '../../../src/sink/sink-dlq.js';
import { deleteGroups } from '../helpers/stack.js';
import { PD_KEY, ServiceScenario, alertId, buildStream, expected } from './scenario.js';

describe('tripline run: refused sink items are dead-lettered', () => {
  const sc = new ServiceScenario('svc-sinkdlq');
  const lines = buildStream(600); // the first incident only

  beforeAll(() => sc.setup());
  afterAll(() => sc.cleanup.run());

  it('PagerDuty 400 -> <group>-sink.dlq with reason headers, counted; ES still gets every alert', async () => {
    const exp = await expected(sc.patternsDir, lines);
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    expect(fired.length).toBe(1);
    sc.pd.failNext(1, 400);
    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines);
    const want = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('alert documents', 60_000, async () => (await sc.esCount(sc.alertsIndex)) >= want.size);
    await proc.waitUntil('dead-letter counted', 30_000, async () => (await proc.metric('tripline_sink_dead_lettered_total', { sink: 'pagerduty', reason: 'http_400' })) === 1);
    expect((await proc.sigterm()).code, proc.tail()).toBe(0);

    const topic = `${sc.group}-sink.dlq`;
    const reader = `${sc.group}-sink-dlq-reader`;
    sc.cleanup.add('sink dlq reader group', () => deleteGroups(sc.kafka, [reader]).catch(() => undefined));
    const consumer = sc.kafka.consumer({ groupId: reader });
    const got: Array<{ key: string; value: AlertTransition; headers: Record<string, string> }> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString() ?? '']));
        got.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') as AlertTransition, headers });
      },
    });
    for (const deadline = Date.now() + 30_000; got.length < 1 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    await consumer.disconnect();
    expect(got).toHaveLength(1);
    const [d] = got;
    expect(d!.key).toBe(fired[0]!.alert.id);
    expect(d!.value.alert.id).toBe(fired[0]!.alert.id);
    expect(d!.value.alert.state).toBe('firing');
    expect(d!.headers).toMatchObject({
      [SINK_DLQ_HEADERS.reason]: 'http_400',
      [SINK_DLQ_HEADERS.sink]: 'pagerduty',
      [SINK_DLQ_HEADERS.kind]: 'alert',
      [SINK_DLQ_HEADERS.status]: '400',
    });
    expect(JSON.stringify(got)).not.toContain(PD_KEY);
    expect(sc.allOutput()).not.toContain(PD_KEY);
    expect(proc.stdout).toContain('sink refused an item for good; dead-lettered');
  });
});
