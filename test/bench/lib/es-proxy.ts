/**
 * An HTTP proxy in front of Elasticsearch for the latency and burst benchmarks (127.0.0.1, port 0).
 *
 * - Every request is forwarded to `upstream` with its method, path, headers and body (the
 *   `accept-encoding` header is dropped so bulk responses come back as plain JSON), and the
 *   response is passed back unchanged.
 * - For a `_bulk` request, each document of the NDJSON body is paired with its item of the
 *   response, and `onAck(source, status, t)` is called for every document, where `t` is
 *   `performance.now()` when the upstream response was complete, i.e. the moment tripline gets
 *   Elasticsearch's acknowledgement (give or take this process's event loop).
 * - `outage(ms)`: for `ms`, every request (bulk, health checks, templates) is answered 503 at once
 *   without reaching Elasticsearch, as a node that is up but unavailable would; requests
 *   refused are counted.
 */
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AckListener = (source: Record<string, unknown>, status: number, t: number) => void;

export interface EsProxyStats {
  requests: number;
  bulkRequests: number;
  bulkDocs: number;
  /** Requests answered 503 during an outage. */
  refused: number;
  upstreamErrors: number;
}

export class EsProxy {
  readonly stats: EsProxyStats = { requests: 0, bulkRequests: 0, bulkDocs: 0, refused: 0, upstreamErrors: 0 };
  /** `http://127.0.0.1:<port>` once started. */
  url = '';
  private server: Server | undefined;
  private downUntil = 0;
  private readonly upstream: URL;

  constructor(
    upstream: string,
    private readonly onAck: AckListener = () => undefined,
    /** Only documents whose source line contains this text are parsed and reported. */
    private readonly marker = '',
  ) {
    this.upstream = new URL(upstream);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.stats.requests++;
        if (performance.now() < this.downUntil) {
          this.stats.refused++;
          res.writeHead(503, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
          res.end(JSON.stringify({ error: { type: 'unavailable', reason: 'bench outage' }, status: 503 }));
          return;
        }
        const body = Buffer.concat(chunks);
        const headers: IncomingHttpHeaders = { ...req.headers, host: this.upstream.host };
        delete headers['accept-encoding'];
        const up = request(
          { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
          (upRes) => {
            const out: Buffer[] = [];
            upRes.on('data', (c: Buffer) => out.push(c));
            upRes.on('end', () => {
              const t = performance.now();
              const payload = Buffer.concat(out);
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              res.end(payload);
              if ((req.url ?? '').split('?')[0]!.endsWith('/_bulk')) this.bulkDone(body, upRes.statusCode ?? 0, payload, t);
            });
          },
        );
        up.on('error', (e) => {
          this.stats.upstreamErrors++;
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(e) }));
        });
        up.end(body);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers 503 to everything for `ms` from now. */
  outage(ms: number): void {
    this.downUntil = performance.now() + ms;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private bulkDone(body: Buffer, status: number, payload: Buffer, t: number): void {
    this.stats.bulkRequests++;
    const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
    let items: Array<Record<string, { status?: number }>> = [];
    try {
      items = (JSON.parse(payload.toString('utf8')) as { items?: typeof items }).items ?? [];
    } catch {
      // not JSON: every document gets the request status
    }
    // `create` / `index` actions are followed by a source line (no `delete` in tripline's bulks).
    for (let i = 0, k = 0; i + 1 < lines.length; i += 2, k++) {
      this.stats.bulkDocs++;
      const item = items[k];
      const itemStatus = item === undefined ? status : (Object.values(item)[0]?.status ?? status);
      if (this.marker !== '' && !lines[i + 1]!.includes(this.marker)) continue;
      let source: Record<string, unknown>;
      try {
        source = JSON.parse(lines[i + 1]!) as Record<string, unknown>;
      } catch {
        continue;
      }
      this.onAck(source, itemStatus, t);
    }
  }
}
