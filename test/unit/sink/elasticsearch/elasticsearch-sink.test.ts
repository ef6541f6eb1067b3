import { Client } from '@elastic/elasticsearch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../../src/model/transition.js';
import { esClientOptions } from '../../../../src/sink/elasticsearch/client.js';
import { alertCodec } from '../../../../src/sink/elasticsearch/documents.js';
import { ElasticsearchSink } from '../../../../src/sink/elasticsearch/elasticsearch-sink.js';
import { EsSetup } from '../../../../src/sink/elasticsearch/setup.js';
import type { ModeSetting } from '../../../../src/sink/elasticsearch/features.js';
import { FakeElasticsearch, bulkOk, created, itemError } from '../../../support/fake-elasticsearch.js';
import { captureLogger } from '../../../support/capture-logger.js';
import { transition } from '../../../support/transitions.js';

const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const secret = (v: string) => ({ reveal: () => v });

function alerts(n: number): AlertTransition[] {
  return Array.from({ length: n }, (_, i) => transition({ id: `key${i}-1` }));
}

describe('ElasticsearchSink against a fake Elasticsearch', () => {
  let es: FakeElasticsearch;
  let client: Client;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    es = await new FakeElasticsearch().start();
    log = captureLogger();
  });
  afterEach(async () => {
    await client?.close();
    await es.stop();
  });

  function makeSink(opts: { mode?: ModeSetting; maxItems?: number; maxBytes?: number; maxAttempts?: number } = {}) {
    const { options, secrets } = esClientOptions({ url: es.url, api_key: secret(API_KEY) }, { request_timeout_ms: 5000, compression: false });
    client = new Client(options);
    const setup = new EsSetup(client, {
      mode: opts.mode ?? 'auto',
      manageTemplates: true,
      prefixes: {},
      secrets,
      logger: log.logger,
    });
    return new ElasticsearchSink<AlertTransition>({
      client,
      setup,
      codec: alertCodec,
      prefix: 'tripline-alerts',
      namespace: 'default',
      limits: { maxItems: opts.maxItems ?? 500, maxBytes: opts.maxBytes ?? 5_000_000 },
      retry: { maxAttempts: opts.maxAttempts ?? 5, maxTimeMs: 10_000, minDelayMs: 1, maxDelayMs: 5 },
      secrets,
      logger: log.logger,
    });
  }

  it('handles a 200 with mixed item errors item by item: retries only 429/es_rejected, dead-letters 4xx, 409 = duplicate', async () => {
    const sink = makeSink();
    const batch = alerts(6);
    es.bulkScripts.push((ops) =>
      bulkOk([
        created(ops[0]!),
        itemError(ops[1]!, 409, 'version_conflict_engine_exception'),
        itemError(ops[2]!, 429, 'es_rejected_execution_exception'),
        itemError(ops[3]!, 503, 'unavailable_shards_exception'),
        itemError(ops[4]!, 400, 'mapper_parsing_exception', 'failed to parse field [value] of type [double]'),
        itemError(ops[5]!, 500, 'es_rejected_execution_exception'),
      ]),
    );
    const result = await sink.send(batch);

    const bulks = es.bulkRequests;
    expect(bulks).toHaveLength(2);
    expect(bulks[1]!.map((o) => o.action.create!._id)).toEqual([2, 3, 5].map((i) => alertCodec.id(batch[i]!)));
    expect(bulks.flat().every((o) => o.action.create !== undefined)).toBe(true);
    expect(result.acknowledged).toEqual([batch[0], batch[1], batch[2], batch[3], batch[5]]);
    expect(result.duplicates).toBe(1);
    expect(result.deadLettered).toHaveLength(1);
    expect(result.deadLettered[0]).toMatchObject({ item: batch[4], reason: 'mapper_parsing_exception', status: 400 });
    expect(result.deadLettered[0]!.detail).toContain('failed to parse field');
    expect(result.acknowledged.length + result.deadLettered.length).toBe(batch.length);
    expect(sink.isStalled()).toBe(false);
  });

  it('retries whole-request 500 and 429, then succeeds', async () => {
    const sink = makeSink();
    es.bulkScripts.push(() => ({ status: 500, body: { error: { type: 'internal' }, status: 500 } }));
    es.bulkScripts.push(() => ({ status: 429, body: { error: { type: 'es_rejected_execution_exception' }, status: 429 } }));
    const result = await sink.send(alerts(3));
    expect(es.bulkRequests).toHaveLength(3);
    expect(result.acknowledged).toHaveLength(3);
    expect(result.deadLettered).toEqual([]);
  });

  it('treats a whole-request 401 as stalling: rejects SINK_AUTH, drops nothing, no key in message or logs', async () => {
    const sink = makeSink();
    es.bulkScripts.push(() => ({
      status: 401,
      body: { error: { type: 'security_exception', reason: `unable to authenticate with provided credentials [ApiKey ${API_KEY}]` }, status: 401 },
    }));
    const err = await sink.send(alerts(2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'TriplineError', code: 'SINK_AUTH', retriable: true });
    expect(es.bulkRequests).toHaveLength(1); // not hammered inside the send: the service pauses
    expect(sink.isStalled()).toBe(true);
    expect(sink.health()).toMatchObject({ healthy: false, stalled: true, lastError: { code: 'SINK_AUTH' } });
    const everything = `${String((err as Error).message)}${JSON.stringify(sink.health())}${log.text()}`;
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(Buffer.from(API_KEY).toString('base64'));

    // Credentials fixed: the same batch goes through and the sink is healthy again.
    const result = await sink.send(alerts(2));
    expect(result.acknowledged).toHaveLength(2);
    expect(sink.isStalled()).toBe(false);
  });

  it('sends the API key in the Authorization header only', async () => {
    const sink = makeSink();
    await sink.send(alerts(1));
    const bulk = es.requests.find((r) => r.path.startsWith('/_bulk'))!;
    expect(bulk.headers.authorization).toBe(`ApiKey ${API_KEY}`);
    expect(bulk.body).not.toContain(API_KEY);
  });

  it('treats a whole-request 403 as SINK_AUTH and another 4xx as SINK_STALLED', async () => {
    const sink = makeSink();
    es.bulkScripts.push(() => ({ status: 403, body: { error: { type: 'security_exception' }, status: 403 } }));
    await expect(sink.send(alerts(1))).rejects.toMatchObject({ code: 'SINK_AUTH' });
    es.bulkScripts.push(() => ({ status: 400, body: { error: { type: 'illegal_argument_exception' }, status: 400 } }));
    await expect(sink.send(alerts(1))).rejects.toMatchObject({ code: 'SINK_STALLED', retriable: true });
    expect(es.bulkRequests).toHaveLength(2);
  });

  it('keeps failing with a retriable error when it cannot get through', async () => {
    const sink = makeSink({ maxAttempts: 3 });
    for (let i = 0; i < 3; i++) es.bulkScripts.push(() => ({ status: 503, body: { error: { type: 'unavailable' }, status: 503 } }));
    await expect(sink.send(alerts(2))).rejects.toMatchObject({ code: 'SINK_RETRIABLE', retriable: true });
    expect(es.bulkRequests).toHaveLength(3);
    expect(sink.isStalled()).toBe(true);
  });

  it('keeps failing with a retriable error when items keep being rejected', async () => {
    const sink = makeSink({ maxAttempts: 2 });
    for (let i = 0; i < 2; i++) es.bulkScripts.push((ops) => bulkOk(ops.map((o) => itemError(o, 429, 'es_rejected_execution_exception'))));
    await expect(sink.send(alerts(2))).rejects.toMatchObject({ code: 'SINK_RETRIABLE' });
  });

  it('retries network errors (connection refused) and reports SINK_NETWORK', async () => {
    const sink = makeSink({ maxAttempts: 2 });
    await es.stop();
    await expect(sink.send(alerts(1))).rejects.toMatchObject({ retriable: true });
  });

  it('splits on 413 and dead-letters a single item that is still too large', async () => {
    const sink = makeSink();
    const batch = alerts(4);
    es.bulkScripts.push(() => ({ status: 413, body: { error: { type: 'request_entity_too_large' }, status: 413 } }));
    es.bulkScripts.push(() => undefined); // first half ok
    es.bulkScripts.push(() => ({ status: 413, body: {} })); // second half too large
    es.bulkScripts.push(() => undefined); // item 2 ok
    es.bulkScripts.push(() => ({ status: 413, body: {} })); // item 3 too large alone
    const result = await sink.send(batch);
    expect(es.bulkRequests.map((b) => b.length)).toEqual([4, 2, 2, 1, 1]);
    expect(result.acknowledged).toEqual([batch[0], batch[1], batch[2]]);
    expect(result.deadLettered).toMatchObject([{ item: batch[3], reason: 'too_large', status: 413 }]);
  });

  it('chunks by maxItems and maxBytes', async () => {
    const sink = makeSink({ maxItems: 2 });
    await sink.send(alerts(5));
    expect(es.bulkRequests.map((b) => b.length)).toEqual([2, 2, 1]);
    const small = makeSink({ maxBytes: 1 });
    await small.send(alerts(3));
    expect(es.bulkRequests.slice(3).map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it('dead-letters a document with an invalid @timestamp without sending it', async () => {
    const sink = makeSink();
    const bad = transition({ id: 'bad-1', timestamp: 'not a date' });
    const good = transition({ id: 'good-1' });
    const result = await sink.send([bad, good]);
    expect(result.acknowledged).toEqual([good]);
    expect(result.deadLettered).toMatchObject([{ item: bad, reason: 'bad_timestamp' }]);
    expect(es.bulkRequests[0]!.map((o) => o.action.create!._id)).toEqual([alertCodec.id(good)]);
  });

  it('falls back to dated indices when data streams and ILM are absent ("no handler")', async () => {
    const sink = makeSink();
    await sink.send([transition({ timestamp: '2025-12-31T23:59:59.999+00:00' }), transition({ id: 'x-1', timestamp: '2026-01-01T00:30:00+02:00' })]);
    const puts = es.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path)).toEqual(['/_index_template/tripline-alerts', '/_index_template/tripline-metrics']);
    const body = JSON.parse(puts[0]!.body) as Record<string, unknown>;
    expect(body.index_patterns).toEqual(['tripline-alerts-*']);
    expect(body).not.toHaveProperty('data_stream');
    expect(JSON.stringify(body)).not.toContain('lifecycle');
    expect(es.bulkRequests[0]!.map((o) => o.action.create!._index)).toEqual(['tripline-alerts-2025.12.31', 'tripline-alerts-2025.12.31']);
    expect(log.text()).toContain('data streams not available');
  });

  it('uses data streams with ILM when both are present', async () => {
    es.probeStatus = { '/_data_stream': 200, '/_ilm/status': 200 };
    const sink = makeSink();
    await sink.send(alerts(1));
    const puts = es.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    expect(puts).toEqual(['/_ilm/policy/tripline-alerts', '/_index_template/tripline-alerts', '/_ilm/policy/tripline-metrics', '/_index_template/tripline-metrics']);
    const tpl = JSON.parse(es.requests.find((r) => r.path === '/_index_template/tripline-alerts')!.body) as {
      data_stream?: object;
      template: { settings: Record<string, unknown> };
    };
    expect(tpl.data_stream).toEqual({});
    expect(tpl.template.settings['index.lifecycle.name']).toBe('tripline-alerts');
    expect(es.bulkRequests[0]![0]!.action.create!._index).toBe('tripline-alerts-default');
  });

  it('installs templates once and retries setup after a failure', async () => {
    const sink = makeSink();
    es.forceStatus = { status: 503, body: { error: { type: 'unavailable' }, status: 503 } };
    await expect(sink.send(alerts(1))).rejects.toMatchObject({ code: 'SINK_RETRIABLE' });
    es.forceStatus = undefined;
    await sink.send(alerts(1));
    await sink.send(alerts(1));
    expect(es.requests.filter((r) => r.path.startsWith('/_index_template/'))).toHaveLength(2);
  });

  it('refuses sends after close', async () => {
    const sink = makeSink();
    await sink.close();
    await expect(sink.send(alerts(1))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });
});
