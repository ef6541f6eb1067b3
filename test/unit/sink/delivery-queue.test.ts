// DeliveryQueue: strict per-queue order, retry until acknowledged, stall detection, abort, and
// refused items handed to the dead-letter hook before the batch counts as delivered.
import { describe, expect, it } from 'vitest';
import { TriplineError } from '../../../src/model/errors.js';
import { AlertFanOut, DeliveryQueue } from '../../../src/sink/delivery-queue.js';
import type { DeadLetter, SendResult, Sink } from '../../../src/sink/sink.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { captureLogger } from '../../support/capture-logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scripted sink: `plan(batch, attempt)` returns 'ok', 'fail', a list of refused items, or a promise to wait on first. */
class FakeSink<T> implements Sink<T> {
  readonly calls: Array<{ batch: T[]; at: number }> = [];
  readonly acked: T[] = [];
  inFlight = 0;
  maxInFlight = 0;
  stalledFlag = false;
  constructor(private readonly plan: (batch: readonly T[], attempt: number) => Promise<'ok' | 'fail' | T[]> | 'ok' | 'fail' | T[] = () => 'ok') {}

  async send(batch: readonly T[]): Promise<SendResult<T>> {
    const attempt = this.calls.filter((c) => JSON.stringify(c.batch) === JSON.stringify(batch)).length;
    this.calls.push({ batch: [...batch], at: Date.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(1);
      const r = await this.plan(batch, attempt);
      if (r === 'fail') throw new TriplineError('SINK_RETRIABLE', 'fake: 503');
      const refused = r === 'ok' ? [] : r;
      const ok = batch.filter((x) => !refused.includes(x));
      this.acked.push(...ok);
      return { acknowledged: ok, duplicates: 0, deadLettered: refused.map((item) => ({ item, reason: 'mapper_parsing_exception', detail: 'bad field', status: 400 })) };
    } finally {
      this.inFlight--;
    }
  }
  flush = async () => undefined;
  close = async () => undefined;
  isStalled = () => this.stalledFlag;
  health = () => ({ healthy: !this.stalledFlag, stalled: this.stalledFlag });
}

const fast = { minDelayMs: 5, maxDelayMs: 20 };

describe('DeliveryQueue', () => {
  it('delivers batches strictly in order, one at a time', async () => {
    // Earlier batches are slower: without ordering, later ones would overtake them.
    const sink = new FakeSink<number>(async (b) => {
      await sleep(20 - b[0]! * 2);
      return 'ok' as const;
    });
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), ...fast });
    const done: number[] = [];
    const ps = [0, 1, 2, 3, 4, 5].map((i) => q.enqueue([i * 10, i * 10 + 1]).then(() => done.push(i)));
    expect(q.pending()).toBe(6);
    await Promise.all(ps);
    expect(sink.acked).toEqual([0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51]);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sink.maxInFlight).toBe(1);
    expect(q.pending()).toBe(0);
  });

  it('an empty batch resolves at once and is not sent', async () => {
    const sink = new FakeSink<number>();
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger() });
    await q.enqueue([]);
    expect(sink.calls).toHaveLength(0);
    expect(q.pending()).toBe(0);
  });

  it('retries a failing send with capped backoff until acknowledged; later batches wait', async () => {
    const sink = new FakeSink<string>((b, attempt) => (b[0] === 'a' && attempt < 4 ? 'fail' : 'ok'));
    const metrics = createMetrics();
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), metrics, minDelayMs: 5, maxDelayMs: 10 });
    const a = q.enqueue(['a']);
    const b = q.enqueue(['b']);
    await Promise.all([a, b]);
    expect(sink.calls.map((c) => c.batch[0])).toEqual(['a', 'a', 'a', 'a', 'a', 'b']);
    expect(sink.acked).toEqual(['a', 'b']);
    // Backoff 5, 10, 10, 10 (capped): the gaps grow and never exceed the cap by much.
    const gaps = sink.calls.slice(0, 5).map((c, i, all) => (i === 0 ? 0 : c.at - all[i - 1]!.at)).slice(1);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(4);
    const errs = await metrics.componentErrors.get();
    expect(errs.values.find((v) => v.labels.error_type === 'sink_retriable')?.value).toBe(4);
    const sent = await metrics.componentSentEvents.get();
    expect(sent.values.find((v) => v.labels.stage === 'sink')?.value).toBe(2);
  });

  it('idle() waits for everything queued so far, including batches queued while waiting', async () => {
    const sink = new FakeSink<number>(async () => {
      await sleep(10);
      return 'ok' as const;
    });
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger() });
    void q.enqueue([1]);
    const idle = q.idle();
    void q.enqueue([2]);
    await idle;
    expect(sink.acked).toEqual([1, 2]);
  });

  describe('stall detection', () => {
    it('is stalled while sends fail, and recovers after the ack', async () => {
      let failing = true;
      const sink = new FakeSink<number>(() => (failing ? 'fail' : 'ok'));
      const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), ...fast });
      expect(q.stalled()).toBe(false);
      const p = q.enqueue([1]);
      await sleep(30);
      expect(q.stalled()).toBe(true);
      failing = false;
      await p;
      expect(q.stalled()).toBe(false);
    });

    it('is stalled when a delivery has been outstanding longer than stallAfterMs (slow, not failing)', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const sink = new FakeSink<number>(async () => {
        await gate;
        return 'ok' as const;
      });
      const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), stallAfterMs: 1000 });
      const p = q.enqueue([1]);
      const t0 = Date.now();
      expect(q.stalled(t0 + 500)).toBe(false);
      expect(q.stalled(t0 + 1500)).toBe(true);
      release();
      await p;
      expect(q.stalled(t0 + 1500)).toBe(false);
    });

    it('follows the sink own stalled flag', () => {
      const sink = new FakeSink<number>();
      const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger() });
      sink.stalledFlag = true;
      expect(q.stalled()).toBe(true);
    });
  });

  it('abort() makes queued deliveries reject with SINK_CLOSED instead of retrying forever', async () => {
    const sink = new FakeSink<number>(() => 'fail');
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), ...fast });
    const p = q.enqueue([1]);
    const p2 = q.enqueue([2]);
    await sleep(20);
    q.abort();
    await expect(p).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    await expect(p2).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    expect(sink.acked).toEqual([]);
    expect(q.pending()).toBe(0);
  });

  it('a SINK_CLOSED from the sink is not retried', async () => {
    const sink = new FakeSink<number>(() => {
      throw new TriplineError('SINK_CLOSED', 'closed');
    });
    const q = new DeliveryQueue({ name: 't', sink, logger: silentLogger(), ...fast });
    await expect(q.enqueue([1])).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    expect(sink.calls).toHaveLength(1);
  });

  describe('refused items', () => {
    it('are dead-lettered (awaited) before the batch resolves, and counted', async () => {
      const sink = new FakeSink<string>((b) => b.filter((x) => x.startsWith('bad')));
      const order: string[] = [];
      const dl: Array<{ sink: string; items: DeadLetter<string>[] }> = [];
      const metrics = createMetrics();
      const q = new DeliveryQueue({
        name: 'elasticsearch-alerts',
        sink,
        logger: silentLogger(),
        metrics,
        deadLetter: async (items, name) => {
          await sleep(15);
          dl.push({ sink: name, items: [...items] });
          order.push('dead-lettered');
        },
      });
      await q.enqueue(['ok1', 'bad1', 'ok2']).then(() => order.push('resolved'));
      expect(order).toEqual(['dead-lettered', 'resolved']);
      expect(dl).toEqual([{ sink: 'elasticsearch-alerts', items: [{ item: 'bad1', reason: 'mapper_parsing_exception', detail: 'bad field', status: 400 }] }]);
      expect(sink.acked).toEqual(['ok1', 'ok2']);
      const errs = await metrics.componentErrors.get();
      expect(errs.values.find((v) => v.labels.error_type === 'dead_lettered')?.value).toBe(1);
    });

    it('a failing dead-letter write is retried without re-sending to the sink; the queue is stalled meanwhile', async () => {
      const sink = new FakeSink<string>(() => ['bad']);
      let fails = 3;
      let writes = 0;
      const q = new DeliveryQueue({
        name: 'pagerduty',
        sink,
        logger: silentLogger(),
        ...fast,
        deadLetter: async () => {
          writes++;
          if (fails-- > 0) throw new TriplineError('DLQ_WRITE_FAILED', 'broker down');
        },
      });
      const p = q.enqueue(['bad']);
      await sleep(15);
      expect(q.stalled()).toBe(true);
      await p;
      expect(writes).toBe(4);
      expect(sink.calls).toHaveLength(1);
      expect(q.stalled()).toBe(false);
    });

    it('without a dead-letter hook they are logged as dropped', async () => {
      const cap = captureLogger();
      const q = new DeliveryQueue({ name: 'x', sink: new FakeSink<string>(() => ['bad']), logger: cap.logger });
      await q.enqueue(['bad']);
      expect(cap.text()).toContain('dropped (no dead-letter topic)');
    });
  });
});

describe('AlertFanOut', () => {
  it('resolves only when every queue acknowledged; a stalled queue holds it', async () => {
    let failing = true;
    const good = new FakeSink<number>();
    const bad = new FakeSink<number>(() => (failing ? 'fail' : 'ok'));
    const qs = [new DeliveryQueue({ name: 'good', sink: good, logger: silentLogger(), ...fast }), new DeliveryQueue({ name: 'bad', sink: bad, logger: silentLogger(), ...fast })];
    const fan = new AlertFanOut(qs);
    let done = false;
    const p = fan.send([1, 2]).then(() => (done = true));
    await sleep(40);
    expect(good.acked).toEqual([1, 2]);
    expect(done).toBe(false);
    expect(fan.stalled()).toEqual(['bad']);
    failing = false;
    await p;
    await fan.idle();
    expect(bad.acked).toEqual([1, 2]);
    expect(fan.stalled()).toEqual([]);
  });
});
