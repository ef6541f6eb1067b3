/**
 * The only file that knows every stage: source → decode → match → window → detect → alert → sink.
 *
 * `Detection` is the pure middle (decode → match → engine). It does no I/O and takes time as a
 * parameter, so `tripline replay` and `tripline run` drive exactly the same code: replay feeds
 * it lines from a file, the service feeds it Kafka records and wall-clock ticks.
 */
import type { DecodeOptions } from './decode/index.js';
import { createFastDecoder } from './decode/fast.js';
import type { DecodePath } from './decode/fast.js';
import { createEngine } from './engine/engine.js';
import type { Engine, EngineOptions, EngineStats } from './engine/engine.js';
import { createMatcher, decoderFieldsFor } from './match/index.js';
import type { DecodeError, DecodeErrorReason } from './model/event.js';
import { isDecodeError } from './model/event.js';
import type { Matcher } from './model/match.js';
import type { Pattern } from './model/pattern.js';
import type { AlertTransition } from './model/transition.js';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config/service-config.js';
import { TriplineError } from './model/errors.js';
import { Backpressure } from './sink/backpressure.js';
import { AlertFanOut, DeliveryQueue } from './sink/delivery-queue.js';
import type { QueueStatus } from './sink/delivery-queue.js';
import { createEsClient } from './sink/elasticsearch/client.js';
import { metricCodec } from './sink/elasticsearch/documents.js';
import type { MetricRecord } from './sink/elasticsearch/documents.js';
import { createElasticsearchSinks } from './sink/elasticsearch/index.js';
import { KafkaAlertSink, createAlertProducer } from './sink/kafka/alert-sink.js';
import { MetricEmitter } from './sink/metric-emitter.js';
import type { MetricEmitterState } from './sink/metric-emitter.js';

const EMPTY = new Uint8Array(0);
import { PagerDutySink } from './sink/pagerduty/index.js';
import { DeliveredMemory } from './sink/pagerduty/delivered.js';
import { KafkaDeliveredStore, pagerDutyDeliveredTopic } from './sink/pagerduty/delivered-store.js';
import { pagerDutyRoutingFromService } from './sink/pagerduty/service-routing.js';
import type { DeadLetter } from './sink/sink.js';
import { SinkDeadLetterWriter, sinkDlqTopic } from './sink/sink-dlq.js';
import { CheckpointStore, checkCheckpointVersion } from './source/checkpoint-store.js';
import { Combiner } from './shuffle/combiner.js';
import { decodeBatch, partialsTopic } from './shuffle/partial.js';
import { ShuffleTask } from './shuffle/shuffle-task.js';
import type { ShuffleTaskSnapshot } from './shuffle/shuffle-task.js';
import { Stage1Source, ensurePartialsTopic } from './shuffle/stage1-source.js';
import { DlqWriter } from './source/dlq.js';
import { createKafka, mapKafkaError } from './source/kafka-client.js';
import { KafkaSource } from './source/kafka-source.js';
import type { BatchContext, BatchHandler, SourceRecord } from './source/kafka-source.js';
import type { ProbeResult, TelemetryServer } from './telemetry/http-server.js';
import type { Metrics } from './telemetry/metrics.js';

export interface DetectionOptions {
  decode?: DecodeOptions;
  /**
   * Decode implementation (src/decode/fast.ts; same events and errors, see BENCHMARKS.md):
   * 'extract' (default) scans lines and extracts only the pattern fields, 'prefilter' JSON.parses
   * the lines some pattern references, 'full' JSON.parses every line.
   */
  decodePath?: DecodePath;
  engine?: EngineOptions;
  /** Only events with from <= time < to are fed to the engine (others are counted as `filtered`). */
  from?: number;
  to?: number;
}

export interface DetectionCounters {
  /** Lines/records offered. */
  read: number;
  decoded: number;
  /** Decoded events that matched at least one pattern. */
  matched: number;
  /** Matches dropped as late, summed over patterns. */
  late: number;
  /** Decoded events outside [from, to). */
  filtered: number;
  /** Events whose time came from the Kafka record timestamp. */
  recordTime: number;
  invalid: Partial<Record<DecodeErrorReason, number>>;
  /** Transitions by pattern id and state. */
  transitions: Record<string, Partial<Record<AlertTransition['alert']['state'], number>>>;
}

export interface Detection {
  readonly patterns: readonly Pattern[];
  /** Decodes, matches and observes one line. Returns the decode error, if any (never throws). */
  push(raw: Uint8Array | string, recordTimestampMs?: number, partition?: number, wallNow?: number): DecodeError | undefined;
  /** Evaluates every due window boundary. */
  advance(): AlertTransition[];
  /** Wall-clock tick (idle rule), then advance. */
  tick(wallNow: number): AlertTransition[];
  /** End of input: evaluate up to the last event time, without resolving open alerts. */
  flush(): AlertTransition[];
  counters(): DetectionCounters;
  engineStats(): EngineStats;
  readonly engine: Engine;
}

export function createDetection(patterns: readonly Pattern[], opts: DetectionOptions = {}): Detection {
  const decoder = createFastDecoder({ ...opts.decode, ...decoderFieldsFor(patterns), path: opts.decodePath ?? 'extract' });
  const matcher: Matcher = createMatcher([...patterns]);
  const engine = createEngine(patterns, opts.engine ?? {});
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const c: DetectionCounters = { read: 0, decoded: 0, matched: 0, late: 0, filtered: 0, recordTime: 0, invalid: {}, transitions: {} };

  const count = (ts: AlertTransition[]): AlertTransition[] => {
    for (const t of ts) {
      const byState = (c.transitions[t.pattern.id] ??= {});
      byState[t.alert.state] = (byState[t.alert.state] ?? 0) + 1;
    }
    return ts;
  };

  return {
    patterns,
    engine,
    push(raw, recordTimestampMs, partition = 0, wallNow) {
      c.read++;
      const ev = decoder(raw, recordTimestampMs, partition);
      if (isDecodeError(ev)) {
        c.invalid[ev.reason] = (c.invalid[ev.reason] ?? 0) + 1;
        return ev;
      }
      c.decoded++;
      if (ev.timeSource === 'record') c.recordTime++;
      if (ev.time < from || ev.time >= to) {
        c.filtered++;
        return undefined;
      }
      const matches = matcher(ev);
      if (matches.length > 0) c.matched++;
      engine.observe(ev, matches, wallNow);
      return undefined;
    },
    advance: () => count(engine.advance()),
    tick: (wallNow) => count(engine.tick(wallNow)),
    flush: () => count(engine.flush()),
    counters() {
      c.late = engine.stats().patterns.reduce((s, p) => s + p.late, 0);
      return c;
    },
    engineStats: () => engine.stats(),
  };
}

// ---------------------------------------------------------------------------------------------
// The service (`tripline run`): two stages joined by the internal topic <group_id>-partials, the
// same path for 1 or N instances (scale-out, issue 6; docs/scaling.md).
//
// Stage 1 (src/shuffle/stage1-source.ts + combiner.ts): consumer group <group_id> over the raw
//   topics. Decode -> match -> pre-aggregate per (pattern, group, bucket); bad records go to the
//   DLQ first; then ONE Kafka transaction writes a batch to every partials partition (entries +
//   source watermarks) and commits the raw offsets it covers: raw records count exactly once.
// Stage 2 (below + src/shuffle/shuffle-task.ts): consumer group <group_id>-partials over the
//   partials topic (read_committed). One task per partials partition, with its own engine,
//   clock (min over source watermarks) and checkpoint key <group_id>/partials/<p> in the
//   compacted state topic. A task is restored from its checkpoint before its first record is
//   processed; records below the checkpoint's offset are skipped, later ones replayed.
//
// Offsets (stage 2). Every partials record carries one extra hold released only by the checkpoint
// that covers it. A checkpoint, under the same lock as record processing and ticks: (1) waits until
// every delivery derived so far (alerts to every sink, metric docs) is acknowledged, (2) writes each
// changed task {snapshot, next offset, metric emission state} (acks=all), (3) releases the holds;
// the source then commits. Taken every commit_interval_ms, on rebalance and at shutdown. On a
// new group generation every task is dropped and the assigned ones are reloaded from the state
// topic (another instance may have moved them on), so stale state is never checkpointed.
// Restart/crash/rebalance. Replayed partials regenerate identical transitions and metric records
//   (deterministic ids: ES answers 409). PagerDuty: deliveries are remembered durably in
//   kafka.pagerduty_delivered_topic (src/sink/pagerduty/delivered.ts), reloaded whenever tasks
//   move, so a replayed trigger/resolve is not sent twice. Residual risk: the one Kafka write (ms)
//   after a PagerDuty 202; the memory's bounds (100k keys, 7 days) - see delivered.ts.
// ---------------------------------------------------------------------------------------------

const CHECKPOINT_VERSION = 2;
const DEFAULT_PARTIALS_PARTITIONS = 12;

/** The checkpoint of one stage-2 task (key <group_id>/partials/<partition>). */
export interface TaskCheckpoint {
  version: typeof CHECKPOINT_VERSION;
  group_id: string;
  partition: number;
  saved_at: string;
  /** Next partials offset to process (int64 decimal). */
  next_offset: string;
  task: ShuffleTaskSnapshot;
  metrics: MetricEmitterState;
}

export interface ServiceOptions {
  config: ServiceConfig;
  patterns: readonly Pattern[];
  logger: Logger;
  metrics: Metrics;
  server?: TelemetryServer | undefined;
}

export interface ServiceHandle {
  /** Graceful stop: stop fetching, deliver, checkpoint, commit, leave the group. */
  stop(): Promise<void>;
  /** Hard stop: abort deliveries, leave without committing. */
  abort(): Promise<void>;
  /** Rejects with the error when the service cannot go on. */
  readonly fatal: Promise<never>;
  checkpointNow(reason: string): Promise<void>;
}

interface Held {
  record: SourceRecord;
  ctx: BatchContext;
}

interface Task {
  partition: number;
  task: ShuffleTask;
  emitter: MetricEmitter;
  /** Next partials offset to process. */
  next: bigint;
  dirty: boolean;
}

export async function runService(o: ServiceOptions): Promise<ServiceHandle> {
  const { config: cfg, patterns, logger, metrics: m } = o;
  const kcfg = cfg.kafka;
  if (kcfg === undefined) throw new TriplineError('CONFIG_INVALID', 'kafka: required for tripline run');
  const kafka = createKafka(kcfg, logger);
  const closers: Array<() => Promise<unknown>> = [];
  const partialsTopicName = kcfg.partials_topic ?? partialsTopic(kcfg.group_id);
  const partitions = kcfg.partials_partitions ?? DEFAULT_PARTIALS_PARTITIONS;

  // Items a sink refuses for good -> <group>-sink.dlq (src/sink/sink-dlq.ts), awaited by the queue.
  const sinkDlq = new SinkDeadLetterWriter({
    kafka,
    topic: sinkDlqTopic(kcfg.group_id),
    logger,
    metrics: m,
    mapError: (e, what) => mapKafkaError(e, what, kcfg),
  });
  closers.push(() => sinkDlq.stop());
  const alertDeadLetter = (items: readonly DeadLetter<AlertTransition>[], sink: string): Promise<void> =>
    sinkDlq.write(sink, 'alert', items, (t) => t.alert.id);
  const metricDeadLetter = (items: readonly DeadLetter<MetricRecord>[], sink: string): Promise<void> =>
    sinkDlq.write(sink, 'metric', items, (r) => metricCodec.id(r));

  // Sinks.
  const alertQueues: DeliveryQueue<AlertTransition>[] = [];
  let metricQueue: DeliveryQueue<MetricRecord> | undefined;
  let esPing: (() => Promise<ProbeResult>) | undefined;
  if (cfg.elasticsearch !== undefined) {
    const es = cfg.elasticsearch;
    const sinks = createElasticsearchSinks(es, es.sink, { logger, kibanaUrl: cfg.kibana_url });
    closers.push(() => sinks.close());
    alertQueues.push(new DeliveryQueue({ name: 'elasticsearch-alerts', sink: sinks.alerts, logger, metrics: m, deadLetter: alertDeadLetter }));
    metricQueue = new DeliveryQueue({ name: 'elasticsearch-metrics', sink: sinks.metrics, logger, metrics: m, deadLetter: metricDeadLetter });
    sinks.setup.ensureReady().catch((err: unknown) => logger.warn({ err }, 'Elasticsearch setup failed; sinks retry it'));
    const { client } = createEsClient(es, es.sink);
    closers.push(() => client.close());
    esPing = async () => {
      try {
        await client.cluster.health({ timeout: '1s' }, { requestTimeout: 1500, maxRetries: 0 });
        return { ok: true, detail: 'reachable' };
      } catch {
        return { ok: false, detail: 'unreachable' };
      }
    };
  }
  const routing = pagerDutyRoutingFromService(cfg);
  let pdMemory: { store: KafkaDeliveredStore; memory: DeliveredMemory } | undefined;
  if (routing !== undefined) {
    // What PagerDuty already has, durable (src/sink/pagerduty/delivered.ts): loaded below, before
    // the sources start, and again whenever tasks move; closed after the sink (closers run in reverse).
    const pdLogger = logger.child({ sink: 'pagerduty' });
    const store = new KafkaDeliveredStore({ kafka, topic: pagerDutyDeliveredTopic(kcfg), groupId: kcfg.group_id, logger: pdLogger, kafkaConfig: kcfg });
    const memory = new DeliveredMemory({ store, logger: pdLogger });
    pdMemory = { store, memory };
    closers.push(() => memory.close());
    const pd = new PagerDutySink({ config: routing, routingKeys: (n) => cfg.pagerduty.routing_keys[n]?.key?.reveal(), logger: pdLogger, memory });
    closers.push(() => pd.close());
    alertQueues.push(new DeliveryQueue({ name: 'pagerduty', sink: pd, logger, metrics: m, deadLetter: alertDeadLetter }));
  }
  if (kcfg.alerts_topic !== undefined) {
    const producer = createAlertProducer(kafka);
    await producer.connect().catch((e: unknown) => {
      throw mapKafkaError(e, 'connecting the alert producer', kcfg);
    });
    const sink = new KafkaAlertSink({ producer, topic: kcfg.alerts_topic, retry: { maxAttempts: 5, maxTimeMs: 30_000, minDelayMs: 200, maxDelayMs: 5_000 }, logger });
    closers.push(() => sink.close().finally(() => producer.disconnect()));
    alertQueues.push(new DeliveryQueue({ name: 'kafka-alerts', sink, logger, metrics: m, deadLetter: alertDeadLetter }));
  }
  const fanOut = new AlertFanOut(alertQueues);
  const dlq = new DlqWriter({ kafka, config: kcfg, logger, metrics: m });
  closers.push(() => dlq.stop());
  const allQueues = (): QueueStatus[] => [...alertQueues, ...(metricQueue ? [metricQueue] : [])];

  // Internal topics and state.
  const store = new CheckpointStore({ kafka, kafkaConfig: kcfg, topic: kcfg.state_topic ?? `${kcfg.group_id}-state`, key: kcfg.group_id, logger });
  closers.push(() => store.close());
  await store.ensureTopic();
  await sinkDlq.ensureTopic();
  await ensurePartialsTopic(kafka, partialsTopicName, partitions, kcfg);
  if (pdMemory !== undefined) {
    await pdMemory.store.ensureTopic();
    await pdMemory.memory.load();
  }
  const taskPrefix = `${kcfg.group_id}/partials/`;
  const tasks = new Map<number, Task>();
  let taskGeneration = -1;

  const newTask = (partition: number, cp: TaskCheckpoint | undefined): Task => {
    const emitter = new MetricEmitter({ intervalMs: cfg.metrics_interval_ms });
    const task = new ShuffleTask(patterns, { partition, partitions, idleTimeoutMs: cfg.idle_timeout_ms, engine: { onEvaluate: emitter.onEvaluate, onEvaluateEveryMs: cfg.metrics_interval_ms } });
    let next = 0n;
    if (cp !== undefined) {
      task.restore(cp.task);
      emitter.restore(cp.metrics);
      next = BigInt(cp.next_offset);
    }
    return { partition, task, emitter, next, dirty: false };
  };

  /** Restores every assigned task that is not live yet (one read of the state topic), before any of its records is processed. */
  const ensureTasks = async (generation: number, wanted: readonly number[]): Promise<void> => {
    let moved = false;
    if (generation !== taskGeneration) {
      tasks.clear();
      taskGeneration = generation;
      moved = true;
    }
    const missing = wanted.filter((p) => !tasks.has(p));
    if (missing.length === 0) return;
    const loaded = await store.loadAll(taskPrefix);
    // Also on this process's first generation: an instance joining a running group gets tasks whose
    // owner delivered to PagerDuty after this process loaded the memory at start.
    if (moved && pdMemory !== undefined) await pdMemory.memory.load();
    for (const p of [...new Set(missing)]) {
      const raw = loaded.get(`${taskPrefix}${p}`);
      const cp = raw === undefined ? undefined : checkCheckpointVersion<TaskCheckpoint>(raw, CHECKPOINT_VERSION, `checkpoint ${taskPrefix}${p} in ${store.topic}`);
      tasks.set(p, newTask(p, cp));
    }
    const restored = missing.filter((p) => loaded.has(`${taskPrefix}${p}`)).length;
    logger.info(
      { 'tripline.tasks': [...tasks.keys()].sort((a, b) => a - b), 'tripline.restored': restored },
      restored > 0 ? 'restored window state from checkpoint (stage 2 tasks)' : 'stage 2 tasks started (no checkpoint)',
    );
  };

  // Everything that touches a task runs through one lock, in order.
  let lock: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => undefined);
    return run;
  };
  let held: Held[] = [];
  let stopping = false;
  const track = (p: Promise<void>): void => {
    p.catch((err: unknown) => {
      if (!stopping) logger.error({ err }, 'delivery failed');
    });
  };
  const emit = (t: Task, ts: AlertTransition[]): void => {
    if (ts.length > 0) {
      t.dirty = true;
      for (const x of ts) m.alertTransitions.inc({ pattern: x.pattern.id, state: x.alert.state });
      m.componentSentEvents.inc({ stage: 'alert' }, ts.length);
      logger.info({ 'tripline.transitions': ts.map((x) => `${x.alert.id}:${x.alert.state}`) }, 'alert transitions');
      track(fanOut.send(ts));
    }
    const recs = t.emitter.drain();
    if (recs.length > 0 && metricQueue !== undefined) {
      t.dirty = true;
      track(metricQueue.enqueue(recs));
    }
  };

  const checkpoint = async (reason: string): Promise<void> => {
    await serial(async () => {
      const dirty = [...tasks.values()].filter((t) => t.dirty);
      if (held.length === 0 && dirty.length === 0) return;
      const holds = held;
      held = [];
      if (stage2.generation !== taskGeneration) return; // tasks of an old generation: never saved (their acks are ignored too)
      try {
        await Promise.all(allQueues().map((q) => q.idle()));
        const savedAt = new Date().toISOString();
        await Promise.all(
          dirty.map(async (t) => {
            const cp: TaskCheckpoint = {
              version: CHECKPOINT_VERSION,
              group_id: kcfg.group_id,
              partition: t.partition,
              saved_at: savedAt,
              next_offset: t.next.toString(),
              task: t.task.snapshot(),
              metrics: t.emitter.snapshot(),
            };
            t.dirty = false;
            await store.save(cp, `${taskPrefix}${t.partition}`);
          }),
        );
      } catch (e) {
        held = [...holds, ...held];
        for (const t of dirty) t.dirty = true;
        throw e;
      }
      for (const h of holds) h.ctx.ack(h.record);
      logger.debug({ reason, records: holds.length, tasks: dirty.length, bytes: store.lastBytes }, 'checkpoint written');
    });
    await stage2.commit().catch(() => undefined);
  };

  // Backpressure: pause both stages while a sink is stalled or too far behind. The wall clock the
  // tasks see (arrival stamps and the idle rule) stands still while paused: otherwise a long sink
  // outage would declare every source partition idle, advance the event clock with wall time,
  // and the backlog read after it would be late (dropped).
  let pausedTotal = 0;
  let pausedSince: number | undefined;
  const wallNow = (): number => {
    const now = Date.now();
    return now - pausedTotal - (pausedSince === undefined ? 0 : now - pausedSince);
  };
  const bp = new Backpressure({
    queues: allQueues,
    pause: () => {
      pausedSince ??= Date.now();
      stage1.pauseAll();
      stage2.pauseAll();
    },
    resume: () => {
      if (pausedSince !== undefined) pausedTotal += Date.now() - pausedSince;
      pausedSince = undefined;
      stage1.resumeAll();
      stage2.resumeAll();
    },
    logger,
  });
  const late = (t: Task, before: number): void => {
    const n = t.task.counters.late - before;
    if (n > 0) m.recordsLate.inc({ topic: partialsTopicName }, n);
  };
  const backpressure = (): void => bp.update(stopping);

  let handlers = 0;
  const handler: BatchHandler = async (records, ctx) => {
    handlers++;
    try {
      await serial(async () => {
        const partition = records[0]!.partition;
        const assigned = stage2.assignment().map((tp) => tp.partition);
        await ensureTasks(ctx.generation, [...assigned, partition]);
        const t = tasks.get(partition)!;
        let received = 0;
        for (const r of records) {
          ctx.hold(r);
          held.push({ record: r, ctx });
          const off = BigInt(r.offset);
          if (off < t.next) continue;
          t.next = off + 1n;
          t.dirty = true;
          received++;
          let batch;
          try {
            batch = decodeBatch(r.value ?? EMPTY);
          } catch (e) {
            m.componentErrors.inc({ stage: 'window', error_type: 'invalid_partial' });
            logger.error({ err: e, 'kafka.topic': r.topic, 'kafka.partition': r.partition, 'kafka.offset': r.offset }, 'skipping an unreadable partials record');
            continue;
          }
          const lateBefore = t.task.counters.late;
          emit(t, t.task.apply(batch, wallNow()));
          late(t, lateBefore);
        }
        m.componentReceivedEvents.inc({ stage: 'window' }, received);
      });
      backpressure();
    } finally {
      handlers--;
    }
  };

  let rejectFatal: (e: TriplineError) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => (rejectFatal = reject));
  fatal.catch(() => undefined);
  const stage2 = new KafkaSource({
    kafka,
    config: { ...kcfg, topics: [partialsTopicName], group_id: `${kcfg.group_id}-partials` },
    handler,
    logger: logger.child({ stage: 'detect' }),
    metrics: m,
    commitIntervalMs: cfg.commit_interval_ms,
    lagIntervalMs: cfg.metrics_interval_ms,
    onRevoke: () => checkpoint('rebalance'),
    onFatal: (e) => rejectFatal(e),
  });
  const combiner = new Combiner(patterns, { partitions, decode: { maxBytes: cfg.max_message_bytes } });
  const stage1 = new Stage1Source({
    kafka,
    config: kcfg,
    combiner,
    partialsTopic: partialsTopicName,
    partitions,
    dlq,
    logger,
    metrics: m,
    onFatal: (e) => rejectFatal(e),
  });

  o.server?.registerProbe('kafka', () => {
    const a = stage1.probe();
    const b = stage2.probe();
    return { ok: a.ok && b.ok, detail: `stage 1: ${a.detail}; stage 2: ${b.detail}` };
  });
  o.server?.registerProbe('sinks', () => bp.probe());
  if (esPing !== undefined) o.server?.registerProbe('elasticsearch', esPing);

  await stage2.start();
  await stage1.start();

  const ticker = setInterval(() => {
    if (stopping) return;
    void serial(() => {
      const now = wallNow();
      const active = new Map<string, number>();
      for (const t of tasks.values()) {
        const lateBefore = t.task.counters.late;
        emit(t, t.task.tick(now));
        late(t, lateBefore);
        for (const p of t.task.engine.stats().patterns) active.set(p.id, (active.get(p.id) ?? 0) + p.activeGroups);
      }
      for (const [id, n] of active) m.activeGroups.set({ pattern: id }, n);
    }).catch((err: unknown) => logger.error({ err }, 'tick failed'));
    backpressure();
  }, 1000);
  const checkpointer = setInterval(() => {
    if (!stopping) checkpoint('interval').catch((err: unknown) => logger.warn({ err }, 'checkpoint failed; will retry'));
  }, cfg.commit_interval_ms);

  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  };

  return {
    fatal,
    checkpointNow: checkpoint,
    async stop() {
      stopping = true;
      clearInterval(ticker);
      clearInterval(checkpointer);
      await stage1.stop({ flush: true });
      stage2.pauseAll();
      while (handlers > 0) await new Promise((r) => setTimeout(r, 20));
      await checkpoint('shutdown');
      await stage2.stop({ drainTimeoutMs: 1000 });
      await closeAll();
    },
    async abort() {
      stopping = true;
      clearInterval(ticker);
      clearInterval(checkpointer);
      for (const q of allQueues()) q.abort();
      await stage1.stop({ flush: false });
      await stage2.stop({ commit: false });
      await closeAll();
    },
  };
}
