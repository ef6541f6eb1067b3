import { describe, expect, it } from 'vitest';
import { alertCodec, alertCodecFor, boundedId, datedIndex, metricCodec, targetFor } from '../../../../src/sink/elasticsearch/documents.js';
import type { MetricRecord } from '../../../../src/sink/elasticsearch/documents.js';
import { transition } from '../../../support/transitions.js';

const metric = (o: Partial<MetricRecord> = {}): MetricRecord => ({
  '@timestamp': '2025-03-04T05:06:00Z',
  pattern: { id: 'p' },
  group: { svc: 'a' },
  group_key: '["a"]',
  window: { start: '2025-03-04T05:01:00Z', end: '2025-03-04T05:06:00Z' },
  value: 1,
  ...o,
});

describe('documents', () => {
  it('derives alert ids from id, state, repeat and time', () => {
    const t = transition({ id: 'abc-2', state: 'firing', repeat: 3 });
    expect(alertCodec.id(t)).toBe(`abc-2-firing-3-${Date.parse(t['@timestamp'])}`);
    expect(alertCodec.id(transition({ id: 'abc-2', state: 'resolved' }))).not.toBe(alertCodec.id(transition({ id: 'abc-2', state: 'firing' })));
    expect(alertCodec.id(transition({ id: 'abc-2', severity: 'warning', timestamp: '2025-01-01T00:00:01Z' }))).not.toBe(
      alertCodec.id(transition({ id: 'abc-2', severity: 'critical', timestamp: '2025-01-01T00:00:02Z' })),
    );
  });

  it('links an alert to its Kibana Discover view when a base URL is set', () => {
    const t = transition({ patternId: 'payments-5xx' });
    expect(alertCodec.source(t)['event']).toBeUndefined();
    const doc = alertCodecFor('https://kibana.example').source(t) as { event: { url: string } };
    expect(doc.event.url).toMatch(/^https:\/\/kibana\.example\/app\/discover#\/view\/tripline-pattern-payments-5xx\?/);
    expect(alertCodecFor('https://kibana.example').id(t)).toBe(alertCodec.id(t));
  });

  it('hashes long ids to stay under the 512-byte limit', () => {
    const id = boundedId('x'.repeat(1000));
    expect(id.startsWith('h-')).toBe(true);
    expect(Buffer.byteLength(id)).toBeLessThan(512);
    expect(boundedId('short')).toBe('short');
  });

  it('derives metric ids from pattern, group key and window end only', () => {
    expect(metricCodec.id(metric())).toBe(metricCodec.id(metric({ value: 99 })));
    expect(metricCodec.id(metric())).not.toBe(metricCodec.id(metric({ group_key: '["b"]' })));
    expect(metricCodec.id(metric())).not.toBe(metricCodec.id(metric({ window: { start: 'x', end: '2025-03-04T05:07:00Z' } })));
  });

  it('names dated indices in UTC from the document timestamp', () => {
    expect(datedIndex('tripline-alerts', '2025-01-01T01:00:00+03:00')).toBe('tripline-alerts-2024.12.31');
    expect(datedIndex('tripline-metrics', '2025-11-09T23:59:59Z')).toBe('tripline-metrics-2025.11.09');
    expect(() => datedIndex('p', 'garbage')).toThrow(expect.objectContaining({ reason: 'bad_timestamp' }));
    expect(targetFor({ mode: 'data_stream', prefix: 'tripline-alerts', namespace: 'prod' }, '2025-01-01T00:00:00Z')).toBe('tripline-alerts-prod');
  });
});
