import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DlqWriter, dlqMessage } from '../../../src/source/dlq.js';
import type { SourceRecord } from '../../../src/source/kafka-source.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import type { Kafka } from 'kafkajs';

const rec: SourceRecord = {
  topic: 'logs',
  partition: 3,
  offset: '42',
  timestamp: 1700000000000,
  key: Buffer.from('k'),
  value: Buffer.from('{bad json'),
  headers: { traceparent: 'x' },
};

function fakeKafka(fail?: Error) {
  const sent: unknown[] = [];
  const producerCfg: unknown[] = [];
  const kafka = {
    producer: (cfg: unknown) => {
      producerCfg.push(cfg);
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async (b: unknown) => {
          if (fail) throw fail;
          sent.push(b);
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, sent, producerCfg };
}

describe('dlqMessage', () => {
  it('keeps the raw value and adds source headers', () => {
    const m = dlqMessage({ record: rec, reason: 'not_json', detail: 'not JSON at byte 1' });
    expect(m.value?.toString()).toBe('{bad json');
    expect(m.headers).toEqual({
      traceparent: 'x',
      [DLQ_HEADERS.reason]: 'not_json',
      [DLQ_HEADERS.detail]: 'not JSON at byte 1',
      [DLQ_HEADERS.topic]: 'logs',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '42',
      [DLQ_HEADERS.timestamp]: '1700000000000',
    });
  });
  it('truncates long details', () => {
    const m = dlqMessage({ record: rec, reason: 'x', detail: 'd'.repeat(5000) });
    expect((m.headers[DLQ_HEADERS.detail] as string).length).toBe(1024);
  });
});

describe('DlqWriter', () => {
  it('uses an idempotent producer, acks=all, <topic>.dlq by default, and counts', async () => {
    const { kafka, sent, producerCfg } = fakeKafka();
    const metrics = createMetrics();
    const w = new DlqWriter({ kafka, config: {}, logger: silentLogger(), metrics });
    await w.write({ record: rec, reason: 'not_json', detail: 'd' });
    expect(producerCfg[0]).toMatchObject({ idempotent: true });
    expect(sent[0]).toMatchObject({ acks: -1, topicMessages: [{ topic: 'logs.dlq' }] });
    expect((await metrics.dlqRecords.get()).values[0]).toMatchObject({ value: 1, labels: { topic: 'logs', reason: 'not_json' } });
    await w.stop();
    await expect(w.write({ record: rec, reason: 'x', detail: 'd' })).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });
  it('configured topic; failures reject with DLQ_WRITE_FAILED (retriable)', async () => {
    const ok = fakeKafka();
    await new DlqWriter({ kafka: ok.kafka, config: { dlq_topic: 'dead' }, logger: silentLogger() }).write({ record: rec, reason: 'r', detail: 'd' });
    expect(ok.sent[0]).toMatchObject({ topicMessages: [{ topic: 'dead' }] });
    const bad = fakeKafka(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', retriable: true }));
    const w = new DlqWriter({ kafka: bad.kafka, config: {}, logger: silentLogger() });
    await expect(w.write({ record: rec, reason: 'r', detail: 'd' })).rejects.toMatchObject({ code: 'DLQ_WRITE_FAILED', retriable: true });
  });
});
