/**
 * Elasticsearch sink: `_bulk` with op_type `create` and deterministic ids, chunked by count and
 * bytes, retried item by item. See bulk.ts for per-item classification and request-errors.ts for
 * whole-request failures. A send resolves only when every item is acknowledged or dead-lettered;
 * otherwise it rejects with a retriable TriplineError and the sink reports itself stalled. Items
 * acknowledged before a rejection are safe to resend: a redelivery answers 409 = duplicate.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { TriplineError } from '../../model/errors.js';
import type { BatchLimits } from '../batcher.js';
import { chunk } from '../batcher.js';
import { withRetry } from '../retry.js';
import type { RetryPolicy } from '../retry.js';
import { BaseSink } from '../sink.js';
import type { DeadLetter, SendResult } from '../sink.js';
import { bulkBody, classifyBulkResponse, encodeItems } from './bulk.js';
import type { EncodedItem } from './bulk.js';
import type { DocumentCodec } from './documents.js';
import type { WriteMode } from './features.js';
import { PAYLOAD_TOO_LARGE, mapRequestError, statusOf } from './request-errors.js';
import type { EsSetup } from './setup.js';

export interface ElasticsearchSinkOptions<T> {
  readonly client: Client;
  readonly setup: Pick<EsSetup, 'ensureReady'>;
  readonly codec: DocumentCodec<T>;
  /** Index / data stream prefix, e.g. `tripline-alerts`. */
  readonly prefix: string;
  readonly namespace: string;
  readonly limits: Pick<BatchLimits, 'maxItems' | 'maxBytes'>;
  readonly retry: RetryPolicy;
  readonly refresh?: 'false' | 'wait_for';
  readonly secrets: readonly string[];
  readonly logger: Logger;
}

export interface ElasticsearchSinkStats {
  acknowledged: number;
  duplicates: number;
  deadLettered: number;
  retriedItems: number;
  failedRequests: number;
}

interface Acc<T> {
  acknowledged: T[];
  duplicates: number;
  deadLettered: DeadLetter<T>[];
}

/** Errors that retrying inside one send cannot fix: surface at once, the service pauses. */
function retryInside(e: TriplineError): boolean {
  return e.retriable && e.code !== 'SINK_AUTH' && e.code !== 'SINK_STALLED';
}

export class ElasticsearchSink<T> extends BaseSink<T> {
  readonly stats: ElasticsearchSinkStats = { acknowledged: 0, duplicates: 0, deadLettered: 0, retriedItems: 0, failedRequests: 0 };

  constructor(private readonly opts: ElasticsearchSinkOptions<T>) {
    super('elasticsearch');
  }

  protected async doSend(batch: readonly T[]): Promise<SendResult<T>> {
    try {
      const decision = await this.opts.setup.ensureReady();
      const result = await this.write(batch, decision.mode);
      this.health_.ok();
      return result;
    } catch (e) {
      const err = mapRequestError(e, 'send', this.opts.secrets);
      this.health_.failed(err);
      this.opts.logger.warn({ code: err.code, retriable: err.retriable, items: batch.length }, err.message);
      throw err;
    }
  }

  private async write(batch: readonly T[], mode: WriteMode): Promise<SendResult<T>> {
    const { encoded, deadLettered } = encodeItems(batch, this.opts.codec, { mode, prefix: this.opts.prefix, namespace: this.opts.namespace });
    const acc: Acc<T> = { acknowledged: [], duplicates: 0, deadLettered: [...deadLettered] };
    for (const part of chunk(encoded, this.opts.limits, (e) => e.bytes)) {
      await this.writeChunk(part, acc);
    }
    this.stats.acknowledged += acc.acknowledged.length;
    this.stats.duplicates += acc.duplicates;
    this.stats.deadLettered += acc.deadLettered.length;
    for (const d of acc.deadLettered) {
      this.opts.logger.warn({ reason: d.reason, status: d.status }, `elasticsearch dead-lettered a document: ${d.detail}`);
    }
    return { acknowledged: acc.acknowledged, duplicates: acc.duplicates, deadLettered: acc.deadLettered };
  }

  /** Retries the not-yet-acknowledged items of one chunk until all are settled or the policy is exhausted. */
  private async writeChunk(part: readonly EncodedItem<T>[], acc: Acc<T>): Promise<void> {
    let pending = part;
    const tooLarge: EncodedItem<T>[][] = [];
    await withRetry(
      this.opts.retry,
      async () => {
        let response;
        try {
          // A pre-serialised NDJSON string is sent as-is by the transport (no re-serialisation).
          response = await this.opts.client.bulk({ body: bulkBody(pending) as unknown as unknown[], ...(this.opts.refresh === 'wait_for' ? { refresh: 'wait_for' as const } : {}) });
        } catch (e) {
          this.stats.failedRequests++;
          if (statusOf(e) === PAYLOAD_TOO_LARGE) {
            // Split and send the halves after this loop; a single item that is too large is dead-lettered.
            tooLarge.push([...pending]);
            pending = [];
            return;
          }
          throw mapRequestError(e, 'bulk request', this.opts.secrets);
        }
        const outcome = classifyBulkResponse(pending, response, this.opts.secrets);
        for (const a of outcome.acknowledged) acc.acknowledged.push(a.item);
        acc.duplicates += outcome.duplicates;
        acc.deadLettered.push(...outcome.deadLettered);
        pending = outcome.retry.map((r) => r.encoded);
        if (pending.length > 0) {
          this.stats.retriedItems += pending.length;
          const reasons = [...new Set(outcome.retry.map((r) => r.reason))].join(', ');
          throw new TriplineError('SINK_RETRIABLE', `elasticsearch rejected ${pending.length} item(s) temporarily (${reasons})`);
        }
      },
      {
        shouldRetry: retryInside,
        onRetry: (err, attempt) => this.opts.logger.debug({ attempt, code: err.code }, `retrying elasticsearch bulk: ${err.message}`),
      },
    );
    for (const big of tooLarge) {
      if (big.length === 1) {
        const only = big[0]!;
        acc.deadLettered.push({ item: only.item, reason: 'too_large', detail: `document of ${only.bytes} bytes exceeds the request size limit`, status: PAYLOAD_TOO_LARGE });
      } else {
        const mid = Math.ceil(big.length / 2);
        await this.writeChunk(big.slice(0, mid), acc);
        await this.writeChunk(big.slice(mid), acc);
      }
    }
  }
}
