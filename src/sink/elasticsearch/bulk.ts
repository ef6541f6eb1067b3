/**
 * Pure bulk logic: encode items into `create` operations and classify a `_bulk` response item by
 * item. An HTTP 200 can hide per-item failures: 409 version_conflict on create = already there
 * (acknowledged, counted as duplicate); 429 / 5xx / es_rejected_execution_exception = retry that
 * item; any other 4xx = dead-letter the item with its reason. An item missing from the response is
 * retried, never dropped.
 */
import type { estypes } from '@elastic/elasticsearch';
import { redactSecrets } from '../../telemetry/redact.js';
import type { DeadLetter } from '../sink.js';
import { DocumentError, targetFor } from './documents.js';
import type { DocumentCodec, TargetOptions } from './documents.js';

export interface EncodedItem<T> {
  readonly item: T;
  readonly id: string;
  readonly index: string;
  /** The source line, already serialised. */
  readonly json: string;
  /** Bytes of the action + source lines. */
  readonly bytes: number;
}

export interface RetryItem<T> {
  readonly encoded: EncodedItem<T>;
  readonly reason: string;
  readonly status: number;
}

export interface BulkOutcome<T> {
  readonly acknowledged: EncodedItem<T>[];
  readonly duplicates: number;
  readonly retry: RetryItem<T>[];
  readonly deadLettered: DeadLetter<T>[];
}

const MAX_DETAIL = 300;

export function encodeItems<T>(
  items: readonly T[],
  codec: DocumentCodec<T>,
  target: TargetOptions,
): { encoded: EncodedItem<T>[]; deadLettered: DeadLetter<T>[] } {
  const encoded: EncodedItem<T>[] = [];
  const deadLettered: DeadLetter<T>[] = [];
  for (const item of items) {
    try {
      const id = codec.id(item);
      const index = targetFor(target, codec.timestamp(item));
      const json = JSON.stringify(codec.source(item));
      const action = JSON.stringify({ create: { _index: index, _id: id } });
      encoded.push({ item, id, index, json, bytes: Buffer.byteLength(action) + Buffer.byteLength(json) + 2 });
    } catch (e) {
      if (e instanceof DocumentError) deadLettered.push({ item, reason: e.reason, detail: e.message });
      else deadLettered.push({ item, reason: 'not_serializable', detail: e instanceof Error ? e.message.slice(0, MAX_DETAIL) : 'cannot encode document' });
    }
  }
  return { encoded, deadLettered };
}

/** NDJSON body for `_bulk` (create actions, deterministic ids). */
export function bulkBody(items: readonly EncodedItem<unknown>[]): string {
  let body = '';
  for (const e of items) body += `${JSON.stringify({ create: { _index: e.index, _id: e.id } })}\n${e.json}\n`;
  return body;
}

export function isRetriableItem(status: number, errorType: string | undefined): boolean {
  return status === 429 || status >= 500 || errorType === 'es_rejected_execution_exception';
}

function firstOp(entry: Partial<Record<string, estypes.BulkResponseItem>> | undefined): estypes.BulkResponseItem | undefined {
  if (entry === undefined) return undefined;
  return entry.create ?? entry.index ?? Object.values(entry)[0];
}

export function classifyBulkResponse<T>(
  sent: readonly EncodedItem<T>[],
  response: Pick<estypes.BulkResponse, 'items' | 'errors'>,
  secrets: readonly string[] = [],
): BulkOutcome<T> {
  const acknowledged: EncodedItem<T>[] = [];
  const retry: RetryItem<T>[] = [];
  const deadLettered: DeadLetter<T>[] = [];
  let duplicates = 0;
  sent.forEach((encoded, i) => {
    const r = firstOp(response.items[i]);
    if (r === undefined || typeof r.status !== 'number') {
      retry.push({ encoded, reason: 'missing_item_in_response', status: 0 });
      return;
    }
    const type = r.error?.type;
    if (r.status >= 200 && r.status < 300 && r.error === undefined) {
      acknowledged.push(encoded);
    } else if (r.status === 409 && (type === undefined || type === 'version_conflict_engine_exception')) {
      acknowledged.push(encoded);
      duplicates++;
    } else if (isRetriableItem(r.status, type)) {
      retry.push({ encoded, reason: type ?? `http_${r.status}`, status: r.status });
    } else {
      const detail = redactSecrets(`${type ?? 'error'}: ${r.error?.reason ?? `HTTP ${r.status}`}`, secrets).slice(0, MAX_DETAIL);
      deadLettered.push({ item: encoded.item, reason: type ?? `http_${r.status}`, detail, status: r.status });
    }
  });
  return { acknowledged, duplicates, retry, deadLettered };
}
