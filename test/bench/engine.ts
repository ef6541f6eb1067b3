/**
 * Engine benchmark: decode -> match -> engine (createDetection) over deterministic in-memory
 * lines (~300 bytes, >= 80% http_request, rare webhook/billing/job events, 10,000 active orgs),
 * with the core patterns (the original 7) and with every bundled pattern.
 * Run: npx tsx test/bench/engine.ts [lines]   Prints {core: {linesPerSec, nsPerLine}, all: {...}}.
 */
import { loadPatterns } from '../../src/config/index.js';
import type { Pattern } from '../../src/model/pattern.js';
import { createDetection } from '../../src/pipeline.js';

const CORE = new Set(['http-5xx-ratio-by-route', 'job-heartbeat-missing', 'stripe-webhook-replayed-mismatch', 'stripe-webhook-errors', 'export-webhook-blocked-by-host', 'export-webhook-failed-by-host', 'export-webhook-failed-by-org']);
const N = Number(process.argv[2] ?? 1_500_000);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUTES = ['/v1/orders/{id}', '/v1/bookings', '/v1/customers/{id}', '/healthz', '/readyz', '/v1/invoices', '/v1/admin/orders/{id}'];

function generate(n: number): string[] {
  const r = prng(42);
  const out: string[] = new Array<string>(n);
  const t0 = Date.parse('2026-01-05T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const t = t0 + i * 5; // 200 lines/s of event time
    const ts = new Date(t).toISOString();
    const org = `org_${Math.floor(r() * 10_000)}`;
    const x = r();
    let o: Record<string, unknown>;
    if (x < 0.85) {
      const route = ROUTES[Math.floor(r() * ROUTES.length)]!;
      const status = r() < 0.002 ? 503 : r() < 0.003 ? 429 : 200;
      o = { timestamp: ts, level: 'info', event: 'http_request', logger: 'app.http', method: 'GET', path: route.replace('{id}', String(Math.floor(r() * 1e5))), route, status, duration_ms: Math.round(5 + r() * 80), org_id: org, request_id: `req-${i.toString(16).padStart(10, '0')}`, user_agent: 'Mozilla/5.0 (compatible; bench)' };
    } else if (x < 0.9) {
      o = { timestamp: ts, level: 'info', event: 'booking_created', logger: 'app.bookings', org_id: org, booking_id: `bk_${i}`, request_id: `req-${i}`, source: 'web', channel: 'direct' };
    } else if (x < 0.93) {
      o = { timestamp: ts, level: 'info', event: 'email_job', logger: 'app.jobs.email', job: 'booking_reminder', status: r() < 0.02 ? 'error' : r() < 0.1 ? 'skipped' : 'ok', org_id: org, attempt: 1, request_id: `req-${i}` };
    } else if (x < 0.95) {
      o = { timestamp: ts, level: 'info', event: 'job_heartbeat', logger: 'app.jobs.run', worker: 'jobs-1', loop_ms: Math.round(200 + r() * 300) };
    } else if (x < 0.97) {
      o = { timestamp: ts, level: 'info', event: 'webhook_event', logger: 'app.billing.webhooks', result: r() < 0.05 ? 'ignored' : 'processed', stripe_event_type: 'invoice.paid', org_id: org, request_id: `req-${i}` };
    } else if (x < 0.985) {
      o = { timestamp: ts, level: 'info', event: 'stripe_webhook_processed', logger: 'app.billing.webhooks', stripe_event_type: 'invoice.paid', org_id: org, request_id: `req-${i}` };
      if (r() < 0.98) out[i] = JSON.stringify(o); // follow-up below
    } else if (x < 0.995) {
      o = { timestamp: ts, level: 'info', event: 'organization_billing_status_changed', logger: 'app.billing', org_id: org, from: 'inactive', to: 'active' };
    } else {
      const ev = r() < 0.5 ? 'export_webhook_failed' : 'export_webhook_blocked';
      o = { timestamp: ts, level: 'error', event: ev, logger: 'app.export.webhooks', org_id: org, destination_host: `hooks${Math.floor(r() * 300)}.example`, status_code: 502, request_id: `req-${i}` };
    }
    out[i] = JSON.stringify(o);
  }
  return out;
}

function measure(patterns: readonly Pattern[], lines: readonly string[]): { linesPerSec: number; nsPerLine: number; transitions: number } {
  let best = Infinity;
  let transitions = 0;
  for (let rep = 0; rep < 2; rep++) {
    const det = createDetection(patterns);
    const t0 = process.hrtime.bigint();
    transitions = 0;
    for (let i = 0; i < lines.length; i++) {
      det.push(lines[i]!);
      if ((i & 1023) === 0) transitions += det.advance().length;
    }
    transitions += det.flush().length;
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) best = ns;
  }
  return { linesPerSec: Math.round(lines.length / (best / 1e9)), nsPerLine: Math.round(best / lines.length), transitions };
}

const all = await loadPatterns('patterns');
const core = all.filter((p) => CORE.has(p.id));
const lines = generate(N);
const avgBytes = Math.round(lines.reduce((s, l) => s + l.length, 0) / lines.length);
const rc = measure(core, lines);
const ra = measure(all, lines);
console.log(JSON.stringify({ lines: N, avgBytes, patterns: { core: core.length, all: all.length }, core: rc, all: ra, allVsCore: Number((ra.nsPerLine / rc.nsPerLine).toFixed(3)) }));
