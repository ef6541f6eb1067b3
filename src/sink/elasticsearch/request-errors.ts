/**
 * Maps a whole-request failure from the Elasticsearch client to a TriplineError. Nothing is ever
 * dropped on a whole-request failure: 429/5xx/network retry; 401/403 stall with SINK_AUTH (Vector
 * lost records here); 413 is split by the caller; any other 4xx stalls with SINK_STALLED.
 * Messages carry the status and the error type only, redacted: client errors can echo headers.
 */
import { errors } from '@elastic/elasticsearch';
import { TriplineError, isRetriableStatus } from '../../model/errors.js';
import { redactSecrets } from '../../telemetry/redact.js';

export const PAYLOAD_TOO_LARGE = 413;

export function statusOf(e: unknown): number | undefined {
  return e instanceof errors.ResponseError ? e.statusCode : undefined;
}

function errorType(e: errors.ResponseError): string {
  const body: unknown = e.body;
  if (body !== null && typeof body === 'object' && 'error' in body) {
    const err = (body as { error: unknown }).error;
    if (typeof err === 'string') return err.slice(0, 120);
    if (err !== null && typeof err === 'object' && 'type' in err) return String((err as { type: unknown }).type);
  }
  return 'http_error';
}

/** Pure status -> error decision, shared by the bulk path and the probes. */
export function errorForStatus(status: number, what: string, type: string): TriplineError {
  if (status === 401 || status === 403) {
    return new TriplineError('SINK_AUTH', `elasticsearch ${what} refused: HTTP ${status} ${type}; sink stalled until credentials or privileges are fixed`);
  }
  if (isRetriableStatus(status)) return new TriplineError('SINK_RETRIABLE', `elasticsearch ${what} failed: HTTP ${status} ${type}`);
  return new TriplineError('SINK_STALLED', `elasticsearch ${what} rejected: HTTP ${status} ${type}; sink stalled, nothing dropped`);
}

export function mapRequestError(e: unknown, what: string, secrets: readonly string[]): TriplineError {
  if (e instanceof TriplineError) return e;
  let err: TriplineError;
  if (e instanceof errors.ResponseError && e.statusCode !== undefined) {
    err = errorForStatus(e.statusCode, what, errorType(e));
  } else if (e instanceof errors.ConnectionError || e instanceof errors.TimeoutError || e instanceof errors.NoLivingConnectionsError) {
    err = new TriplineError('SINK_NETWORK', `elasticsearch ${what} failed: ${e.name}: ${e.message}`);
  } else if (e instanceof errors.ProductNotSupportedError) {
    err = new TriplineError('SINK_STALLED', `elasticsearch ${what}: the server is not Elasticsearch (product check failed)`);
  } else if (e instanceof errors.DeserializationError || e instanceof errors.RequestAbortedError) {
    err = new TriplineError('SINK_RETRIABLE', `elasticsearch ${what} failed: ${e.name}`);
  } else {
    err = new TriplineError('SINK_RETRIABLE', `elasticsearch ${what} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error'}`);
  }
  // Never chain the client error as `cause`: it holds request headers. Keep a redacted message only.
  return new TriplineError(err.code, redactSecrets(err.message, secrets).slice(0, 500), { retriable: err.retriable });
}
