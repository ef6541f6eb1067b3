import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryServer } from '../../../src/telemetry/http-server.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

let server: TelemetryServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(probeTimeoutMs?: number) {
  const metrics = createMetrics();
  server = new TelemetryServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, probeTimeoutMs });
  const port = await server.start();
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  return { server, metrics, url };
}

describe('telemetry HTTP server', () => {
  it('GET /healthz is 200', async () => {
    const { url } = await start();
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports every component; 200 only when all are ok', async () => {
    const { server, url } = await start();
    let esOk = true;
    server.registerProbe('kafka', () => ({ ok: true, detail: 'member of group tripline' }));
    server.registerProbe('elasticsearch', async () => ({ ok: esOk, detail: esOk ? 'reachable' : 'unreachable' }));
    let res = await fetch(url('/readyz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      components: {
        elasticsearch: { ok: true, detail: 'reachable' },
        kafka: { ok: true, detail: 'member of group tripline' },
      },
    });
    esOk = false;
    res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not_ready', components: { elasticsearch: { ok: false } } });
  });

  it('a throwing or hanging probe is not ready', async () => {
    const { server, url } = await start(100);
    const remove = server.registerProbe('sink', () => {
      throw new Error('stalled');
    });
    let res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ components: { sink: { ok: false, detail: 'probe failed: stalled' } } });
    remove();
    server.registerProbe('slow', () => new Promise(() => undefined));
    res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ components: { slow: { ok: false, detail: 'probe timed out after 100 ms' } } });
  });

  it('GET /metrics serves the registry', async () => {
    const { metrics, url } = await start();
    metrics.recordsConsumed.inc({ topic: 'logs' }, 5);
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('tripline_records_consumed_total{topic="logs"} 5');
  });

  it('unknown path is 404, POST is 405', async () => {
    const { url } = await start();
    expect((await fetch(url('/nope'))).status).toBe(404);
    expect((await fetch(url('/healthz'), { method: 'POST' })).status).toBe(405);
  });

  it('stop closes the port', async () => {
    const { server, url } = await start();
    const u = url('/healthz');
    await server.stop();
    await expect(fetch(u)).rejects.toThrow();
  });
});
