/**
 * Deterministic input of the scale-out test (issue 6): N NDJSON log lines (seeded PRNG), line i at
 * event time T0 + i / rate, produced with a null key to partition i % partitions (round-robin in
 * global time order, so each partition is in event-time order). Background traffic matches the
 * bundled patterns (patterns/*.yaml) without triggering them; the incidents below do, and most of
 * them are spread over several partitions on purpose: the events of one (pattern, group) land on
 * different partitions, hence on different instances of a consumer group.
 *
 * Incidents (minutes of event time from T0; the stream lasts N / rate seconds, 72 min by default):
 * - m10  export_webhook_failed to hooks-down.example from 12 orgs, one per partition (0..11)
 *        -> export-webhook-failed-by-host (>= 5 in 10m), export-webhook-failures-many-orgs (>= 10 orgs)
 * - m15  4 stripe_webhook_error on partitions 1, 5, 7, 10 -> stripe-webhook-errors (>= 3 in 5m)
 * - m20..m36  no job_heartbeat -> job-heartbeat-missing (absence 10m), resolved at m36
 * - m25  5 export_webhook_blocked to hooks-typo.example on partitions 0, 3, 6, 9, 11 -> export-webhook-blocked-by-host
 * - m30..m41  disk_usage /data at 0.75 then 0.90 from m37 -> disk-usage warning, critical (same incident)
 * - m40  invoice_reminder email_job errors for 4 runs in a row -> email-job-consecutive-failures
 * - m44..m50  8% 503 on /v1/orders/{id} -> http-5xx-ratio-by-route
 * - m50  3 unhealthy readyz_probe in a row -> readyz-unhealthy
 * - m55..m60  /healthz latency 600-900 ms, then 1100-1500 ms from m58 -> probe-latency-p95 warning, critical; p99
 * - m62  9 export_webhook_failed of org_bad (9 hosts, partitions 2..10) -> export-webhook-failed-by-org (>= 8 in 15m)
 * - m66  export_webhook_blocked to hooks-new.example after the 1h learning -> export-webhook-new-blocked-host
 * - m68  stripe_webhook_replayed_mismatch -> stripe-webhook-replayed-mismatch (any)
 */
import { prng } from '../../../src/cli/demo-sample.js';

export const SCALE_T0 = Date.parse('2026-03-09T08:00:00.000Z');

export interface ScaleStreamOptions {
  /** Lines (default 216,000). */
  lines?: number;
  /** Lines per second of event time (default 50). */
  rate?: number;
  partitions?: number;
  seed?: number;
}

export interface PlacedIncident {
  /** What the incident should trigger (bundled pattern id). */
  pattern: string;
  /** Group value(s) of the alert (pattern group_by field -> value). */
  group: Record<string, string>;
  /** Source partitions its events were produced to. */
  partitions: number[];
}

export interface ScaleStream {
  /** Line i goes to partition i % partitions. */
  readonly values: string[];
  readonly partitions: number;
  readonly incidents: PlacedIncident[];
  readonly firstTime: number;
  readonly lastTime: number;
}

const ROUTES: ReadonlyArray<[string, string, number]> = [
  ['/v1/orders/{id}', 'GET', 22],
  ['/v1/orders', 'POST', 8],
  ['/v1/bookings', 'GET', 18],
  ['/v1/bookings/{id}', 'PATCH', 6],
  ['/v1/customers/{id}', 'GET', 12],
  ['/v1/invoices', 'GET', 8],
  ['/healthz', 'GET', 10],
  ['/readyz', 'GET', 10],
  ['/v1/admin/orders/{id}', 'POST', 3],
  ['/v1/admin/reports', 'GET', 1],
];
const ROUTE_TOTAL = ROUTES.reduce((s, r) => s + r[2], 0);
const MOUNTS = ['/', '/var/lib/postgresql', '/data'];
const OTHER = ['auth_login', 'cache_refresh', 'db_slow_query'];
const MIN = 60_000;

export function generateScaleStream(o: ScaleStreamOptions = {}): ScaleStream {
  const n = o.lines ?? 216_000;
  const rate = o.rate ?? 50;
  const parts = o.partitions ?? 12;
  const r = prng(o.seed ?? 6_2026);
  const timeOf = (i: number): number => SCALE_T0 + Math.floor((i * 1000) / rate);
  const slotAt = (t: number): number => Math.ceil(((t - SCALE_T0) * rate) / 1000);
  const special = new Map<number, Record<string, unknown>>();
  /** Places `ev` at the first free line at or after event time `t` (on `partition` when given). */
  const place = (t: number, ev: Record<string, unknown>, partition?: number): number => {
    let i = slotAt(t);
    while (special.has(i) || (partition !== undefined && i % parts !== partition)) i++;
    if (i >= n) throw new RangeError(`stream too short for an event at +${(t - SCALE_T0) / 1000}s`);
    special.set(i, ev);
    return i % parts;
  };
  const end = timeOf(n - 1);
  const incidents: PlacedIncident[] = [];
  const incident = (pattern: string, group: Record<string, string>, ps: number[]): void => {
    incidents.push({ pattern, group, partitions: [...new Set(ps)].sort((a, b) => a - b) });
  };

  // Periodic events (any partition).
  for (let t = SCALE_T0; t <= end; t += 15_000) {
    const m = (t - SCALE_T0) / MIN;
    const unhealthy = t >= SCALE_T0 + 50 * MIN && t < SCALE_T0 + 50 * MIN + 45_000;
    place(t, { event: 'readyz_probe', level: unhealthy ? 'error' : 'info', logger: 'app.http', status: unhealthy ? 'unhealthy' : 'ok', jobs_ok: true, db_ms: Math.round(r() * 30) });
    if ((t - SCALE_T0) % 30_000 === 0) {
      for (const job of ['booking_reminder', 'invoice_reminder']) {
        const failing = job === 'invoice_reminder' && m >= 40 && m < 42;
        place(t, { event: 'email_job', level: failing ? 'error' : 'info', logger: 'app.jobs.email', job, status: failing ? 'error' : 'ok', attempt: 1 });
      }
    }
    if ((t - SCALE_T0) % MIN === 0) {
      if (m < 20 || m >= 36) place(t, { event: 'job_heartbeat', level: 'info', logger: 'app.jobs.run', worker: 'jobs-1', loop_ms: Math.round(200 + r() * 300) });
      for (const mount of MOUNTS) {
        const used = mount === '/data' && m >= 30 && m < 41 ? (m >= 37 ? 0.9 : 0.75) : Math.round((0.4 + r() * 0.2) * 1000) / 1000;
        place(t, { event: 'disk_usage', level: 'info', logger: 'node.cron', host: 'db-1', mount, used_ratio: used });
      }
    }
  }
  incident('job-heartbeat-missing', {}, []);
  incident('disk-usage', { mount: '/data' }, []);
  incident('email-job-consecutive-failures', { job: 'invoice_reminder' }, []);
  incident('readyz-unhealthy', {}, []);

  // m10: one host fails from 12 orgs, one event per partition.
  const down: number[] = [];
  for (let k = 0; k < 12; k++) {
    down.push(place(SCALE_T0 + 10 * MIN + k * 10_000, { event: 'export_webhook_failed', level: 'error', logger: 'app.export.webhooks', org_id: `org_${1001 + k}`, destination_host: 'hooks-down.example', status_code: 502 }, k % parts));
  }
  incident('export-webhook-failed-by-host', { destination_host: 'hooks-down.example' }, down);
  incident('export-webhook-failures-many-orgs', {}, down);
  // m15: Stripe handler errors.
  const stripe = [1, 5, 7, 10].map((p, k) => place(SCALE_T0 + 15 * MIN + k * 40_000, { event: 'stripe_webhook_error', level: 'error', logger: 'app.billing.webhooks', stripe_event_type: 'invoice.paid', error: 'timeout' }, p % parts));
  incident('stripe-webhook-errors', {}, stripe);
  // m25: allowlist typo, 5 partitions.
  const typo = [0, 3, 6, 9, 11].map((p, k) => place(SCALE_T0 + 25 * MIN + k * 20_000, { event: 'export_webhook_blocked', level: 'warning', logger: 'app.export.webhooks', org_id: 'org_2002', destination_host: 'hooks-typo.example', reason: 'host_not_allowed' }, p % parts));
  incident('export-webhook-blocked-by-host', { destination_host: 'hooks-typo.example' }, typo);
  // m62: one org fails to 9 hosts, 9 partitions.
  const org = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((p, k) => place(SCALE_T0 + 62 * MIN + k * 20_000, { event: 'export_webhook_failed', level: 'error', logger: 'app.export.webhooks', org_id: 'org_bad', destination_host: `hooks-${String.fromCharCode(97 + k)}.example`, status_code: 503 }, p % parts));
  incident('export-webhook-failed-by-org', { org_id: 'org_bad' }, org);
  // m66, m68: one-off events.
  incident('export-webhook-new-blocked-host', { destination_host: 'hooks-new.example' }, [place(SCALE_T0 + 66 * MIN, { event: 'export_webhook_blocked', level: 'warning', logger: 'app.export.webhooks', org_id: 'org_3003', destination_host: 'hooks-new.example', reason: 'host_not_allowed' })]);
  incident('stripe-webhook-replayed-mismatch', { stripe_event_id: 'evt_scale_1' }, [place(SCALE_T0 + 68 * MIN, { event: 'stripe_webhook_replayed_mismatch', level: 'error', logger: 'app.billing.webhooks', stripe_event_id: 'evt_scale_1', org_id: 'org_4004' })]);

  const burst5xx = new Set<number>();
  const slowProbes = new Set<number>();
  const values: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const t = timeOf(i);
    const ts = new Date(t).toISOString();
    const sp = special.get(i);
    if (sp !== undefined) {
      values[i] = JSON.stringify({ timestamp: ts, ...sp });
      continue;
    }
    const m = (t - SCALE_T0) / MIN;
    const x = r();
    if (x < 0.9) {
      let w = r() * ROUTE_TOTAL;
      let k = 0;
      while (w >= ROUTES[k]![2]) w -= ROUTES[k++]![2];
      const [route, method] = ROUTES[k]!;
      const burst = route === '/v1/orders/{id}' && m >= 44 && m < 50;
      const s = r();
      const status = burst && s < 0.08 ? 503 : s < 0.02 ? 404 : 200;
      let duration = route === '/healthz' || route === '/readyz' ? 1 + r() * 20 : 5 + r() * 120;
      if (route === '/healthz' && m >= 55 && m < 60) {
        duration = m >= 58 ? 1100 + r() * 400 : 600 + r() * 300;
        slowProbes.add(i % parts);
      }
      if (status === 503) burst5xx.add(i % parts);
      values[i] = JSON.stringify({
        timestamp: ts, level: status >= 500 ? 'error' : 'info', event: 'http_request', logger: 'app.http', method,
        path: route.replace('{id}', String(Math.floor(r() * 1e5))), route, status, duration_ms: Math.round(duration),
        org_id: `org_${Math.floor(r() * 5000)}`, request_id: `req-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
      });
    } else {
      values[i] = JSON.stringify({ timestamp: ts, level: 'info', event: OTHER[Math.floor(r() * OTHER.length)]!, logger: 'app.misc', org_id: `org_${Math.floor(r() * 5000)}` });
    }
  }
  incident('http-5xx-ratio-by-route', { route: '/v1/orders/{id}' }, [...burst5xx]);
  incident('probe-latency-p95', { route: '/healthz' }, [...slowProbes]);
  incident('probe-latency-p99', { route: '/healthz' }, [...slowProbes]);
  return { values, partitions: parts, incidents, firstTime: SCALE_T0, lastTime: end };
}
