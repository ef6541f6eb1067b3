/**
 * What each record becomes in Elasticsearch: its deterministic `_id`, its target (data stream or
 * dated index from the doc's own @timestamp, UTC) and its source. Deterministic ids plus
 * op_type `create` make redelivery idempotent (409 = already there).
 */
import { createHash } from 'node:crypto';
import type { AlertTransition } from '../../model/transition.js';
import { kibanaDiscoverUrl } from '../kibana-url.js';
import type { WriteMode } from './features.js';

/**
 * One evaluated window value, written to `tripline-metrics-*` (the engine decides how often).
 * Defined here because only the sink consumes it; move to src/model if others need it.
 */
export interface MetricRecord {
  /** Window end (ISO 8601). */
  '@timestamp': string;
  pattern: { id: string };
  group: Record<string, string>;
  /** Canonical group key (MatchResult.groupKey). */
  group_key: string;
  window: { start: string; end: string };
  value: number;
  threshold?: number;
  count?: number;
  total?: number;
}

export interface TargetOptions {
  readonly mode: WriteMode;
  /** e.g. `tripline-alerts`. */
  readonly prefix: string;
  /** Data stream namespace (data_stream mode): `<prefix>-<namespace>`. */
  readonly namespace: string;
}

export interface DocumentCodec<T> {
  /** Deterministic `_id` (<= 512 bytes). */
  id(item: T): string;
  /** The document's @timestamp (ISO 8601) — chooses the dated index. */
  timestamp(item: T): string;
  source(item: T): Record<string, unknown>;
}

export class DocumentError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

const MAX_READABLE_ID = 200;

function hashId(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Keeps short ids readable, hashes long ones. */
export function boundedId(readable: string): string {
  return Buffer.byteLength(readable, 'utf8') <= MAX_READABLE_ID ? readable : `h-${hashId(readable)}`;
}

/** Dated index name `<prefix>-YYYY.MM.DD` from an ISO timestamp, in UTC. */
export function datedIndex(prefix: string, isoTimestamp: string): string {
  const ms = Date.parse(isoTimestamp);
  if (!Number.isFinite(ms)) throw new DocumentError('bad_timestamp', `@timestamp is not a valid date: ${JSON.stringify(isoTimestamp).slice(0, 64)}`);
  const d = new Date(ms);
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${prefix}-${d.getUTCFullYear()}.${mm}.${dd}`;
}

export function targetFor(opts: TargetOptions, isoTimestamp: string): string {
  if (opts.mode === 'index') return datedIndex(opts.prefix, isoTimestamp);
  if (!Number.isFinite(Date.parse(isoTimestamp))) throw new DocumentError('bad_timestamp', '@timestamp is not a valid date');
  return `${opts.prefix}-${opts.namespace}`;
}

/** Alerts: `<alert.id>-<state>-<repeat>-<epoch ms>`; the timestamp separates severity changes. */
export const alertCodec: DocumentCodec<AlertTransition> = alertCodecFor(undefined);

/**
 * Alerts, with `event.url` (ECS: where to continue the investigation) set to the Kibana Discover
 * view of the pattern's saved search, filtered to the group and time range, when a base URL is set.
 */
export function alertCodecFor(kibanaUrl: string | undefined): DocumentCodec<AlertTransition> {
  return {
    id: (t) => boundedId(`${t.alert.id}-${t.alert.state}-${t.alert.repeat}-${Date.parse(t['@timestamp'])}`),
    timestamp: (t) => t['@timestamp'],
    source: (t) => {
      const url = kibanaDiscoverUrl(kibanaUrl, t);
      return url === undefined ? { ...t } : { ...t, event: { url } };
    },
  };
}

/** Metrics: hash of (pattern id, group key, window end). */
export const metricCodec: DocumentCodec<MetricRecord> = {
  id: (m) => `m-${hashId(JSON.stringify([m.pattern.id, m.group_key, m.window.end]))}`,
  timestamp: (m) => m['@timestamp'],
  source: (m) => ({ ...m }),
};
