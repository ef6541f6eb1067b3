/**
 * A local PagerDuty Events API v2 receiver (node:http, 127.0.0.1, port 0) enforcing the published
 * contract, with injectable faults (next N responses 429 / 500 / delayed) and a record of everything
 * received plus the incident state per (routing_key, dedup_key), so tests can assert "no duplicate
 * incident". Dedup semantics: a trigger opens an alert unless one is open for the key (then it is
 * deduplicated); acknowledge/resolve with no open alert are dropped; after a resolve the same key
 * opens a new alert.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const MAX_BODY_BYTES = 512 * 1024;
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export type Outcome = 'opened' | 'deduplicated' | 'acknowledged' | 'resolved' | 'dropped' | 'rejected' | 'fault';

export interface ReceivedRequest {
  /** Arrival order, from 0. */
  readonly seq: number;
  readonly status: number;
  readonly raw: string;
  /** Parsed body (undefined when not JSON). */
  readonly body: Record<string, unknown> | undefined;
  readonly accepted: boolean;
  readonly outcome: Outcome;
  readonly errors: readonly string[];
  readonly dedupKey?: string;
}

export interface Incident {
  readonly routingKey: string;
  readonly dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** seq of every accepted request applied to this incident, in order. */
  readonly requests: number[];
}

type Fault = { kind: 'status'; status: number } | { kind: 'delay'; ms: number };

export class PagerDutyReceiver {
  readonly received: ReceivedRequest[] = [];
  readonly incidents: Incident[] = [];
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  private seq = 0;
  /** `http://127.0.0.1:<port>/v2/enqueue` once started. */
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req.method ?? 'GET', req.url ?? '/', Buffer.concat(chunks)).then(({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2/enqueue`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `n` requests get HTTP `status` (e.g. 429, 500) without being processed. */
  failNext(n: number, status: number): this {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'status', status });
    return this;
  }

  /** The next `n` requests are answered after `ms` (then processed normally). */
  delayNext(n: number, ms: number): this {
    for (let i = 0; i < n; i++) this.faults.push({ kind: 'delay', ms });
    return this;
  }

  /** Drops every pending fault. */
  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  accepted(): ReceivedRequest[] {
    return this.received.filter((r) => r.accepted);
  }

  /** Accepted events for one dedup key, in arrival order: `['trigger', 'resolve']`. */
  actionsFor(dedupKey: string): string[] {
    return this.accepted()
      .filter((r) => r.dedupKey === dedupKey)
      .map((r) => String(r.body?.event_action));
  }

  incidentsFor(dedupKey: string, routingKey?: string): Incident[] {
    return this.incidents.filter((i) => i.dedupKey === dedupKey && (routingKey === undefined || i.routingKey === routingKey));
  }

  openIncident(routingKey: string, dedupKey: string): Incident | undefined {
    return this.incidents.find((i) => i.routingKey === routingKey && i.dedupKey === dedupKey && i.status !== 'resolved');
  }

  private async handle(method: string, path: string, raw: Buffer): Promise<{ status: number; body: unknown }> {
    const seq = this.seq++;
    const text = raw.toString('utf8');
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      this.received.push({ seq, status: fault.status, raw: text, body: tryParse(text), accepted: false, outcome: 'fault', errors: [] });
      return { status: fault.status, body: fault.status === 429 ? { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' } : { status: 'error' } };
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (method !== 'POST' || path.split('?')[0] !== '/v2/enqueue') {
      this.received.push({ seq, status: 404, raw: text, body: undefined, accepted: false, outcome: 'rejected', errors: ['not found'] });
      return { status: 404, body: { status: 'not found' } };
    }
    const reject = (errors: string[], body?: Record<string, unknown>) => {
      this.received.push({ seq, status: 400, raw: text, body, accepted: false, outcome: 'rejected', errors });
      return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    };
    if (raw.length > MAX_BODY_BYTES) return reject([`Request body exceeds ${MAX_BODY_BYTES} bytes`]);
    const body = tryParse(text);
    if (body === undefined) return reject(['Invalid JSON']);
    const errors = validate(body);
    if (errors.length > 0) return reject(errors, body);

    const routingKey = body.routing_key as string;
    const action = body.event_action as string;
    let dedupKey = typeof body.dedup_key === 'string' && body.dedup_key !== '' ? body.dedup_key : undefined;
    if (dedupKey === undefined) dedupKey = randomBytes(16).toString('hex'); // trigger without key: always new
    const open = this.openIncident(routingKey, dedupKey);
    let outcome: Outcome;
    if (action === 'trigger') {
      if (open !== undefined) {
        open.requests.push(seq);
        outcome = 'deduplicated';
      } else {
        this.incidents.push({ routingKey, dedupKey, status: 'triggered', requests: [seq] });
        outcome = 'opened';
      }
    } else if (open === undefined) {
      outcome = 'dropped';
    } else {
      open.requests.push(seq);
      open.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      outcome = action === 'resolve' ? 'resolved' : 'acknowledged';
    }
    this.received.push({ seq, status: 202, raw: text, body, accepted: true, outcome, errors: [], dedupKey });
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }
}

function tryParse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The published Events v2 contract. */
export function validate(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const rk = body.routing_key;
  if (typeof rk !== 'string' || rk === '') errors.push("'routing_key' is missing or blank");
  else if (rk.length !== 32) errors.push("'routing_key' must be 32 characters");
  const action = body.event_action;
  if (typeof action !== 'string' || !ACTIONS.includes(action)) errors.push("'event_action' is invalid (must be one of trigger, acknowledge, resolve)");
  if (body.dedup_key !== undefined) {
    if (typeof body.dedup_key !== 'string') errors.push("'dedup_key' must be a string");
    else if (body.dedup_key.length > 255) errors.push("'dedup_key' must be at most 255 characters");
  }
  if ((action === 'acknowledge' || action === 'resolve') && (typeof body.dedup_key !== 'string' || body.dedup_key === '')) {
    errors.push("'dedup_key' is required for acknowledge and resolve");
  }
  if (action === 'trigger' || body.payload !== undefined) {
    const p = body.payload;
    if (!isObj(p)) {
      errors.push("'payload' is missing or not an object");
    } else {
      if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing or blank");
      else if (Array.from(p.summary).length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing or blank");
      if (p.severity === undefined) {
        if (action === 'trigger') errors.push("'payload.severity' is missing");
      } else if (typeof p.severity !== 'string' || !SEVERITIES.includes(p.severity)) {
        errors.push("'payload.severity' is invalid (must be one of critical, error, warning, info)");
      }
      if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || !Number.isFinite(Date.parse(p.timestamp)))) {
        errors.push("'payload.timestamp' must be an ISO 8601 timestamp");
      }
      if (p.custom_details !== undefined && !isObj(p.custom_details)) errors.push("'payload.custom_details' must be an object");
      for (const f of ['component', 'group', 'class']) {
        if (p[f] !== undefined && typeof p[f] !== 'string') errors.push(`'payload.${f}' must be a string`);
      }
    }
  }
  if (body.links !== undefined) {
    if (!Array.isArray(body.links)) errors.push("'links' must be an array");
    else body.links.forEach((l, i) => {
      if (!isObj(l) || typeof l.href !== 'string' || l.href === '') errors.push(`'links[${i}].href' is required`);
    });
  }
  if (body.images !== undefined) {
    if (!Array.isArray(body.images)) errors.push("'images' must be an array");
    else body.images.forEach((im, i) => {
      if (!isObj(im) || typeof im.src !== 'string' || !im.src.startsWith('https://')) errors.push(`'images[${i}].src' is required and must be an HTTPS URL`);
    });
  }
  return errors;
}
