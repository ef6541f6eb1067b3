/**
 * Deterministic benchmark traffic (seeded with the demo's mulberry32), as one memory buffer of
 * NDJSON lines plus line offsets: what the service gets from Kafka (bytes), without I/O.
 *
 * Mix (fractions of lines): ~85% http_request (10 templated routes; 0.3% 5xx, 0.3% 429), 4%
 * booking_created, 3% email_job, 2% webhook_event, 1% readyz_probe, ~1% stripe_webhook_processed
 * each followed (98%) by organization_billing_status_changed for the SAME org a few seconds
 * later (what the billing flow really does), 0.4% export_webhook_failed/blocked, rare
 * stripe_webhook_error / replayed_mismatch, ~3% events no pattern references (auth, cache, db).
 * One job_heartbeat and one disk_usage per mount per minute of event time; pg_dump nightly.
 * `orgs` distinct org ids (default 10,000), `rate` lines per second of event time.
 */
import { prng } from '../../../src/cli/demo-sample.js';

export interface BenchData {
  /** All lines, each followed by '\n'. */
  readonly buf: Buffer;
  /** Line i is buf[starts[i], ends[i]). */
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly count: number;
  readonly avgBytes: number;
  readonly firstTime: number;
  readonly lastTime: number;
}

export interface GenerateOptions {
  lines: number;
  seed?: number;
  /** Lines per second of event time (default 2,000). */
  rate?: number;
  orgs?: number;
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

export function generateBenchData(o: GenerateOptions): BenchData {
  const n = o.lines;
  const r = prng(o.seed ?? 20261120);
  const rate = o.rate ?? 2000;
  const orgs = o.orgs ?? 10_000;
  const t0 = Date.parse('2026-11-20T12:00:00.000Z');
  const parts: string[] = [];
  /** line index -> follow-up orgs due then */
  const followUps = new Map<number, string[]>();
  let nextMinute = t0;
  let pendingPeriodic: string[] = [];
  const org = (): string => `org_${Math.floor(r() * orgs)}`;
  const rid = (i: number): string => `req-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}`;
  let produced = 0;
  let i = 0;
  while (produced < n) {
    const t = t0 + Math.floor((i * 1000) / rate);
    const ts = new Date(t).toISOString();
    let o2: Record<string, unknown>;
    const due = followUps.get(i);
    if (t >= nextMinute) {
      nextMinute += 60_000;
      pendingPeriodic = [
        JSON.stringify({ timestamp: ts, level: 'info', event: 'job_heartbeat', logger: 'app.jobs.run', worker: 'jobs-1', loop_ms: Math.round(200 + r() * 300) }),
        ...MOUNTS.map((m) => JSON.stringify({ timestamp: ts, level: 'info', event: 'disk_usage', logger: 'node.cron', host: 'db-1', mount: m, used_ratio: Math.round((0.4 + r() * 0.2) * 1000) / 1000 })),
      ];
      if ((t - t0) % 86_400_000 < 60_000) pendingPeriodic.push(JSON.stringify({ timestamp: ts, level: 'info', event: 'pg_dump_completed', logger: 'ops.backup', status: 'success', bytes: 123456789 }));
    }
    if (pendingPeriodic.length > 0) {
      parts.push(pendingPeriodic.shift()!);
      produced++;
      i++;
      continue;
    }
    if (due !== undefined && due.length > 0) {
      const who = due.pop()!;
      if (due.length === 0) followUps.delete(i);
      else i--; // stay on this line index for the rest
      o2 = { timestamp: ts, level: 'info', event: 'organization_billing_status_changed', logger: 'app.billing', org_id: who, from: 'inactive', to: 'active', request_id: rid(i) };
    } else {
      const x = r();
      if (x < 0.85) {
        let w = r() * ROUTE_TOTAL;
        let k = 0;
        while (w >= ROUTES[k]![2]) w -= ROUTES[k++]![2];
        const [route, method] = ROUTES[k]!;
        const s = r();
        const status = s < 0.003 ? 503 : s < 0.006 ? 429 : s < 0.02 ? 404 : 200;
        const fast = route === '/healthz' || route === '/readyz';
        o2 = {
          timestamp: ts, level: status >= 500 ? 'error' : 'info', event: 'http_request', logger: 'app.http', method,
          path: route.replace('{id}', String(Math.floor(r() * 1e5))), route, status,
          duration_ms: Math.round(fast ? 1 + r() * 20 : 5 + r() * 120), org_id: org(), request_id: rid(i),
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0', client_ip: `10.${i & 255}.${(i >> 8) & 255}.7`,
        };
      } else if (x < 0.89) {
        o2 = { timestamp: ts, level: 'info', event: 'booking_created', logger: 'app.bookings', org_id: org(), booking_id: `bk_${i}`, request_id: rid(i), source: 'web', channel: 'direct' };
      } else if (x < 0.92) {
        const s = r();
        o2 = { timestamp: ts, level: 'info', event: 'email_job', logger: 'app.jobs.email', job: r() < 0.5 ? 'booking_reminder' : 'invoice_reminder', status: s < 0.02 ? 'error' : s < 0.1 ? 'skipped' : 'ok', org_id: org(), attempt: 1, request_id: rid(i) };
      } else if (x < 0.94) {
        o2 = { timestamp: ts, level: 'info', event: 'webhook_event', logger: 'app.billing.webhooks', result: r() < 0.05 ? 'ignored' : 'processed', stripe_event_type: 'invoice.paid', org_id: org(), request_id: rid(i) };
      } else if (x < 0.95) {
        o2 = { timestamp: ts, level: 'info', event: 'readyz_probe', logger: 'app.http', status: 'ok', jobs_ok: true, db_ms: Math.round(r() * 30) };
      } else if (x < 0.96) {
        const who = org();
        o2 = { timestamp: ts, level: 'info', event: 'stripe_webhook_processed', logger: 'app.billing.webhooks', stripe_event_type: r() < 0.5 ? 'invoice.paid' : 'customer.subscription.created', org_id: who, request_id: rid(i) };
        if (r() < 0.98) {
          // The status flip follows within ~0.5-20 s of event time, for the same org.
          const at = i + 1 + Math.floor(r() * rate * 20);
          const list = followUps.get(at);
          if (list === undefined) followUps.set(at, [who]);
          else list.push(who);
        }
      } else if (x < 0.964) {
        const ev = r() < 0.5 ? 'export_webhook_failed' : 'export_webhook_blocked';
        o2 = { timestamp: ts, level: 'error', event: ev, logger: 'app.export.webhooks', org_id: org(), destination_host: `hooks${Math.floor(r() * 300)}.example`, status_code: 502, request_id: rid(i) };
      } else if (x < 0.9641) {
        o2 = { timestamp: ts, level: 'error', event: 'stripe_webhook_error', logger: 'app.billing.webhooks', stripe_event_type: 'invoice.paid', error: 'timeout', request_id: rid(i) };
      } else if (x < 0.96412) {
        o2 = { timestamp: ts, level: 'error', event: 'stripe_webhook_replayed_mismatch', logger: 'app.billing.webhooks', stripe_event_id: `evt_${i}`, org_id: org() };
      } else {
        o2 = { timestamp: ts, level: 'info', event: OTHER[Math.floor(r() * OTHER.length)]!, logger: 'app.misc', org_id: org(), request_id: rid(i), detail: { cache: 'orgs', hit_ratio: 0.93, keys: [1, 2, 3] } };
      }
    }
    parts.push(JSON.stringify(o2));
    produced++;
    i++;
  }
  const text = parts.join('\n') + '\n';
  const buf = Buffer.from(text, 'utf8');
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  let p = 0;
  for (let k = 0; k < n; k++) {
    const e = buf.indexOf(10, p);
    starts[k] = p;
    ends[k] = e;
    p = e + 1;
  }
  const first = JSON.parse(parts[0]!) as { timestamp: string };
  const last = JSON.parse(parts[n - 1]!) as { timestamp: string };
  return { buf, starts, ends, count: n, avgBytes: Math.round(buf.length / n) - 1, firstTime: Date.parse(first.timestamp), lastTime: Date.parse(last.timestamp) };
}
