// Sink dead-letter topic: message shape (item JSON, reason/detail/sink/kind/status headers), acks=all,
// counted per sink and reason only after the broker acknowledged, failures surface for retry.
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SINK_DLQ_HEADERS, SinkDeadLetterWriter, sinkDlqMessage, sinkDlqTopic } from '../../../src/sink/sink-dlq.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

function fakeKafka(fail?: Error) {
  const sent: Array<{ topic: string; acks: number; messages: Array<{ key: string | null; value: string; headers: Record<string, string> }> }> = [];
  const created: string[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (r: (typeof sent)[number]) => {
        if (fail) throw fail;
        sent.push(r);
        return [];
      },
    }),
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => created,
      createTopics: async (r: { topics: Array<{ topic: string }> }) => {
        created.push(...r.topics.map((t) => t.topic));
        return true;
      },
      fetchTopicMetadata: async (r: { topics: string[] }) => ({
        topics: r.topics.filter((t) => created.includes(t)).map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })),
      }),
    }),
  } as unknown as Kafka;
  return { kafka, sent, created };
}

const alert = { alert: { id: 'svc-errors:abc', state: 'firing' }, summary: 'x' };

describe('sink dead-letter topic', () => {
  it('is <group_id>-sink.dlq', () => {
    expect(sinkDlqTopic('tripline')).toBe('tripline-sink.dlq');
  });

  it('message: the item as JSON, keyed by id, with reason/detail/sink/kind/status headers; detail capped', () => {
    const m = sinkDlqMessage('elasticsearch-alerts', 'alert', { item: alert, reason: 'mapper_parsing_exception', detail: 'x'.repeat(5000), status: 400 }, 'svc-errors:abc');
    expect(m.key).toBe('svc-errors:abc');
    expect(JSON.parse(m.value)).toEqual(alert);
    expect(m.headers).toMatchObject({
      [SINK_DLQ_HEADERS.reason]: 'mapper_parsing_exception',
      [SINK_DLQ_HEADERS.sink]: 'elasticsearch-alerts',
      [SINK_DLQ_HEADERS.kind]: 'alert',
      [SINK_DLQ_HEADERS.status]: '400',
    });
    expect((m.headers[SINK_DLQ_HEADERS.detail] as string).length).toBe(1024);
    const noStatus = sinkDlqMessage('pagerduty', 'alert', { item: alert, reason: 'no_routing_key', detail: 'd' });
    expect(noStatus.key).toBeNull();
    expect(noStatus.headers).not.toHaveProperty(SINK_DLQ_HEADERS.status);
  });

  it('writes with acks=all and counts per sink and reason after the ack', async () => {
    const f = fakeKafka();
    const metrics = createMetrics();
    const w = new SinkDeadLetterWriter({ kafka: f.kafka, topic: 'g-sink.dlq', logger: silentLogger(), metrics });
    await w.ensureTopic();
    await w.ensureTopic();
    expect(f.created).toEqual(['g-sink.dlq']);
    await w.write('pagerduty', 'alert', [{ item: alert, reason: 'http_400', detail: 'Event object is invalid', status: 400 }], (t) => t.alert.id);
    await w.write('elasticsearch-metrics', 'metric', [{ item: { value: 1 }, reason: 'mapper_parsing_exception', detail: 'd', status: 400 }]);
    expect(f.sent.map((s) => [s.topic, s.acks, s.messages.length, s.messages[0]!.key])).toEqual([
      ['g-sink.dlq', -1, 1, 'svc-errors:abc'],
      ['g-sink.dlq', -1, 1, null],
    ]);
    const c = await metrics.sinkDeadLettered.get();
    expect(c.values.map((v) => [v.labels.sink, v.labels.reason, v.value])).toEqual([
      ['pagerduty', 'http_400', 1],
      ['elasticsearch-metrics', 'mapper_parsing_exception', 1],
    ]);
    await w.stop();
    await expect(w.write('pagerduty', 'alert', [{ item: alert, reason: 'r', detail: 'd' }])).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('a failed write rejects (the queue retries it) and counts nothing as dead-lettered', async () => {
    const f = fakeKafka(new Error('broker down'));
    const metrics = createMetrics();
    const w = new SinkDeadLetterWriter({ kafka: f.kafka, topic: 'g-sink.dlq', logger: silentLogger(), metrics });
    await expect(w.write('pagerduty', 'alert', [{ item: alert, reason: 'http_400', detail: 'd' }])).rejects.toMatchObject({ code: 'DLQ_WRITE_FAILED' });
    expect((await metrics.sinkDeadLettered.get()).values).toEqual([]);
  });
});
