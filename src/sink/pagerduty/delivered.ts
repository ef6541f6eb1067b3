/**
 * What was delivered to PagerDuty, per (receiver, dedup key), durable across restarts.
 *
 * Why: the service checkpoint waits for every sink, so while another sink (Elasticsearch) is down
 * no checkpoint completes while PagerDuty keeps accepting triggers and resolves. A crash then
 * replays everything since the last checkpoint, and an incident already triggered AND resolved
 * would be opened and resolved a second time (after a resolve PagerDuty opens a new incident for
 * the same dedup_key). Alert ids are `<key>-<seq>` and a new incident of the same key gets seq+1,
 * and the transitions of one alert id come in event-time order (@timestamp = evaluation boundary,
 * reproduced identically by a replay), so an event is "covered" (not sent) when:
 *   - a `resolve` was delivered for the dedup key at or after its transition time: the incident
 *     is over, nothing of it is sent again (trigger or resolve);
 *   - a `trigger` was delivered later than it, or at the same time with a higher repeat, or is
 *     this very event (same time, repeat and severity).
 * Ordering by transition time rather than "resolved = never again" keeps a reused alert id (the
 * seq restarts at 1 when the state topic is reset or after many group evictions, see
 * src/engine/pattern-runtime.ts) from being silenced: its new trigger is later than the old resolve.
 *
 * `record` is called by the delivery loop after PagerDuty answered 202 and before the event
 * counts as delivered: it writes the store (the compacted topic `<group_id>-pagerduty-delivered`,
 * see delivered-store.ts; acks=all) and only then updates memory. `load` seeds memory at start.
 *
 * Bounds. Memory is an LRU of `maxKeys` (default 100,000) dedup keys. At load, records of
 * resolved incidents older than `horizonMs` (default 7 days, by delivery time) are not seeded and
 * are tombstoned, so the compacted topic does not grow with every incident ever. Forgetting is
 * safe once the incident is older than any replay: a replay reaches back only to the last
 * completed checkpoint, so only a checkpoint stalled for longer than the horizon (or more than
 * `maxKeys` incidents since it) could page twice.
 */
import type { Logger } from 'pino';
import type { PdAction, PdSeverity } from './event.js';

/** One delivered event, identified for the durable memory. */
export interface DeliveryMark {
  /** Record key: receiver name + dedup key (the routing key itself is a secret, never stored). */
  readonly key: string;
  readonly action: PdAction;
  readonly severity: PdSeverity;
  readonly repeat: number;
  /** The transition's @timestamp (event time). */
  readonly ts: string;
}

/** The stored value (JSON). `at`: wall-clock time of the delivery (ISO). */
export interface DeliveredRecord {
  readonly action: PdAction;
  readonly severity: PdSeverity;
  readonly repeat: number;
  readonly ts: string;
  readonly at: string;
}

/** Where the records live (the compacted topic in the service; nothing, or a fake, in tests). */
export interface DeliveredStore {
  /** Durable write (null = tombstone); resolves once acknowledged. */
  write(key: string, value: DeliveredRecord | null): Promise<void>;
  /** Every stored record in write order (later ones win). */
  readAll(onRecord: (key: string, value: DeliveredRecord | null) => void): Promise<void>;
  close?(): Promise<void>;
}

export function deliveredKey(receiver: string, dedupKey: string): string {
  return JSON.stringify([receiver, dedupKey]);
}

export interface DeliveredMemoryOptions {
  readonly store?: DeliveredStore | undefined;
  readonly logger?: Logger | undefined;
  /** Keys remembered in memory (LRU, default 100,000). */
  readonly maxKeys?: number;
  /** Resolved records older than this are forgotten and tombstoned at load, ms (default 7 days). */
  readonly horizonMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_DELIVERED_MAX_KEYS = 100_000;
export const DEFAULT_DELIVERED_HORIZON_MS = 7 * 24 * 3600_000;

function isRecord(v: unknown): v is DeliveredRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (r.action === 'trigger' || r.action === 'resolve' || r.action === 'acknowledge') && typeof r.repeat === 'number' && typeof r.ts === 'string' && typeof r.at === 'string';
}

export function parseDeliveredRecord(buf: Buffer | null): DeliveredRecord | null | undefined {
  if (buf === null || buf.length === 0) return null;
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export class DeliveredMemory {
  private readonly mem = new Map<string, DeliveredRecord>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly opts: DeliveredMemoryOptions = {}) {
    this.maxKeys = opts.maxKeys ?? DEFAULT_DELIVERED_MAX_KEYS;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.mem.size;
  }

  get durable(): boolean {
    return this.opts.store !== undefined;
  }

  /** Seeds memory from the store; tombstones resolved records past the horizon. */
  async load(): Promise<{ records: number; keys: number; tombstoned: number }> {
    const store = this.opts.store;
    if (store === undefined) return { records: 0, keys: 0, tombstoned: 0 };
    const latest = new Map<string, DeliveredRecord | null>();
    let records = 0;
    await store.readAll((key, value) => {
      records++;
      latest.delete(key); // keep write order: the latest write goes last (most recently used)
      latest.set(key, value);
    });
    const horizon = this.now() - (this.opts.horizonMs ?? DEFAULT_DELIVERED_HORIZON_MS);
    const expired: string[] = [];
    for (const [key, value] of latest) {
      if (value === null) continue;
      if (value.action === 'resolve' && Date.parse(value.at) < horizon) {
        expired.push(key);
        continue;
      }
      this.set(key, value);
    }
    for (const key of expired) await store.write(key, null);
    this.opts.logger?.info({ records, keys: this.mem.size, tombstoned: expired.length }, 'loaded PagerDuty delivered-event memory');
    return { records, keys: this.mem.size, tombstoned: expired.length };
  }

  /** True when `m`, or something after it for the same dedup key, was already delivered. */
  covers(m: DeliveryMark): boolean {
    const r = this.mem.get(m.key);
    if (r === undefined) return false;
    const a = Date.parse(m.ts);
    const b = Date.parse(r.ts);
    if (a !== b) return a < b;
    if (r.action === 'resolve') return true;
    if (m.action !== 'trigger') return false;
    if (m.repeat !== r.repeat) return m.repeat < r.repeat;
    return m.severity === r.severity;
  }

  /** Durably records a delivered event (store first, then memory). Rejects when the store write fails. */
  async record(m: DeliveryMark): Promise<void> {
    const value: DeliveredRecord = { action: m.action, severity: m.severity, repeat: m.repeat, ts: m.ts, at: new Date(this.now()).toISOString() };
    if (this.opts.store !== undefined) await this.opts.store.write(m.key, value);
    this.set(m.key, value);
  }

  async close(): Promise<void> {
    await this.opts.store?.close?.();
  }

  private set(key: string, value: DeliveredRecord): void {
    this.mem.delete(key);
    this.mem.set(key, value);
    while (this.mem.size > this.maxKeys) this.mem.delete(this.mem.keys().next().value!);
  }
}
