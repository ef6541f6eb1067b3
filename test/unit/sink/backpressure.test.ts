// Backpressure thresholds (pause on stall or > maxPending outstanding, resume only when drained) and
// the `sinks` readiness probe: /readyz is 503 with sinks not ok while a queue is stalled, 200 after.
import { afterEach, describe, expect, it } from 'vitest';
import { TriplineError } from '../../../src/model/errors.js';
import { Backpressure, DEFAULT_MAX_PENDING } from '../../../src/sink/backpressure.js';
import { DeliveryQueue } from '../../../src/sink/delivery-queue.js';
import type { QueueStatus } from '../../../src/sink/delivery-queue.js';
import type { SendResult, Sink } from '../../../src/sink/sink.js';
import { TelemetryServer } from '../../../src/telemetry/http-server.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

class FakeQueue implements QueueStatus {
  isStalled = false;
  n = 0;
  constructor(readonly name: string) {}
  idle = async () => undefined;
  pending = () => this.n;
  stalled = () => this.isStalled;
  abort = () => undefined;
}

function setup(maxPending?: number) {
  const a = new FakeQueue('elasticsearch-alerts');
  const b = new FakeQueue('pagerduty');
  const calls: string[] = [];
  const bp = new Backpressure({
    queues: () => [a, b],
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    logger: silentLogger(),
    ...(maxPending === undefined ? {} : { maxPending }),
  });
  return { a, b, calls, bp };
}

describe('Backpressure', () => {
  it('pauses above maxPending (not at it) and resumes only once every queue is empty', () => {
    const { a, b, calls, bp } = setup(4);
    a.n = 4;
    bp.update();
    expect(calls).toEqual([]);
    a.n = 5;
    bp.update();
    expect(bp.paused).toBe(true);
    expect(calls).toEqual(['pause']);
    a.n = 1; // below the limit but not drained: stay paused (hysteresis)
    b.n = 2;
    bp.update();
    expect(calls).toEqual(['pause']);
    expect(bp.paused).toBe(true);
    a.n = 0;
    b.n = 0;
    bp.update();
    expect(calls).toEqual(['pause', 'resume']);
    expect(bp.paused).toBe(false);
  });

  it('the default limit is 32 outstanding batches per queue', () => {
    const { a, calls, bp } = setup();
    a.n = DEFAULT_MAX_PENDING;
    bp.update();
    expect(calls).toEqual([]);
    a.n = DEFAULT_MAX_PENDING + 1;
    bp.update();
    expect(calls).toEqual(['pause']);
  });

  it('pauses while any queue is stalled, even with nothing else pending; keeps re-pausing (new assignments)', () => {
    const { b, calls, bp } = setup();
    b.isStalled = true;
    b.n = 1;
    bp.update();
    bp.update();
    expect(calls).toEqual(['pause', 'pause']);
    b.isStalled = false;
    bp.update(); // not stalled, but still one batch pending
    expect(bp.paused).toBe(true);
    b.n = 0;
    bp.update();
    expect(calls.at(-1)).toBe('resume');
  });

  it('never pauses while stopping', () => {
    const { a, calls, bp } = setup();
    a.isStalled = true;
    bp.update(true);
    expect(calls).toEqual([]);
  });

  it('probe: not ok naming the stalled queues; ok (draining) while paused but not stalled', () => {
    const { a, b, bp } = setup(0);
    expect(bp.probe()).toEqual({ ok: true, detail: 'delivering' });
    a.isStalled = true;
    b.isStalled = true;
    expect(bp.probe()).toEqual({ ok: false, detail: 'stalled: elasticsearch-alerts, pagerduty' });
    a.isStalled = false;
    b.isStalled = false;
    a.n = 1;
    bp.update();
    expect(bp.probe()).toEqual({ ok: true, detail: 'draining' });
  });
});

describe('readiness while a sink is stalled', () => {
  let server: TelemetryServer | undefined;
  afterEach(() => server?.stop());

  it('/readyz is 503 with sinks not ok while a delivery queue is stalled, 200 after it delivered', async () => {
    let failing = true;
    const sink: Sink<number> = {
      send: async (batch): Promise<SendResult<number>> => {
        if (failing) throw new TriplineError('SINK_RETRIABLE', 'elasticsearch: 503');
        return { acknowledged: batch, duplicates: 0, deadLettered: [] };
      },
      flush: async () => undefined,
      close: async () => undefined,
      isStalled: () => false,
      health: () => ({ healthy: true, stalled: false }),
    };
    const q = new DeliveryQueue({ name: 'elasticsearch-alerts', sink, logger: silentLogger(), minDelayMs: 5, maxDelayMs: 20 });
    const paused: string[] = [];
    const bp = new Backpressure({ queues: () => [q], pause: () => paused.push('pause'), resume: () => paused.push('resume'), logger: silentLogger() });
    server = new TelemetryServer({ port: 0, host: '127.0.0.1', registry: createMetrics().registry });
    server.registerProbe('sinks', () => bp.probe());
    const port = await server.start();
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; components: Record<string, { ok: boolean; detail?: string }> } };
    };

    expect((await readyz()).status).toBe(200);
    const delivered = q.enqueue([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 30));
    bp.update();
    const during = await readyz();
    expect(during.status).toBe(503);
    expect(during.body.status).toBe('not_ready');
    expect(during.body.components.sinks).toEqual({ ok: false, detail: 'stalled: elasticsearch-alerts' });
    expect(paused).toEqual(['pause']);

    failing = false;
    await delivered;
    bp.update();
    const after = await readyz();
    expect(after.status).toBe(200);
    expect(after.body.components.sinks).toEqual({ ok: true, detail: 'delivering' });
    expect(paused).toEqual(['pause', 'resume']);
  });
});
