/**
 * Operational HTTP endpoints of `tripline run` (TRIPLINE_HTTP_PORT):
 *   GET /healthz  200 while the process is up
 *   GET /readyz   200 when every registered probe is ok, else 503; JSON per component
 *   GET /metrics  Prometheus text from the instance's registry
 * Components (Kafka source, Elasticsearch sink, ...) register a probe `() => {ok, detail}`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface ProbeResult {
  ok: boolean;
  /** Short, secret-free explanation (`member of group tripline, 3 partitions`). */
  detail?: string;
}

export type Probe = () => ProbeResult | Promise<ProbeResult>;

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  components: Record<string, ProbeResult>;
}

export interface HttpServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default `0.0.0.0`. */
  host?: string;
  registry: Registry;
  logger?: Logger;
  /** A probe slower than this counts as failed. Default 2000 ms. */
  probeTimeoutMs?: number;
}

export class TelemetryServer {
  readonly #opts: HttpServerOptions;
  readonly #probes = new Map<string, Probe>();
  #server: Server | undefined;

  constructor(opts: HttpServerOptions) {
    this.#opts = opts;
  }

  /** Registers (or replaces) a readiness probe; returns a function that removes it. */
  registerProbe(name: string, probe: Probe): () => void {
    this.#probes.set(name, probe);
    return () => {
      if (this.#probes.get(name) === probe) this.#probes.delete(name);
    };
  }

  /** Runs every probe (concurrently, with a timeout). No probes means ready. */
  async readiness(): Promise<ReadinessReport> {
    const timeout = this.#opts.probeTimeoutMs ?? 2000;
    const entries = await Promise.all(
      [...this.#probes].map(async ([name, probe]): Promise<[string, ProbeResult]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const result = await Promise.race([
            Promise.resolve().then(probe),
            new Promise<ProbeResult>((resolve) => {
              timer = setTimeout(() => resolve({ ok: false, detail: `probe timed out after ${timeout} ms` }), timeout);
            }),
          ]);
          return [name, { ok: result.ok === true, ...(result.detail === undefined ? {} : { detail: result.detail }) }];
        } catch (e) {
          return [name, { ok: false, detail: `probe failed: ${e instanceof Error ? e.message : String(e)}` }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const components = Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
    const ok = entries.every(([, r]) => r.ok);
    return { status: ok ? 'ready' : 'not_ready', components };
  }

  async start(): Promise<number> {
    if (this.#server !== undefined) return this.port;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        this.#opts.logger?.error({ err: e }, 'telemetry endpoint failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, this.#opts.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#opts.logger?.info({ 'url.port': this.port }, 'telemetry HTTP server listening');
    return this.port;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const addr = this.#server?.address() as AddressInfo | null | undefined;
    if (addr === null || addr === undefined) throw new Error('telemetry server is not listening');
    return addr.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, 'application/json', '{"status":"ok"}\n');
        return;
      case '/readyz': {
        const report = await this.readiness();
        send(res, report.status === 'ready' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        return;
      }
      case '/metrics': {
        const body = await this.#opts.registry.metrics();
        send(res, 200, this.#opts.registry.contentType, body);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
