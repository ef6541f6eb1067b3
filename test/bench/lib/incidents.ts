/**
 * Stamped incidents for the latency and burst benchmarks: a dedicated pattern that turns each
 * incident event into exactly one alert transition (`any`, grouped by a unique incident id,
 * `for: 0s`, `grace: 0s`, no resolve or repeat during a run), an open-loop injector, and a tracker
 * that records, per incident, the scheduled send time, the event time, when Kafka acknowledged the
 * record, when Elasticsearch acknowledged the alert document (through test/bench/lib/es-proxy.ts)
 * and when the PagerDuty receiver got the trigger.
 *
 * Latencies are measured from the *scheduled* send time (open loop, no coordinated omission): the
 * injector never waits for an earlier send, and if this process falls behind, the delay counts.
 * All times are this process's `performance.now()`; event times are `Date.now()` at send.
 */
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import type { PagerDutyReceiver, ReceivedRequest } from '../../support/pagerduty-receiver.js';
import { repoRoot, sleep } from './stack.js';

export const INCIDENT_PATTERN = 'tripline-bench-incident';
export const INCIDENT_EVENT = 'tripline_bench_incident';

const PATTERN_YAML = `# Written by test/bench/lib/incidents.ts: one alert per stamped incident.
- id: ${INCIDENT_PATTERN}
  description: Stamped benchmark incident (latency and burst scenarios)
  match: { event: ${INCIDENT_EVENT} }
  group_by: [incident_id]
  max_groups: 1000000
  detect: { type: any }
  grace: 0s
  for: 0s
  resolve_after: 24h
  repeat_interval: 0s
  severity: critical
  labels: { team: bench }
  summary: "bench incident {{group.incident_id}}"
`;

/** A temporary patterns directory: every bundled pattern plus the incident pattern. */
export function patternsWithIncident(bundled = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-bench-patterns-'));
  if (bundled) {
    for (const f of readdirSync(join(repoRoot, 'patterns'))) {
      if (/\.ya?ml$/.test(f)) copyFileSync(join(repoRoot, 'patterns', f), join(dir, f));
    }
  }
  writeFileSync(join(dir, 'zz-bench-incident.yaml'), PATTERN_YAML);
  return dir;
}

export interface Incident {
  id: string;
  /** Scheduled send time. */
  sched: number;
  /** When producer.send was called, and when Kafka acknowledged it. */
  sent?: number;
  produced?: number;
  /** Event time written in the record (wall ms). */
  eventMs?: number;
  /** First 2xx acknowledgement of its firing document by Elasticsearch. */
  esAck?: number;
  /** Acknowledgements of the firing document (2xx + 409), to spot redeliveries. */
  esAcks: number;
  /** Arrival of the PagerDuty trigger at the receiver. */
  pdAt?: number;
  pdTriggers: number;
}

export class IncidentTracker {
  readonly incidents: Incident[] = [];
  readonly byId = new Map<string, Incident>();
  /** Firing documents / triggers for ids this run never sent. */
  unknown = 0;
  /** performance.now() -> wall ms. */
  readonly wallOffset = Date.now() - performance.now();

  constructor(readonly runId: string) {}

  add(k: number, sched: number): Incident {
    const inc: Incident = { id: `${this.runId}-${k}`, sched, esAcks: 0, pdTriggers: 0 };
    this.incidents.push(inc);
    this.byId.set(inc.id, inc);
    return inc;
  }

  /** For EsProxy: the firing document of an incident was acknowledged. */
  readonly onEsAck = (source: Record<string, unknown>, status: number, t: number): void => {
    const s = source as { pattern?: { id?: string }; alert?: { state?: string }; group?: Record<string, string> };
    if (s.pattern?.id !== INCIDENT_PATTERN || s.alert?.state !== 'firing') return;
    const inc = this.byId.get(s.group?.incident_id ?? '');
    if (inc === undefined) {
      this.unknown++;
      return;
    }
    if ((status >= 200 && status < 300) || status === 409) inc.esAcks++;
    if (status >= 200 && status < 300 && inc.esAck === undefined) inc.esAck = t;
  };

  /** Records the arrival time of every accepted incident trigger (wraps `pd.received.push`). */
  hookPagerDuty(pd: PagerDutyReceiver): void {
    const received = pd.received;
    const push = received.push.bind(received);
    received.push = (...items: ReceivedRequest[]): number => {
      const t = performance.now();
      for (const r of items) {
        const summary = (r.body?.payload as { summary?: string } | undefined)?.summary ?? '';
        const m = /^bench incident (\S+)$/.exec(summary);
        if (m === null || !r.accepted || r.body?.event_action !== 'trigger') continue;
        const inc = this.byId.get(m[1]!);
        if (inc === undefined) {
          this.unknown++;
          continue;
        }
        inc.pdTriggers++;
        inc.pdAt ??= t;
      }
      return push(...items);
    };
  }

  pending(withPd: boolean): number {
    return this.incidents.filter((i) => i.esAck === undefined || (withPd && i.pdAt === undefined)).length;
  }
}

/**
 * Open-loop injection: incident k is due at t0 + k / rate; due incidents are sent at once, each in
 * its own request, without waiting for earlier ones (round-robin over the partitions, acks=1).
 */
export async function injectIncidents(producer: Producer, topic: string, partitions: number, tracker: IncidentTracker, rate: number, seconds: number): Promise<void> {
  const total = Math.round(rate * seconds);
  const period = 1000 / rate;
  const t0 = performance.now() + 5;
  const sends: Promise<unknown>[] = [];
  for (let k = 0; k < total; ) {
    const now = performance.now();
    while (k < total && t0 + k * period <= now) {
      const inc = tracker.add(k, t0 + k * period);
      const eventMs = Date.now();
      inc.eventMs = eventMs;
      inc.sent = performance.now();
      const value = JSON.stringify({ timestamp: new Date(eventMs).toISOString(), level: 'error', event: INCIDENT_EVENT, logger: 'bench', incident_id: inc.id });
      sends.push(
        producer.send({ topic, acks: 1, messages: [{ partition: k % partitions, value }] }).then(() => {
          inc.produced = performance.now();
        }),
      );
      k++;
    }
    const next = t0 + k * period - performance.now();
    await sleep(Math.max(0, Math.min(next, 50)));
  }
  await Promise.all(sends);
}

export interface Percentiles {
  count: number;
  /** Samples without a value (never observed): counted as +infinity in the percentiles. */
  missing: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  min: number | null;
  mean: number | null;
}

/** Nearest-rank percentiles, ms with one decimal; `undefined` samples are +infinity (null). */
export function percentiles(xs: ReadonlyArray<number | undefined>): Percentiles {
  const vals = xs.map((x) => (x === undefined ? Infinity : x)).sort((a, b) => a - b);
  const n = vals.length;
  const at = (q: number): number | null => {
    if (n === 0) return null;
    const v = vals[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
    return Number.isFinite(v) ? Math.round(v * 10) / 10 : null;
  };
  const finite = vals.filter((v) => Number.isFinite(v));
  return {
    count: n,
    missing: n - finite.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: at(1),
    min: n === 0 ? null : at(0),
    mean: finite.length === 0 ? null : Math.round((finite.reduce((s, v) => s + v, 0) / finite.length) * 10) / 10,
  };
}

/**
 * Firing documents of the incident pattern in Elasticsearch, per incident id (read from
 * `esUrl` directly, after a refresh).
 */
export async function incidentDocsInEs(esUrl: string, alertsPrefix: string): Promise<{ perId: Map<string, number>; total: number }> {
  const base = esUrl.replace(/\/$/, '');
  await fetch(`${base}/${alertsPrefix}-*/_refresh`, { method: 'POST' });
  const perId = new Map<string, number>();
  let total = 0;
  let after: unknown[] | undefined;
  for (;;) {
    const body = {
      size: 5000,
      _source: ['pattern.id', 'alert.state', 'group.incident_id'],
      query: { match_all: {} },
      sort: [{ _doc: 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    };
    const res = await fetch(`${base}/${alertsPrefix}-*/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`search ${alertsPrefix}-*: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const hits = ((await res.json()) as { hits: { hits: Array<{ _source: Record<string, unknown>; sort: unknown[] }> } }).hits.hits;
    for (const h of hits) {
      const s = h._source as { pattern?: { id?: string }; alert?: { state?: string }; group?: { incident_id?: string } };
      if (s.pattern?.id !== INCIDENT_PATTERN || s.alert?.state !== 'firing') continue;
      total++;
      const id = s.group?.incident_id ?? '';
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    if (hits.length < 5000) break;
    after = hits[hits.length - 1]!.sort;
  }
  return { perId, total };
}
