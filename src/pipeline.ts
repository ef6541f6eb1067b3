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
import { createMatcher, neededEventNames, neededFields } from './match/index.js';
import type { DecodeError, DecodeErrorReason } from './model/event.js';
import { isDecodeError } from './model/event.js';
import type { Matcher } from './model/match.js';
import type { Pattern } from './model/pattern.js';
import type { AlertTransition } from './model/transition.js';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config/service-config.js';
import type { EngineSnapshot } from './engine/engine.js';
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
import { PagerDutySink } from './sink/pagerduty/index.js';
import { DeliveredMemory } from './sink/pagerduty/delivered.js';
import { KafkaDeliveredStore, pagerDutyDeliveredTopic } from './sink/pagerduty/delivered-store.js';
import { pagerDutyRoutingFromService } from './sink/pagerduty/service-routing.js';
import type { DeadLetter } from './sink/sink.js';
import { SinkDeadLetterWriter, sinkDlqTopic } from './sink/sink-dlq.js';
import { CheckpointStore, checkCheckpointVersion } from './source/checkpoint-store.js';
import { DlqWriter, dlqAsSink } from './source/dlq.js';
import type { DlqEntry } from './source/dlq.js';
import { createKafka, mapKafkaError } from './source/kafka-client.js';
import { KafkaSource } from './source/kafka-source.js';
import type { BatchContext, BatchHandler, SourceRecord } from './source/kafka-source.js';
import { tpKey } from './source/offset-tracker.js';
import { SourcePositions } from './source/positions.js';
import type { PositionsState } from './source/positions.js';
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
  const decoder = createFastDecoder({ ...opts.decode, fields: neededFields(patterns), names: neededEventNames(patterns), path: opts.decodePath ?? 'extract' });
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
// The service (`tripline run`): Kafka source -> Detection -> alert/metric/DLQ sinks, checkpointed.
//
// Offsets. Every record handed over carries one extra hold (OffsetTracker) released only by the
// checkpoint that covers it, so the source's own commits (periodic, rebalance, shutdown) can never
// pass the last checkpoint. A checkpoint, under the same lock as record processing and ticks:
//   (1) waits until every delivery derived so far (alerts to every sink, metric docs, DLQ writes)
//       is acknowledged, (2) writes {engine snapshot, next offset per partition, metric emission
//       state} to the compacted state topic (acks=all), (3) releases the holds; the source then
//       commits the same offsets. Taken every commit_interval_ms, right after any batch that
//       produced a PagerDuty-bound transition (firing/resolved), on rebalance and at shutdown.
// Restart. The checkpoint is restored into the engine and its offsets are the truth: records
//   below them (redelivered from an older committed offset) are skipped, not re-observed.
//   Records after them are replayed and regenerate identical transitions and metric records
//   (deterministic ids: ES answers 409; PagerDuty: see below).
// PagerDuty. A checkpoint needs EVERY sink, so while one is stalled (Elasticsearch down) none
//   completes, yet PagerDuty keeps accepting triggers and resolves; a crash then replays all of
//   them. Re-sending a trigger to an open incident is harmless, but after a resolve the same
//   dedup_key opens a NEW incident: a double page. So PagerDuty deliveries are remembered
//   independently of checkpoints (src/sink/pagerduty/delivered.ts): after PagerDuty's 202 and
//   before the event counts as acknowledged, {action, severity, repeat, time} is written (acks=all)
//   to the compacted topic kafka.pagerduty_delivered_topic (default <group_id>-pagerduty-delivered,
//   key = receiver + dedup key), read back at start. Alert ids are <key>-<seq> and a new incident
//   gets seq+1, so a dedup key whose resolve was delivered is never sent again, and a trigger at or
//   before the last delivered one is not re-sent.
// Residual risk. The unprotected window is one Kafka write (ms) after each PagerDuty 202, whatever
//   the other sinks are doing: a crash there re-sends that one event on restart. Per dedup key the
//   next event waits for the record, so that is harmless: a re-sent trigger lands on the still-open
//   incident, a re-sent resolve on a closed one is dropped. What can still page twice: the memory
//   keeps 100k dedup keys (LRU) and forgets resolved ones after 7 days, so a checkpoint stalled
//   longer than that (or past 100k incidents) replays into PagerDuty as before; and deleting the
//   <group_id>-pagerduty-delivered topic gives up the protection for the next replay.
// ---------------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);
const CHECKPOINT_VERSION = 1;

/** offsets: topic -> partition -> next offset to observe; partition_index: see src/source/positions.ts. */
export interface ServiceCheckpoint extends PositionsState {
  version: typeof CHECKPOINT_VERSION;
  group_id: string;
  saved_at: string;
  engine: EngineSnapshot;
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

export async function runService(o: ServiceOptions): Promise<ServiceHandle> {
  const { config: cfg, patterns, logger, metrics: m } = o;
  const kcfg = cfg.kafka;
  if (kcfg === undefined) throw new TriplineError('CONFIG_INVALID', 'kafka: required for tripline run');
  const kafka = createKafka(kcfg, logger);
  const closers: Array<() => Promise<unknown>> = [];

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
    // the source starts; closed after the sink (closers run in reverse).
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
  const dlqQueue = new DeliveryQueue<DlqEntry>({ name: 'dlq', sink: dlqAsSink(dlq), logger, metrics: m });
  closers.push(() => dlq.stop());
  const allQueues = (): QueueStatus[] => [...alertQueues, ...(metricQueue ? [metricQueue] : []), dlqQueue];

  // Checkpoint store and state.
  const store = new CheckpointStore({ kafka, kafkaConfig: kcfg, topic: kcfg.state_topic ?? `${kcfg.group_id}-state`, key: kcfg.group_id, logger });
  closers.push(() => store.close());
  await store.ensureTopic();
  await sinkDlq.ensureTopic();
  if (pdMemory !== undefined) {
    await pdMemory.store.ensureTopic();
    await pdMemory.memory.load();
  }
  const emitter = new MetricEmitter({ intervalMs: cfg.metrics_interval_ms });
  const det = createDetection(patterns, {
    decode: { maxBytes: cfg.max_message_bytes },
    engine: { idleTimeoutMs: cfg.idle_timeout_ms, onEvaluate: emitter.onEvaluate },
  });
  const positions = new SourcePositions();
  const loaded = await store.load();
  const restored = loaded === undefined ? undefined : checkCheckpointVersion<ServiceCheckpoint>(loaded, CHECKPOINT_VERSION, `checkpoint of group ${kcfg.group_id} in ${store.topic}`);
  if (restored !== undefined) {
    det.engine.restore(restored.engine);
    emitter.restore(restored.metrics);
    positions.restore(restored);
    logger.info({ 'tripline.checkpoint.saved_at': restored.saved_at, 'tripline.checkpoint.partitions': positions.size }, 'restored window state from checkpoint');
  }
  const indexOf = (topic: string, partition: number): number => positions.indexOf(topic, partition);

  // Everything that touches the engine runs through one lock, in order.
  let lock: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => undefined);
    return run;
  };
  let held: Held[] = [];
  let dirty = false;
  let pdBound = false;
  let stopping = false;
  const hasPd = routing !== undefined;
  const track = (p: Promise<void>): void => {
    p.catch((err: unknown) => {
      if (!stopping) logger.error({ err }, 'delivery failed');
    });
  };
  const emit = (ts: AlertTransition[]): void => {
    if (ts.length > 0) {
      dirty = true;
      for (const t of ts) m.alertTransitions.inc({ pattern: t.pattern.id, state: t.alert.state });
      m.componentSentEvents.inc({ stage: 'alert' }, ts.length);
      if (hasPd && ts.some((t) => t.alert.state !== 'pending')) pdBound = true;
      logger.info({ 'tripline.transitions': ts.map((t) => `${t.alert.id}:${t.alert.state}`) }, 'alert transitions');
      track(fanOut.send(ts));
    }
    const recs = emitter.drain();
    if (recs.length > 0 && metricQueue !== undefined) {
      dirty = true;
      track(metricQueue.enqueue(recs));
    }
  };

  const checkpoint = async (reason: string): Promise<void> => {
    await serial(async () => {
      if (held.length === 0 && !dirty) return;
      const holds = held;
      held = [];
      try {
        await Promise.all(allQueues().map((q) => q.idle()));
        const cp: ServiceCheckpoint = {
          version: CHECKPOINT_VERSION,
          group_id: kcfg.group_id,
          saved_at: new Date().toISOString(),
          engine: det.engine.snapshot(),
          ...positions.snapshot(),
          metrics: emitter.snapshot(),
        };
        dirty = false;
        pdBound = false;
        await store.save(cp);
      } catch (e) {
        held = [...holds, ...held];
        dirty = true;
        throw e;
      }
      for (const h of holds) h.ctx.ack(h.record);
      logger.debug({ reason, records: holds.length, bytes: store.lastBytes }, 'checkpoint written');
    });
    await source.commit().catch(() => undefined);
  };

  // Backpressure: pause every partition while a sink is stalled or too far behind.
  const bp = new Backpressure({ queues: allQueues, pause: () => source.pauseAll(), resume: () => source.resumeAll(), logger });
  const backpressure = (): void => bp.update(stopping);

  // Assigned partitions hold the event clock until they deliver or idle (no false lateness
  // because one partition's batch was handled before another's first one).
  const expected = new Set<string>();
  const expectAssigned = (): void => {
    for (const tp of source.assignment()) {
      const k = tpKey(tp.topic, tp.partition);
      if (expected.has(k)) continue;
      expected.add(k);
      det.engine.expectPartition(indexOf(tp.topic, tp.partition), Date.now());
    }
  };

  let handlers = 0;
  const handler: BatchHandler = async (records, ctx) => {
    handlers++;
    try {
      await serial(() => {
        expectAssigned();
        const topic = records[0]!.topic;
        const c = det.counters();
        const before = { decoded: c.decoded, matched: c.matched, recordTime: c.recordTime, late: c.late };
        const dead: DlqEntry[] = [];
        let pushed = 0;
        for (const r of records) {
          ctx.hold(r);
          held.push({ record: r, ctx });
          if (!positions.advance(r)) continue;
          pushed++;
          const err = det.push(r.value ?? EMPTY, r.timestamp, indexOf(r.topic, r.partition), Date.now());
          if (err !== undefined) {
            m.recordsInvalid.inc({ topic, reason: err.reason });
            dead.push({ record: r, reason: err.reason, detail: err.detail });
          }
        }
        if (pushed > 0) dirty = true;
        if (dead.length > 0) {
          for (const d of dead) ctx.hold(d.record);
          track(dlqQueue.enqueue(dead).then(() => dead.forEach((d) => ctx.ack(d.record))));
        }
        const after = det.counters();
        const decoded = after.decoded - before.decoded;
        const matched = after.matched - before.matched;
        m.recordsDecoded.inc({ topic }, decoded);
        m.recordsMatched.inc({ topic }, matched);
        m.recordsLate.inc({ topic }, after.late - before.late);
        m.recordTimestampFallback.inc({ topic }, after.recordTime - before.recordTime);
        m.componentReceivedEvents.inc({ stage: 'decode' }, pushed);
        m.componentSentEvents.inc({ stage: 'decode' }, decoded);
        m.componentErrors.inc({ stage: 'decode', error_type: 'invalid' }, dead.length);
        m.componentReceivedEvents.inc({ stage: 'match' }, decoded);
        m.componentSentEvents.inc({ stage: 'match' }, matched);
        emit(det.advance());
      });
      if (pdBound) await checkpoint('pagerduty');
      backpressure();
    } finally {
      handlers--;
    }
  };

  let rejectFatal: (e: TriplineError) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => (rejectFatal = reject));
  fatal.catch(() => undefined);
  const source = new KafkaSource({
    kafka,
    config: kcfg,
    handler,
    logger,
    metrics: m,
    commitIntervalMs: cfg.commit_interval_ms,
    lagIntervalMs: cfg.metrics_interval_ms,
    onRevoke: () => checkpoint('rebalance'),
    onFatal: (e) => rejectFatal(e),
  });

  o.server?.registerProbe('kafka', () => source.probe());
  o.server?.registerProbe('sinks', () => bp.probe());
  if (esPing !== undefined) o.server?.registerProbe('elasticsearch', esPing);

  await source.start();

  const ticker = setInterval(() => {
    if (stopping) return;
    void serial(() => {
      expectAssigned();
      emit(det.tick(Date.now()));
      for (const p of det.engineStats().patterns) m.activeGroups.set({ pattern: p.id }, p.activeGroups);
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
      source.pauseAll();
      while (handlers > 0) await new Promise((r) => setTimeout(r, 20));
      await serial(() => emit(det.advance()));
      await checkpoint('shutdown');
      await source.stop({ drainTimeoutMs: 1000 });
      await closeAll();
    },
    async abort() {
      stopping = true;
      clearInterval(ticker);
      clearInterval(checkpointer);
      for (const q of allQueues()) q.abort();
      await source.stop({ commit: false });
      await closeAll();
    },
  };
}
