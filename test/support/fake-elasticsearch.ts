/**
 * A tiny local HTTP server that answers like Elasticsearch for the calls the sink makes
 * (`_bulk`, `_index_template`, `_ilm/policy`, feature probes), with scripted bulk responses.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface BulkOp {
  action: { create?: { _index: string; _id: string } } & Record<string, { _index: string; _id: string } | undefined>;
  source: Record<string, unknown>;
}

export interface ScriptedResponse {
  status: number;
  body: unknown;
}

/** Given the parsed ops of one bulk request, returns the response (or undefined = all created). */
export type BulkScript = (ops: BulkOp[]) => ScriptedResponse | undefined;

export function created(op: BulkOp): Record<string, unknown> {
  const a = op.action.create!;
  return { create: { _index: a._index, _id: a._id, status: 201, result: 'created', _version: 1 } };
}

export function itemError(op: BulkOp, status: number, type: string, reason = `${type} happened`): Record<string, unknown> {
  const a = op.action.create!;
  return { create: { _index: a._index, _id: a._id, status, error: { type, reason } } };
}

export function bulkOk(items: Record<string, unknown>[]): ScriptedResponse {
  return { status: 200, body: { took: 1, errors: items.some((i) => 'error' in (Object.values(i)[0] as object)), items } };
}

export class FakeElasticsearch {
  readonly requests: RecordedRequest[] = [];
  /** Consumed one per bulk request; when empty every op is `created`. */
  readonly bulkScripts: BulkScript[] = [];
  probeStatus: Record<string, number> = { '/_data_stream': 400, '/_ilm/status': 400 };
  /** Every non-bulk response status override (e.g. 401 for all). */
  forceStatus: ScriptedResponse | undefined;
  private server: Server | undefined;
  url = '';

  get bulkRequests(): BulkOp[][] {
    return this.requests.filter((r) => r.path.startsWith('/_bulk')).map((r) => parseBulk(r.body));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
        const r = this.respond(req.method ?? 'GET', path.split('?')[0]!, body);
        res.writeHead(r.status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private respond(method: string, path: string, body: string): ScriptedResponse {
    if (this.forceStatus !== undefined) return this.forceStatus;
    if (method === 'GET' && path in this.probeStatus) {
      const status = this.probeStatus[path]!;
      return status === 400
        ? { status, body: { error: `no handler found for uri [${path}] and method [GET]` } }
        : { status, body: status < 300 ? {} : { error: { type: 'x' }, status } };
    }
    if (path === '/_bulk') {
      const ops = parseBulk(body);
      const script = this.bulkScripts.shift();
      return script?.(ops) ?? bulkOk(ops.map(created));
    }
    if (method === 'PUT' && (path.startsWith('/_index_template/') || path.startsWith('/_ilm/policy/'))) {
      return { status: 200, body: { acknowledged: true } };
    }
    return { status: 404, body: { error: { type: 'not_found' }, status: 404 } };
  }
}

export function parseBulk(body: string): BulkOp[] {
  const lines = body.split('\n').filter((l) => l.length > 0);
  const ops: BulkOp[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    ops.push({ action: JSON.parse(lines[i]!) as BulkOp['action'], source: JSON.parse(lines[i + 1]!) as Record<string, unknown> });
  }
  return ops;
}
