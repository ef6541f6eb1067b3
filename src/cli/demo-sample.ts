/**
 * The bundled demo sample: four hours of realistic API logs, generated deterministically
 * (seeded PRNG), with documented incidents and near-misses. `tripline demo` replays it;
 * test/unit/cli/demo.test.ts asserts the bundled patterns report exactly DEMO_INCIDENTS.
 *
 * Nothing here is committed as a blob: the same seed always yields the same lines.
 */

export const DEMO_START = Date.parse('2026-11-20T12:00:00.000Z');
export const DEMO_HOURS = 4;

/** The incidents the sample contains; each must fire exactly once, and nothing else may. */
export const DEMO_INCIDENTS = [
  { pattern: 'export-webhook-blocked-by-host', group: { destination_host: 'hooks.acme-erp.example' }, at: '00:40', what: '7 deliveries blocked: allowlist written as "https://hooks.acme-erp.example"' },
  { pattern: 'stripe-webhook-replayed-mismatch', group: { stripe_event_id: 'evt_1QzX9mismatch' }, at: '01:20', what: 'a replayed invoice.paid event differs from the stored one' },
  { pattern: 'http-5xx-ratio-by-route', group: { route: '/v1/orders/{id}' }, at: '01:50', what: '8 minutes of ~9% 503s on the orders route' },
  { pattern: 'export-webhook-failed-by-host', group: { destination_host: 'ingest.globex.example' }, at: '02:30', what: 'a customer endpoint returns 502 for 12 minutes' },
  { pattern: 'export-webhook-failed-by-org', group: { org_id: 'org_globex' }, at: '02:30', what: 'the same outage, seen per organisation' },
  { pattern: 'stripe-webhook-errors', group: {}, at: '03:00', what: '5 handler errors in 3 minutes after a bad deploy' },
  { pattern: 'job-heartbeat-missing', group: {}, at: '03:10', what: 'the job loop hangs for 15 minutes' },
  { pattern: 'billing-status-not-activated', group: { org_id: 'org_umbrella' }, at: '02:40', what: 'a paid subscription whose billing status stays inactive for 18 minutes' },
  { pattern: 'export-webhook-failures-many-orgs', group: {}, at: '00:15', what: 'export webhooks of 12 different orgs fail within 6 minutes (egress outage)' },
  { pattern: 'readyz-unhealthy', group: {}, at: '03:30', what: '/readyz unhealthy on 3 consecutive probes' },
  { pattern: 'http-429-spike', group: {}, at: '02:15', what: 'a client retrying too fast: 72 rate-limited requests in 6 minutes' },
  { pattern: 'probe-latency-p95', group: { route: '/readyz' }, at: '00:30', what: '/readyz takes 0.6-0.9 s for 6 minutes (DB pool saturated; warning level)' },
  { pattern: 'email-job-consecutive-failures', group: { job: 'booking_reminder' }, at: '03:37', what: 'the booking reminder job fails 3 runs in a row' },
  // After its one-hour learning period, every first block of a host is news (new_value).
  { pattern: 'export-webhook-new-blocked-host', group: { destination_host: 'h2.partners.example' }, at: '01:34', what: 'first block of a new partner host' },
  { pattern: 'export-webhook-new-blocked-host', group: { destination_host: 'hooks.initech.example' }, at: '02:10', what: 'first block of a new customer host' },
  { pattern: 'export-webhook-new-blocked-host', group: { destination_host: 'h3.partners.example' }, at: '02:11', what: 'first block of a new partner host' },
  { pattern: 'export-webhook-new-blocked-host', group: { destination_host: 'h4.partners.example' }, at: '02:48', what: 'first block of a new partner host' },
  { pattern: 'export-webhook-new-blocked-host', group: { destination_host: 'h5.partners.example' }, at: '03:25', what: 'first block of a new partner host' },
] as const;

/** Near-misses the sample contains: they must NOT fire. */
export const DEMO_NEAR_MISSES = [
  { pattern: 'export-webhook-blocked-by-host', at: '02:10', what: '2 blocks to one host (limit is 3 in 10 minutes)' },
  { pattern: 'http-5xx-ratio-by-route', at: '00:20', what: '1.5% 503s on /v1/bookings for 10 minutes (limit 2%)' },
  { pattern: 'http-5xx-ratio-by-route', at: '03:40', what: '3 errors out of ~50 requests on a quiet admin route (min_total 100)' },
  { pattern: 'stripe-webhook-errors', at: '01:05', what: '2 handler errors in 5 minutes (limit 3)' },
  { pattern: 'job-heartbeat-missing', at: '00:55', what: 'an 8-minute heartbeat gap during a deploy (limit 10 minutes)' },
  { pattern: 'export-webhook-failed-by-host', at: '01:30', what: '3 failures to one host (limit 5)' },
  { pattern: 'billing-status-not-activated', at: '01:40', what: 'a paid subscription whose status flips after 4 minutes (limit 5)' },
  { pattern: 'export-webhook-failures-many-orgs', at: '01:00', what: 'failures of 6 different orgs within 10 minutes (limit 10)' },
  { pattern: 'http-429-spike', at: '03:20', what: '20 rate-limited requests in 5 minutes (min_count 30)' },
  { pattern: 'probe-latency-p95', at: '02:00', what: '6 slow /readyz requests, ~3% of the 5-minute window (p95 stays low)' },
  { pattern: 'readyz-unhealthy', at: '00:50', what: 'one unhealthy /readyz probe between healthy ones (limit 2 in a row)' },
  { pattern: 'email-job-consecutive-failures', at: '01:12', what: 'the invoice reminder job fails twice, then succeeds (limit 3 in a row)' },
] as const;

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN = 60_000;
const at = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return DEMO_START + (h * 60 + m) * MIN;
};

const ROUTES: ReadonlyArray<{ route: string; method: string; weight: number; path: (r: () => number) => string }> = [
  { route: '/v1/orders/{id}', method: 'GET', weight: 22, path: (r) => `/v1/orders/${Math.floor(r() * 9000) + 1000}` },
  { route: '/v1/orders', method: 'POST', weight: 8, path: () => '/v1/orders' },
  { route: '/v1/bookings', method: 'GET', weight: 18, path: () => '/v1/bookings' },
  { route: '/v1/bookings/{id}', method: 'PATCH', weight: 6, path: (r) => `/v1/bookings/${Math.floor(r() * 5000) + 1}` },
  { route: '/v1/customers/{id}', method: 'GET', weight: 12, path: (r) => `/v1/customers/${Math.floor(r() * 800) + 1}` },
  { route: '/v1/invoices', method: 'GET', weight: 8, path: () => '/v1/invoices' },
  { route: '/healthz', method: 'GET', weight: 10, path: () => '/healthz' },
  { route: '/readyz', method: 'GET', weight: 10, path: () => '/readyz' },
  { route: '/v1/admin/orders/{id}', method: 'POST', weight: 3, path: (r) => `/v1/admin/orders/${Math.floor(r() * 500) + 1}` },
  { route: '/v1/admin/reports', method: 'GET', weight: 1, path: () => '/v1/admin/reports' },
];
const TOTAL_WEIGHT = ROUTES.reduce((s, r) => s + r.weight, 0);

interface Line {
  t: number;
  obj: Record<string, unknown>;
}

/**
 * Generates the sample. `rate` is requests per second of background traffic.
 * Returns NDJSON lines in event-time order, except for a little realistic jitter
 * (lines from concurrent workers interleave up to ~2 s out of order).
 */
export function generateDemoSample(opts: { seed?: number; rate?: number } = {}): string[] {
  const rand = prng(opts.seed ?? 20261120);
  const rate = opts.rate ?? 6;
  const end = DEMO_START + DEMO_HOURS * 60 * MIN;
  const lines: Line[] = [];
  const push = (t: number, obj: Record<string, unknown>): void => {
    lines.push({ t, obj });
  };
  let reqId = 0;
  const rid = (): string => (++reqId).toString(16).padStart(8, '0');

  // Background HTTP traffic with a 0.1% base 5xx rate.
  const meanGap = 1000 / rate;
  let slowBlip = 0;
  for (let t = DEMO_START; t < end; t += -Math.log(1 - rand()) * meanGap) {
    let pick = rand() * TOTAL_WEIGHT;
    let r = ROUTES[0]!;
    for (const cand of ROUTES) {
      pick -= cand.weight;
      if (pick <= 0) {
        r = cand;
        break;
      }
    }
    let status = rand() < 0.001 ? 500 : r.method === 'POST' && rand() < 0.05 ? 201 : 200;
    // Incident: 01:50-01:58, ~9% 503s on the orders route.
    if (r.route === '/v1/orders/{id}' && t >= at('01:50') && t < at('01:58') && rand() < 0.09) status = 503;
    // Near-miss: 00:20-00:30, 1.5% 503s on bookings.
    if (r.route === '/v1/bookings' && t >= at('00:20') && t < at('00:30') && rand() < 0.015) status = 503;
    let duration = Math.round(r.route === '/healthz' ? 1 + rand() * 3 : 8 + rand() * 60 + (status >= 500 ? 400 : 0));
    // Incident: 00:30-00:36 the DB pool is saturated and /readyz takes 0.6-0.9 s; near-miss: the
    // first 6 /readyz requests from 02:00 are as slow (~3% of a 5-minute window's ~180). No extra
    // draws: the rest of the sample stays as it was.
    if (r.route === '/readyz' && ((t >= at('00:30') && t < at('00:36')) || (t >= at('02:00') && slowBlip++ < 6))) duration = 600 + ((duration * 7) % 300);
    push(t, { level: status >= 500 ? 'error' : 'info', event: 'http_request', logger: 'app.http', method: r.method, path: r.path(rand), route: r.route, status, duration_ms: duration, request_id: rid() });
  }
  // Incident: a client retrying too fast is rate limited 72 times in 6 minutes; near-miss: 20
  // denials in 5 minutes (below min_count).
  const denied = (t: number): void => push(t, { level: 'warning', event: 'http_request', logger: 'app.http', method: 'POST', path: '/v1/orders', route: '/v1/orders', status: 429, duration_ms: 2, request_id: rid() });
  for (let i = 0; i < 72; i++) denied(at('02:15') + i * 5_000);
  for (let i = 0; i < 20; i++) denied(at('03:20') + i * 15_000);
  // Near-miss: a quiet admin route with 3 errors out of ~50 requests (below min_total).
  for (let i = 0; i < 50; i++) {
    const t = at('03:40') + i * 5000;
    push(t, { level: i % 17 === 3 ? 'error' : 'info', event: 'http_request', logger: 'app.http', method: 'DELETE', path: `/v1/admin/users/${i}`, route: '/v1/admin/users/{id}', status: i % 17 === 3 ? 500 : 204, duration_ms: 30, request_id: rid() });
  }

  // Job loop heartbeat every 60 s, with an 8-minute gap (near-miss) and a 15-minute hang.
  for (let t = DEMO_START + 15_000; t < end; t += 60_000) {
    if (t > at('00:55') && t < at('01:03')) continue; // 8-minute gap: no alert
    if (t > at('03:10') && t < at('03:25')) continue; // 15-minute hang: alert at 03:20
    push(t + Math.floor(rand() * 900), { level: 'info', event: 'job_heartbeat', logger: 'app.jobs.run', worker: 'jobs-1', loop_ms: Math.round(200 + rand() * 300) });
  }

  const webhook = (t: number, event: string, host: string, org: string, extra: Record<string, unknown> = {}): void =>
    push(t, { level: event === 'export_webhook_blocked' ? 'warning' : 'error', event, logger: 'app.export.webhooks', org_id: org, destination_host: host, request_id: rid(), ...extra });

  // Incident: 7 blocked deliveries to one host from 00:40, every ~40 s.
  for (let i = 0; i < 7; i++) webhook(at('00:40') + i * 40_000, 'export_webhook_blocked', 'hooks.acme-erp.example', 'org_acme', { reason: 'host_not_allowed' });
  // Near-miss: 2 blocks to another host.
  webhook(at('02:10'), 'export_webhook_blocked', 'hooks.initech.example', 'org_initech', { reason: 'host_not_allowed' });
  webhook(at('02:14'), 'export_webhook_blocked', 'hooks.initech.example', 'org_initech', { reason: 'host_not_allowed' });
  // Scattered single blocks across the afternoon (different hosts): never 3 per host.
  for (let i = 0; i < 6; i++) webhook(DEMO_START + (20 + i * 37) * MIN, 'export_webhook_blocked', `h${i}.partners.example`, `org_p${i}`, { reason: 'host_not_allowed' });

  // Incident: an egress outage, one failure for each of 12 orgs (each to its own host) in 6 minutes.
  for (let i = 0; i < 12; i++) webhook(at('00:15') + i * 30_000, 'export_webhook_failed', `hooks.c${i}.example`, `org_c${i}`, { status_code: 504, attempt: 1 });
  // Near-miss: 6 different orgs within 10 minutes.
  for (let i = 0; i < 6; i++) webhook(at('01:00') + i * 100_000, 'export_webhook_failed', `hooks.d${i}.example`, `org_d${i}`, { status_code: 500, attempt: 1 });
  // Near-miss: 3 failures to one host at 01:30.
  for (let i = 0; i < 3; i++) webhook(at('01:30') + i * 90_000, 'export_webhook_failed', 'api.hooli.example', 'org_hooli', { status_code: 500, attempt: i + 1 });
  // Incident: 12 minutes of 502s from one customer endpoint, ~1 failure a minute from each of 2 messages.
  for (let i = 0; i < 24; i++) webhook(at('02:30') + i * 30_000, 'export_webhook_failed', 'ingest.globex.example', 'org_globex', { status_code: 502, attempt: (i % 4) + 1 });

  // Billing webhooks.
  push(at('01:20'), { level: 'error', event: 'stripe_webhook_replayed_mismatch', logger: 'app.billing.webhooks', stripe_event_id: 'evt_1QzX9mismatch', stripe_event_type: 'invoice.paid', org_id: 'org_81', signature: 't=1,v1=deadbeef', request_id: rid() });
  // Near-miss: 2 handler errors in 5 minutes.
  for (const m of [0, 3]) push(at('01:05') + m * MIN, { level: 'error', event: 'stripe_webhook_error', logger: 'app.billing.webhooks', stripe_event_type: 'customer.subscription.updated', error: 'KeyError: plan', request_id: rid() });
  // Incident: 5 handler errors in 3 minutes.
  for (let i = 0; i < 5; i++) push(at('03:00') + i * 40_000, { level: 'error', event: 'stripe_webhook_error', logger: 'app.billing.webhooks', stripe_event_type: 'invoice.payment_failed', error: 'IntegrityError: duplicate key', request_id: rid() });
  // Normal billing traffic.
  for (let t = DEMO_START + 7 * MIN; t < end; t += 11 * MIN) push(t, { level: 'info', event: 'stripe_webhook_received', logger: 'app.billing.webhooks', stripe_event_type: 'invoice.paid', request_id: rid() });
  // Paid subscriptions: the org's billing status flips away from inactive a few seconds later.
  const paid = (t: number, org: string, type: string): void => push(t, { level: 'info', event: 'stripe_webhook_processed', logger: 'app.billing.webhooks', stripe_event_type: type, org_id: org, request_id: rid() });
  const flip = (t: number, org: string, to: string): void => push(t, { level: 'info', event: 'organization_billing_status_changed', logger: 'app.billing', org_id: org, from: 'inactive', to, request_id: rid() });
  const billRand = prng(7); // its own stream: the draws above stay as they were
  for (let i = 0, t = DEMO_START + 4 * MIN; t < end; i++, t += 9 * MIN) {
    paid(t, `org_b${i}`, i % 2 === 0 ? 'customer.subscription.created' : 'invoice.paid');
    flip(t + 2000 + Math.floor(billRand() * 7000), `org_b${i}`, i % 3 === 0 ? 'trialing' : 'active');
  }
  // Kubernetes /readyz probes every 10 s, as logged by the handler.
  const unhealthy = new Set([at('00:50'), at('03:30'), at('03:30') + 10_000, at('03:30') + 20_000]);
  for (let t = DEMO_START + 5_000; t < end; t += 10_000) {
    const down = unhealthy.has(t - 5_000);
    push(t, { level: down ? 'warning' : 'info', event: 'readyz_probe', logger: 'app.http', status: down ? 'unhealthy' : 'ok', jobs_ok: true, db_ms: Math.round(2 + billRand() * 20) });
  }
  // Email jobs: each job runs every 5 minutes.
  const jobErrors = new Set([`invoice_reminder ${at('01:10')}`, `invoice_reminder ${at('01:15')}`, `booking_reminder ${at('03:35')}`, `booking_reminder ${at('03:40')}`, `booking_reminder ${at('03:45')}`]);
  for (let t = DEMO_START + 2 * MIN; t < end; t += 5 * MIN) {
    for (const job of ['invoice_reminder', 'booking_reminder']) {
      const failed = jobErrors.has(`${job} ${t - 2 * MIN}`);
      push(t + (job === 'booking_reminder' ? 30_000 : 0), { level: failed ? 'error' : 'info', event: 'email_job', logger: 'app.jobs.email', job, status: failed ? 'error' : 'ok', attempt: 1, request_id: rid() });
    }
  }
  // Near-miss: the flip comes 4 minutes after the payment (limit 5).
  paid(at('01:40'), 'org_stark', 'customer.subscription.created');
  flip(at('01:44'), 'org_stark', 'active');
  // Incident: the status update fails after the webhook is acknowledged; support flips it by hand 18 minutes later.
  paid(at('02:40'), 'org_umbrella', 'customer.subscription.created');
  flip(at('02:58'), 'org_umbrella', 'active');

  lines.sort((a, b) => a.t - b.t);
  // Concurrent workers interleave: swap ~1% of neighbours that are < 2 s apart.
  for (let i = 1; i < lines.length; i++) {
    if (rand() < 0.01 && lines[i]!.t - lines[i - 1]!.t < 2000) {
      const tmp = lines[i]!;
      lines[i] = lines[i - 1]!;
      lines[i - 1] = tmp;
    }
  }
  return lines.map(({ t, obj }) => JSON.stringify({ timestamp: new Date(Math.round(t)).toISOString(), ...obj }));
}
