/**
 * AlertTransition -> PagerDuty Events v2 event. pending: nothing. firing: `trigger` (first firing,
 * severity changes, and repeats unless `sendRepeats` is off). resolved: `resolve`, only when the
 * incident had fired (a pending-then-resolved alert never triggered, so there is nothing to close).
 * dedup_key = alert.id (stable per incident), truncated + hashed past 255 chars.
 */
import { createHash } from 'node:crypto';
import { kibanaDiscoverUrl } from '../kibana-url.js';
import type { AlertTransition } from '../../model/transition.js';

export type PdSeverity = 'critical' | 'error' | 'warning' | 'info';
export type PdAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PdPayload {
  summary: string;
  source: string;
  severity: PdSeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

export interface PdEvent {
  routing_key: string;
  event_action: PdAction;
  dedup_key?: string;
  payload?: PdPayload;
  client?: string;
  client_url?: string;
  links?: { href: string; text?: string }[];
  images?: { src: string; href?: string; alt?: string }[];
}

export const MAX_DEDUP_KEY = 255;
export const MAX_SUMMARY = 1024;
export const MAX_EVENT_BYTES = 512 * 1024;

export interface EventOptions {
  readonly source: string;
  readonly kibanaUrl?: string | undefined;
  readonly sendRepeats: boolean;
}

/** alert.id, or a prefix + `~` + sha256 when longer than 255 characters. */
export function dedupKeyFor(alertId: string): string {
  if (alertId.length <= MAX_DEDUP_KEY) return alertId;
  const hash = createHash('sha256').update(alertId).digest('base64url'); // 43 chars
  return `${alertId.slice(0, MAX_DEDUP_KEY - hash.length - 1)}~${hash}`;
}

/** Truncates to `max` code points, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const cps = Array.from(text);
  return cps.length <= max ? text : `${cps.slice(0, max - 1).join('')}…`;
}

export function actionFor(t: AlertTransition, sendRepeats: boolean): PdAction | undefined {
  switch (t.alert.state) {
    case 'pending':
      return undefined;
    case 'firing':
      return t.alert.repeat > 0 && !sendRepeats ? undefined : 'trigger';
    case 'resolved':
      return t.alert.previous === 'firing' ? 'resolve' : undefined;
  }
}


function groupText(group: Record<string, string>): string | undefined {
  const parts = Object.entries(group).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? undefined : truncate(parts.join(','), 255);
}

function byteSize(e: unknown): number {
  return Buffer.byteLength(JSON.stringify(e), 'utf8');
}

/** The wire event for one receiver, or undefined when this transition sends nothing. */
export function buildEvent(t: AlertTransition, routingKey: string, opts: EventOptions): PdEvent | undefined {
  const action = actionFor(t, opts.sendRepeats);
  if (action === undefined) return undefined;
  const dedup_key = dedupKeyFor(t.alert.id);
  const details: Record<string, unknown> = {
    value: t.value,
    threshold: t.threshold,
    ...(t.op === undefined ? {} : { op: t.op }),
    ...(t.baseline === undefined ? {} : { baseline: t.baseline }),
    window: t.window,
    group: t.group,
    labels: t.labels,
    alert: { id: t.alert.id, state: t.alert.state, previous: t.alert.previous, repeat: t.alert.repeat, flapping: t.alert.flapping },
    pattern: t.pattern,
    ...(t.runbook === undefined ? {} : { runbook: t.runbook }),
    samples: t.samples,
  };
  const group = groupText(t.group);
  const event: PdEvent = {
    routing_key: routingKey,
    event_action: action,
    dedup_key,
    payload: {
      summary: truncate(t.summary.trim() === '' ? `${t.pattern.id} ${t.alert.state}` : t.summary, MAX_SUMMARY),
      source: opts.source,
      severity: t.alert.severity,
      timestamp: t['@timestamp'],
      component: truncate(t.pattern.id, 255),
      ...(group === undefined ? {} : { group }),
      class: t.pattern.detector,
      custom_details: details,
    },
    client: 'tripline',
  };
  const links: { href: string; text: string }[] = [];
  if (opts.kibanaUrl !== undefined) {
    event.client_url = opts.kibanaUrl;
    const href = kibanaDiscoverUrl(opts.kibanaUrl, t);
    if (href !== undefined) links.push({ href, text: `${t.pattern.id} in Kibana` });
  }
  if (t.runbook !== undefined && /^https?:\/\//.test(t.runbook)) links.push({ href: t.runbook, text: 'Runbook' });
  if (links.length > 0) event.links = links;
  return fitSize(event, t.samples.length);
}

/** Drops samples, then all but the essentials of custom_details, to stay within 512 KB. */
function fitSize(event: PdEvent, sampleCount: number): PdEvent {
  if (byteSize(event) <= MAX_EVENT_BYTES || event.payload?.custom_details === undefined) return event;
  const d = event.payload.custom_details;
  delete d.samples;
  d.samples_dropped = sampleCount;
  if (byteSize(event) <= MAX_EVENT_BYTES) return event;
  event.payload.custom_details = { value: d.value, threshold: d.threshold, window: d.window, alert: d.alert, details_dropped: true };
  return event;
}
