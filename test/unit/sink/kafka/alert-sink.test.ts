import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaAlertSink, createAlertProducer, mapKafkaError } from '../../../../src/sink/kafka/alert-sink.js';
import { captureLogger } from '../../../support/capture-logger.js';
import { transition } from '../../../support/transitions.js';

class FakeProducer {
  readonly sends: ProducerRecord[] = [];
  readonly script: ((r: ProducerRecord) => Error | undefined)[] = [];
  async send(r: ProducerRecord): Promise<RecordMetadata[]> {
    this.sends.push(r);
    const err = this.script.shift()?.(r);
    if (err !== undefined) throw err;
    return [];
  }
}

function kafkaError(name: string, props: { type?: string; retriable?: boolean } = {}): Error {
  const e = new Error(`${name} happened`) as Error & { type?: string; retriable?: boolean };
  e.name = name;
  Object.assign(e, props);
  return e;
}

const retry = { maxAttempts: 3, maxTimeMs: 5000, minDelayMs: 1, maxDelayMs: 5 };

function setup(maxMessageBytes?: number) {
  const producer = new FakeProducer();
  const log = captureLogger();
  const sink = new KafkaAlertSink({ producer, topic: 'tripline.alerts', retry, logger: log.logger, ...(maxMessageBytes ? { maxMessageBytes } : {}) });
  return { producer, sink, log };
}

describe('KafkaAlertSink', () => {
  it('publishes JSON keyed by alert id with acks=all', async () => {
    const { producer, sink } = setup();
    const batch = [transition({ id: 'a-1' }), transition({ id: 'b-1', state: 'resolved' })];
    const result = await sink.send(batch);
    expect(result).toEqual({ acknowledged: batch, duplicates: 0, deadLettered: [] });
    expect(producer.sends).toHaveLength(1);
    const r = producer.sends[0]!;
    expect(r.topic).toBe('tripline.alerts');
    expect(r.acks).toBe(-1);
    expect(r.messages.map((m) => m.key)).toEqual(['a-1', 'b-1']);
    expect(JSON.parse(String(r.messages[1]!.value))).toEqual(batch[1]);
    expect(r.messages[0]!.headers).toMatchObject({ 'tripline-alert-state': 'firing' });
    expect(r.messages[0]!.timestamp).toBe(String(Date.parse(batch[0]!['@timestamp'])));
  });

  it('retries retriable broker errors', async () => {
    const { producer, sink } = setup();
    producer.script.push(() => kafkaError('KafkaJSConnectionError'), () => kafkaError('KafkaJSProtocolError', { type: 'NOT_LEADER_FOR_PARTITION', retriable: true }));
    const result = await sink.send([transition()]);
    expect(result.acknowledged).toHaveLength(1);
    expect(producer.sends).toHaveLength(3);
  });

  it('keeps failing retriably when the broker stays down, and reports stalled', async () => {
    const { producer, sink } = setup();
    for (let i = 0; i < 3; i++) producer.script.push(() => kafkaError('KafkaJSNumberOfRetriesExceeded'));
    await expect(sink.send([transition()])).rejects.toMatchObject({ code: 'SINK_RETRIABLE', retriable: true });
    expect(sink.isStalled()).toBe(true);
    await sink.send([transition()]);
    expect(sink.isStalled()).toBe(false);
  });

  it('stalls on authorization failures without retrying inside', async () => {
    const { producer, sink } = setup();
    producer.script.push(() => kafkaError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false }));
    await expect(sink.send([transition()])).rejects.toMatchObject({ code: 'SINK_AUTH', retriable: true });
    expect(producer.sends).toHaveLength(1);
  });

  it('splits on MESSAGE_TOO_LARGE and dead-letters the single record that is too large', async () => {
    const { producer, sink } = setup();
    const batch = [transition({ id: 'a-1' }), transition({ id: 'b-1' }), transition({ id: 'c-1' })];
    const big = (r: ProducerRecord) => (r.messages.some((m) => m.key === 'c-1') ? kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE' }) : undefined);
    producer.script.push(big, big, big);
    const result = await sink.send(batch);
    expect(producer.sends.map((s) => s.messages.map((m) => m.key))).toEqual([['a-1', 'b-1', 'c-1'], ['a-1', 'b-1'], ['c-1']]);
    expect(result.acknowledged).toEqual([batch[0], batch[1]]);
    expect(result.deadLettered).toMatchObject([{ item: batch[2], reason: 'too_large' }]);
  });

  it('dead-letters records over maxMessageBytes before sending', async () => {
    const { producer, sink } = setup(2000);
    const big = transition({ id: 'big-1', samples: [{ x: 'y'.repeat(5000) }] });
    const small = transition({ id: 's-1' });
    const result = await sink.send([big, small]);
    expect(result.deadLettered).toMatchObject([{ item: big, reason: 'too_large' }]);
    expect(producer.sends[0]!.messages.map((m) => m.key)).toEqual(['s-1']);
  });

  it('maps unknown errors to a stalling error, never a drop', () => {
    expect(mapKafkaError(new Error('weird'))).toMatchObject({ code: 'SINK_STALLED', retriable: true });
    expect(mapKafkaError(kafkaError('KafkaJSSASLAuthenticationError'))).toMatchObject({ code: 'SINK_AUTH' });
  });

  it('creates an idempotent producer', () => {
    let opts: unknown;
    createAlertProducer({ producer: ((o: unknown) => ((opts = o), {})) as never });
    expect(opts).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
  });

  it('refuses sends after close', async () => {
    const { sink } = setup();
    await sink.close();
    await expect(sink.send([transition()])).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });
});
