import { describe, expect, it } from 'vitest';
import { bulkBody, classifyBulkResponse, encodeItems, isRetriableItem } from '../../../../src/sink/elasticsearch/bulk.js';
import { alertCodec } from '../../../../src/sink/elasticsearch/documents.js';
import { transition } from '../../../support/transitions.js';

const target = { mode: 'index' as const, prefix: 'tripline-alerts', namespace: 'default' };

function item(status: number, error?: { type: string; reason?: string }) {
  return { create: { _index: 'i', _id: 'x', status, ...(error ? { error } : {}) } };
}

describe('bulk encoding and classification', () => {
  const batch = [0, 1, 2, 3, 4, 5, 6].map((i) => transition({ id: `k${i}-1` }));
  const { encoded } = encodeItems(batch, alertCodec, target);

  it('encodes create actions with deterministic ids', () => {
    const body = bulkBody(encoded);
    const lines = body.trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(JSON.parse(lines[0]!)).toEqual({ create: { _index: 'tripline-alerts-2025.03.04', _id: alertCodec.id(batch[0]!) } });
    expect(encodeItems(batch, alertCodec, target).encoded.map((e) => e.id)).toEqual(encoded.map((e) => e.id));
  });

  it('classifies every item; nothing is dropped', () => {
    const out = classifyBulkResponse(encoded, {
      errors: true,
      items: [
        item(201),
        item(409, { type: 'version_conflict_engine_exception' }),
        item(429, { type: 'es_rejected_execution_exception' }),
        item(502),
        item(400, { type: 'mapper_parsing_exception', reason: 'bad' }),
        item(404, { type: 'index_not_found_exception', reason: 'no such index' }),
        // item 6 missing from the response
      ],
    });
    expect(out.acknowledged.map((e) => e.item)).toEqual([batch[0], batch[1]]);
    expect(out.duplicates).toBe(1);
    expect(out.retry.map((r) => [r.encoded.item, r.reason])).toEqual([
      [batch[2], 'es_rejected_execution_exception'],
      [batch[3], 'http_502'],
      [batch[6], 'missing_item_in_response'],
    ]);
    expect(out.deadLettered.map((d) => [d.item, d.reason, d.status])).toEqual([
      [batch[4], 'mapper_parsing_exception', 400],
      [batch[5], 'index_not_found_exception', 404],
    ]);
    expect(out.acknowledged.length + out.retry.length + out.deadLettered.length).toBe(batch.length);
  });

  it('a 409 that is not a version conflict is dead-lettered, not counted as duplicate', () => {
    const out = classifyBulkResponse(encoded.slice(0, 1), { errors: true, items: [item(409, { type: 'something_else' })] });
    expect(out.duplicates).toBe(0);
    expect(out.deadLettered).toHaveLength(1);
  });

  it('redacts secrets from item reasons', () => {
    const out = classifyBulkResponse(encoded.slice(0, 1), { errors: true, items: [item(400, { type: 'x', reason: 'echo sekrit-value-123' })] }, ['sekrit-value-123']);
    expect(out.deadLettered[0]!.detail).not.toContain('sekrit-value-123');
  });

  it('knows which item statuses retry', () => {
    expect(isRetriableItem(429, undefined)).toBe(true);
    expect(isRetriableItem(500, undefined)).toBe(true);
    expect(isRetriableItem(400, 'es_rejected_execution_exception')).toBe(true);
    expect(isRetriableItem(400, 'mapper_parsing_exception')).toBe(false);
    expect(isRetriableItem(409, 'version_conflict_engine_exception')).toBe(false);
  });
});
