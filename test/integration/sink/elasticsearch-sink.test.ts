// The Elasticsearch sink against the real local node (the integ-test zip: no data streams, no ILM,
// no `GET /`). Verifies the dated-index fallback, the installed template mappings, idempotent
// redelivery (409 on create = duplicate) and per-item dead-lettering of a mapping failure.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import { esSinkOptionsSchema } from '../../../src/sink/elasticsearch/config.js';
import { alertCodec } from '../../../src/sink/elasticsearch/documents.js';
import { createElasticsearchSinks } from '../../../src/sink/elasticsearch/index.js';
import type { ElasticsearchSinks } from '../../../src/sink/elasticsearch/index.js';
import { captureLogger } from '../../support/capture-logger.js';
import { transition } from '../../support/transitions.js';
import { Cleanup, esClient, esClientMajor, stackInfo, uniqueName } from '../helpers/stack.js';

describe('ElasticsearchSink (real node)', () => {
  const cleanup = new Cleanup();
  const log = captureLogger();
  let es: Client;
  let sinks: ElasticsearchSinks;
  let alertsPrefix: string;
  let metricsPrefix: string;

  beforeAll(async () => {
    es = esClient();
    cleanup.add('close admin client', () => es.close());
    alertsPrefix = uniqueName('alerts');
    metricsPrefix = uniqueName('metrics');
    const serverMajor = Number(stackInfo().elasticsearchVersion.split('.')[0]);
    const options = esSinkOptionsSchema.parse({
      alerts_prefix: alertsPrefix,
      metrics_prefix: metricsPrefix,
      refresh: 'wait_for',
      retry: { max_attempts: 3, max_time_ms: 10_000, min_delay_ms: 50, max_delay_ms: 500 },
      ...(serverMajor < esClientMajor ? { compatible_with: serverMajor } : {}),
    });
    sinks = createElasticsearchSinks({ url: stackInfo().elasticsearchUrl }, options, { logger: log.logger });
    cleanup.add('close sinks', () => sinks.close());
    for (const p of [alertsPrefix, metricsPrefix]) {
      cleanup.add(`delete template ${p}`, () => es.indices.deleteIndexTemplate({ name: p }, { ignore: [404] }));
      cleanup.add(`delete indices ${p}-*`, async () => {
        // Wildcard deletes are refused (destructive_requires_name): resolve the names first.
        const names = Object.keys(await es.indices.get({ index: `${p}-*`, allow_no_indices: true, ignore_unavailable: true }));
        if (names.length > 0) await es.indices.delete({ index: names });
      });
    }
  });

  afterAll(async () => {
    await cleanup.run();
  });

  it('detects the missing data stream / ILM support and falls back to dated indices with our template', async () => {
    const decision = await sinks.setup.ensureReady();
    expect(decision.mode).toBe('index');
    expect(log.text()).toContain('dated indices');
    const tpl = await es.indices.getIndexTemplate({ name: alertsPrefix });
    expect(tpl.index_templates[0]!.index_template.index_patterns).toEqual([`${alertsPrefix}-*`]);
  });

  it('writes alerts to the dated index with the explicit mapping, and redelivery is a duplicate', async () => {
    const batch: AlertTransition[] = [
      transition({ id: 'it-a-1', timestamp: '2025-03-04T23:59:59Z', group: { 'service.name': 'payments', region: 'eu' } }),
      transition({ id: 'it-b-1', timestamp: '2025-03-05T00:00:01Z', state: 'resolved' }),
    ];
    const first = await sinks.alerts.send(batch);
    expect(first).toEqual({ acknowledged: batch, duplicates: 0, deadLettered: [] });

    const doc = await es.get({ index: `${alertsPrefix}-2025.03.04`, id: alertCodec.id(batch[0]!) });
    expect((doc._source as AlertTransition).alert.id).toBe('it-a-1');
    const b = await es.get({ index: `${alertsPrefix}-2025.03.05`, id: alertCodec.id(batch[1]!) });
    expect(b.found).toBe(true);

    const mapping = await es.indices.getMapping({ index: `${alertsPrefix}-2025.03.04` });
    const props = Object.values(mapping)[0]!.mappings.properties!;
    expect(props['@timestamp']).toMatchObject({ type: 'date' });
    expect(props.samples).toMatchObject({ type: 'object', enabled: false });
    expect(props.value).toMatchObject({ type: 'double' });
    const alertProps = (props.alert as { properties: Record<string, { type: string }> }).properties;
    expect(alertProps.id!.type).toBe('keyword');
    expect(alertProps.state!.type).toBe('keyword');
    const group = props.group as { properties: Record<string, { type?: string; properties?: Record<string, { type: string }> }> };
    expect(group.properties.region!.type).toBe('keyword');
    expect(group.properties.service!.properties!.name!.type).toBe('keyword');
    const labels = props.labels as { properties: Record<string, { type: string }> };
    expect(labels.properties.team!.type).toBe('keyword');

    const again = await sinks.alerts.send(batch);
    expect(again).toEqual({ acknowledged: batch, duplicates: 2, deadLettered: [] });
    const count = await es.count({ index: `${alertsPrefix}-*` });
    expect(count.count).toBe(2);
  });

  it('dead-letters a document the mapping rejects and keeps the rest of the batch', async () => {
    const good = transition({ id: 'it-c-1' });
    const bad = { ...transition({ id: 'it-d-1' }), value: 'not a number' } as unknown as AlertTransition;
    const result = await sinks.alerts.send([good, bad]);
    expect(result.acknowledged).toEqual([good]);
    expect(result.deadLettered).toHaveLength(1);
    expect(result.deadLettered[0]!.item).toBe(bad);
    expect(result.deadLettered[0]!.status).toBe(400);
    expect(result.deadLettered[0]!.reason).toMatch(/pars/);
    expect(sinks.alerts.isStalled()).toBe(false);
  });

  it('writes metrics with deterministic ids', async () => {
    const m = {
      '@timestamp': '2025-03-04T05:06:00Z',
      pattern: { id: 'p' },
      group: { svc: 'a' },
      group_key: '["a"]',
      window: { start: '2025-03-04T05:01:00Z', end: '2025-03-04T05:06:00Z' },
      value: 3,
      count: 3,
    };
    expect((await sinks.metrics.send([m])).acknowledged).toHaveLength(1);
    expect(await sinks.metrics.send([m])).toMatchObject({ duplicates: 1 });
  });
});
