/**
 * One POST to the Events v2 endpoint; answers "retry or not", like Alertmanager's
 * notify.Notifier. 202 done; 400/413/422 (the event itself is bad) no retry; 429/5xx/network
 * retry; 401/403/404/405 (endpoint or proxy misconfigured, not the event) retry too, so nothing is
 * dropped for a config problem. The routing key never appears in a message or log.
 */
import type { Logger } from 'pino';
import { TriplineError, isRetriableStatus } from '../../model/errors.js';
import { redactSecrets } from '../../telemetry/redact.js';
import type { PdEvent } from './event.js';

export interface NotifyResult {
  readonly retry: boolean;
  readonly error?: TriplineError;
  /** HTTP status when there was a response. */
  readonly status?: number;
  /** dedup_key from a 202 answer. */
  readonly dedupKey?: string;
}

export interface Notifier {
  notify(event: PdEvent): Promise<NotifyResult>;
}

export interface PagerDutyNotifierOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

const STALL_STATUSES = new Set([401, 403, 404, 405]);

export class PagerDutyNotifier implements Notifier {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: PagerDutyNotifierOptions) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  async notify(event: PdEvent): Promise<NotifyResult> {
    const secrets = [event.routing_key];
    const what = `pagerduty ${event.event_action}`;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const reason = redactSecrets(e instanceof Error ? `${e.name}: ${e.message}` : 'network error', secrets).slice(0, 200);
      return { retry: true, error: new TriplineError('SINK_NETWORK', `${what} failed: ${reason}`) };
    }
    if (res.status === 202 || (res.status >= 200 && res.status < 300)) {
      const dedupKey = parseDedupKey(text);
      return dedupKey === undefined ? { retry: false, status: res.status } : { retry: false, status: res.status, dedupKey };
    }
    const detail = redactSecrets(describeBody(text), secrets);
    if (isRetriableStatus(res.status)) {
      return { retry: true, status: res.status, error: new TriplineError('SINK_RETRIABLE', `${what} failed: HTTP ${res.status}${detail}`) };
    }
    if (STALL_STATUSES.has(res.status)) {
      const code = res.status === 401 || res.status === 403 ? 'SINK_AUTH' : 'SINK_STALLED';
      return { retry: true, status: res.status, error: new TriplineError(code, `${what} refused: HTTP ${res.status}${detail}; check the events URL`) };
    }
    const error = new TriplineError('SINK_REJECTED', `${what} rejected: HTTP ${res.status}${detail}`);
    this.opts.logger.warn({ status: res.status, action: event.event_action, dedup_key: event.dedup_key }, error.message);
    return { retry: false, status: res.status, error };
  }
}

function parseDedupKey(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { dedup_key?: unknown };
    return typeof body.dedup_key === 'string' ? body.dedup_key : undefined;
  } catch {
    return undefined;
  }
}

/** ` (message: errors)` from a PagerDuty error body, bounded. */
function describeBody(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const msg = typeof body.message === 'string' ? body.message : '';
    const errs = Array.isArray(body.errors) ? body.errors.filter((e): e is string => typeof e === 'string').join('; ') : '';
    const out = [msg, errs].filter((s) => s !== '').join(': ');
    return out === '' ? '' : ` (${out.slice(0, 300)})`;
  } catch {
    return '';
  }
}
