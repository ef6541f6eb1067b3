/**
 * The Kafka input: a consumer group using `eachBatch` with manual offset management.
 *
 * - Every record handed to the handler is tracked (OffsetTracker) with one pending ack for its own
 *   processing, released when the handler resolves; the handler `hold`s one more per derived
 *   output (alert, DLQ write) and `ack`s it when that output is acknowledged downstream.
 * - Offsets are committed only up to the contiguous acknowledged high-watermark: periodically,
 *   when a rebalance is detected, and at shutdown.
 * - kafkajs has no onPartitionsRevoked callback. A rebalance is discovered when a heartbeat (or a
 *   fetch) gets REBALANCE_IN_PROGRESS; the member's generation is still valid then, so we catch it
 *   in our heartbeat call inside eachBatch, run `onRevoke` (flush sinks), wait briefly for acks,
 *   commit, and rethrow so kafkajs rejoins. The REBALANCING event (fetch path) triggers a
 *   best-effort commit. After GROUP_JOIN kafkajs restarts from the committed offsets, so the
 *   tracker is reset and acks of the previous generation are ignored (at-least-once).
 */
import type { Admin, Batch, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import type { ProbeResult } from '../telemetry/http-server.js';
import type { Metrics } from '../telemetry/metrics.js';
import { mapKafkaError } from './kafka-client.js';
import { OffsetTracker, tpKey } from './offset-tracker.js';
import type { TopicPartition } from './offset-tracker.js';

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset (int64 as a decimal string). */
  readonly offset: string;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

export interface BatchContext {
  /** Group generation this batch belongs to (changes on every rebalance). */
  readonly generation: number;
  /** Adds `n` outstanding outputs to a record (call before the handler resolves, or while still pending). */
  hold(record: SourceRecord, n?: number): void;
  /** Acknowledges `n` outputs of a record. Acks of a previous generation are ignored. */
  ack(record: SourceRecord, n?: number): void;
  /** Keeps the group membership alive during long batches. */
  heartbeat(): Promise<void>;
  /** True when the records of this batch will be redelivered (rebalance, reset). */
  isStale(): boolean;
}

export type BatchHandler = (records: SourceRecord[], ctx: BatchContext) => Promise<void>;

export interface KafkaSourceOptions {
  kafka: Kafka;
  config: KafkaConfig;
  handler: BatchHandler;
  logger: Logger;
  metrics?: Metrics;
  /** Periodic commit interval, ms (default 5000). */
  commitIntervalMs?: number;
  /** Consumer lag refresh interval, ms (default 15000; 0 disables). */
  lagIntervalMs?: number;
  /** New group starts at the earliest offset (default true). */
  fromBeginning?: boolean;
  /** How long a rebalance waits for outstanding acks before committing, ms (default 5000). */
  revokeDrainTimeoutMs?: number;
  /** Called when a rebalance is detected, before the commit: flush sinks so more acks arrive. */
  onRevoke?: () => Promise<void>;
  /** A failure the source cannot recover from (handler threw, auth lost, consumer crashed for good). */
  onFatal?: (err: TriplineError) => void;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently?: number;
}

export interface StopOptions {
  /** Wait this long for outstanding acks before the final commit (default 10000). */
  drainTimeoutMs?: number;
  /** Final commit (default true). `false` simulates a crash: leave without committing. */
  commit?: boolean;
}

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);
export function isRebalanceError(e: unknown): boolean {
  return e !== null && typeof e === 'object' && REBALANCE_TYPES.has(String((e as { type?: unknown }).type));
}

export function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers ?? {},
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class KafkaSource {
  readonly tracker = new OffsetTracker();
  readonly #o: KafkaSourceOptions;
  #consumer: Consumer | undefined;
  #admin: Admin | undefined;
  #generation = 0;
  /** Per-partition epoch: bumped when a partition is reset, so older acks are ignored. */
  readonly #epochs = new Map<string, number>();
  #epochSeq = 0;
  #assignment: TopicPartition[] = [];
  readonly #paused = new Map<string, TopicPartition>();
  #member = false;
  #running = false;
  #stopping = false;
  #fatal: TriplineError | undefined;
  #inFlight = 0;
  #commitChain: Promise<void> = Promise.resolve();
  #commitTimer: NodeJS.Timeout | undefined;
  #lagTimer: NodeJS.Timeout | undefined;
  #lastCommitAt = 0;

  constructor(opts: KafkaSourceOptions) {
    this.#o = opts;
  }

  get generation(): number {
    return this.#generation;
  }

  assignment(): TopicPartition[] {
    return [...this.#assignment];
  }

  paused(): TopicPartition[] {
    return [...this.#paused.values()];
  }

  /** Connects, joins the group and starts consuming. Auth failures reject with KAFKA_AUTH. */
  async start(): Promise<void> {
    const { kafka, config } = this.#o;
    const consumer = kafka.consumer({
      groupId: config.group_id,
      sessionTimeout: this.#o.sessionTimeout ?? 30_000,
      heartbeatInterval: this.#o.heartbeatInterval ?? 3_000,
      maxBytesPerPartition: this.#o.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
      retry: { retries: 5 },
    });
    this.#consumer = consumer;
    this.#listen(consumer);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...config.topics], fromBeginning: this.#o.fromBeginning ?? true });
      if ((this.#o.lagIntervalMs ?? 15_000) > 0) {
        this.#admin = kafka.admin();
        await this.#admin.connect();
      }
    } catch (e) {
      await consumer.disconnect().catch(() => undefined);
      await this.#admin?.disconnect().catch(() => undefined);
      throw mapKafkaError(e, `connecting consumer group ${config.group_id}`, config);
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsConsumedConcurrently ?? 1,
      eachBatch: (p) => this.#eachBatch(p),
    });
    this.#running = true;
    this.#lastCommitAt = Date.now();
    const every = this.#o.commitIntervalMs ?? 5_000;
    this.#commitTimer = setInterval(() => void this.commit().catch(() => undefined), every);
    this.#commitTimer.unref();
    const lagEvery = this.#o.lagIntervalMs ?? 15_000;
    if (lagEvery > 0) {
      this.#lagTimer = setInterval(() => void this.refreshLag().catch(() => undefined), lagEvery);
      this.#lagTimer.unref();
    }
  }

  #listen(consumer: Consumer): void {
    const log = this.#o.logger;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#generation++;
      this.tracker.resetAll();
      this.#epochs.clear();
      this.#assignment = Object.entries(payload.memberAssignment).flatMap(([topic, parts]) =>
        parts.map((partition) => ({ topic, partition })),
      );
      const assigned = new Set(this.#assignment.map((tp) => tpKey(tp.topic, tp.partition)));
      for (const k of [...this.#paused.keys()]) if (!assigned.has(k)) this.#paused.delete(k);
      this.#o.metrics?.pausedPartitions.set(this.#paused.size);
      this.#o.metrics?.rebalances.inc();
      this.#o.metrics?.consumerLag.reset();
      this.#member = true;
      log.info(
        { 'kafka.group_id': payload.groupId, 'kafka.generation': this.#generation, 'kafka.partitions': this.#assignment.length },
        'joined consumer group',
      );
    });
    consumer.on(consumer.events.REBALANCING, () => {
      log.info('consumer group rebalancing; committing acknowledged offsets');
      void this.commit().catch(() => undefined);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#member = false;
      const err = mapKafkaError(payload.error, 'consuming', this.#o.config);
      log.error({ err, 'kafka.restart': payload.restart }, 'Kafka consumer crashed');
      this.#o.metrics?.componentErrors.inc({ stage: 'source', error_type: err.code.toLowerCase() });
      if (!payload.restart) this.#setFatal(err);
    });
    consumer.on(consumer.events.STOP, () => {
      this.#member = false;
    });
  }

  #setFatal(err: TriplineError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = err;
    this.#o.onFatal?.(err);
  }

  #epoch(topic: string, partition: number): number {
    const k = tpKey(topic, partition);
    let e = this.#epochs.get(k);
    if (e === undefined) {
      e = ++this.#epochSeq;
      this.#epochs.set(k, e);
    }
    return e;
  }

  async #eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (this.#stopping || this.#fatal !== undefined || !p.isRunning() || p.isStale()) return;
    const { topic, partition } = batch;
    const records = batch.messages.map((m) => toSourceRecord(topic, partition, m));
    if (records.length === 0) return;
    const m = this.#o.metrics;

    // kafkajs re-fetched from an earlier offset without a rebalance: start this partition over.
    const pos = this.tracker.position(topic, partition);
    if (pos !== undefined && BigInt(records[0]!.offset) < BigInt(pos)) {
      this.#o.logger.warn({ 'kafka.topic': topic, 'kafka.partition': partition }, 'partition re-fetched; resetting its offsets');
      this.tracker.reset(topic, partition);
      this.#epochs.delete(tpKey(topic, partition));
    }
    const gen = this.#generation;
    const epoch = this.#epoch(topic, partition);
    const current = () => gen === this.#generation && this.#epochs.get(tpKey(topic, partition)) === epoch;
    for (const r of records) this.tracker.track(topic, partition, r.offset, 1);
    if (BigInt(batch.lastOffset()) > BigInt(records[records.length - 1]!.offset)) {
      this.tracker.skipThrough(topic, partition, batch.lastOffset());
    }
    m?.recordsConsumed.inc({ topic }, records.length);
    m?.componentReceivedEvents.inc({ stage: 'source' }, records.length);
    this.#updateLagFromBatch(batch);

    const ctx: BatchContext = {
      generation: gen,
      hold: (r, n = 1) => {
        if (current()) this.tracker.hold(r.topic, r.partition, r.offset, n);
      },
      ack: (r, n = 1) => {
        if (current()) this.tracker.ack(r.topic, r.partition, r.offset, n);
      },
      heartbeat: () => this.#heartbeat(p),
      isStale: () => !current() || p.isStale(),
    };

    this.#inFlight++;
    try {
      await this.#o.handler(records, ctx);
    } catch (e) {
      const err =
        e instanceof TriplineError
          ? e
          : new TriplineError('INTERNAL', `batch handler failed for ${topic}[${partition}]`, { cause: e });
      this.#o.logger.error({ err, 'kafka.topic': topic, 'kafka.partition': partition }, 'batch handler failed; partition paused');
      m?.componentErrors.inc({ stage: 'source', error_type: 'handler_failed' });
      this.pause([{ topic, partition }]);
      this.#setFatal(err);
      return;
    } finally {
      this.#inFlight--;
    }
    if (current()) for (const r of records) this.tracker.ack(topic, partition, r.offset, 1);
    m?.componentSentEvents.inc({ stage: 'source' }, records.length);
    p.resolveOffset(batch.lastOffset());

    if (Date.now() - this.#lastCommitAt >= (this.#o.commitIntervalMs ?? 5_000)) await this.commit().catch(() => undefined);
    await this.#heartbeat(p);
  }

  /** Heartbeat; on a rebalance, flush + drain + commit while our generation is still valid. */
  async #heartbeat(p: EachBatchPayload): Promise<void> {
    try {
      await p.heartbeat();
    } catch (e) {
      if (isRebalanceError(e)) {
        this.#o.logger.info('rebalance detected; flushing and committing before partitions are revoked');
        try {
          await this.#o.onRevoke?.();
        } catch (err) {
          this.#o.logger.warn({ err }, 'onRevoke failed');
        }
        await this.#waitDrained(this.#o.revokeDrainTimeoutMs ?? 5_000);
        await this.commit().catch(() => undefined);
      }
      throw e;
    }
  }

  async #waitDrained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.tracker.pendingCount() > 0 || this.#inFlight > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
    return true;
  }

  /** Commits every partition whose acknowledged high-watermark moved. Serialized; safe to call any time. */
  commit(): Promise<void> {
    const run = this.#commitChain.then(() => this.#commitNow());
    this.#commitChain = run.catch(() => undefined);
    return run;
  }

  async #commitNow(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined || !this.#running) return;
    const offsets = this.tracker.pendingCommits();
    this.#lastCommitAt = Date.now();
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
    } catch (e) {
      this.#o.metrics?.offsetCommits.inc({ outcome: 'error' });
      const err = mapKafkaError(e, 'committing offsets', this.#o.config);
      this.#o.logger.warn({ err }, 'offset commit failed; will retry');
      throw err;
    }
    for (const o of offsets) this.tracker.markCommitted(o.topic, o.partition, o.offset);
    this.#o.metrics?.offsetCommits.inc({ outcome: 'ok' });
    this.#o.logger.debug({ 'kafka.offsets': offsets }, 'committed offsets');
  }

  /** Stops fetching from these partitions (backpressure). */
  pause(tps: readonly TopicPartition[]): void {
    if (tps.length === 0) return;
    for (const tp of tps) this.#paused.set(tpKey(tp.topic, tp.partition), tp);
    this.#consumer?.pause(group(tps));
    this.#o.metrics?.pausedPartitions.set(this.#paused.size);
  }

  resume(tps: readonly TopicPartition[]): void {
    if (tps.length === 0) return;
    for (const tp of tps) this.#paused.delete(tpKey(tp.topic, tp.partition));
    this.#consumer?.resume(group(tps));
    this.#o.metrics?.pausedPartitions.set(this.#paused.size);
  }

  pauseAll(): void {
    this.pause(this.#assignment);
  }

  resumeAll(): void {
    this.resume(this.paused());
  }

  /** Readiness: member of the group, not failed. */
  probe(): ProbeResult {
    if (this.#fatal !== undefined) return { ok: false, detail: `failed: ${this.#fatal.code}` };
    if (!this.#member) return { ok: false, detail: `not a member of group ${this.#o.config.group_id}` };
    const paused = this.#paused.size === 0 ? '' : `, ${this.#paused.size} paused`;
    return {
      ok: true,
      detail: `member of group ${this.#o.config.group_id}, ${this.#assignment.length} partition(s)${paused}`,
    };
  }

  #updateLagFromBatch(batch: Batch): void {
    const hw = BigInt(batch.highWatermark);
    const next = BigInt(batch.lastOffset()) + 1n;
    const lag = hw > next ? hw - next : 0n;
    this.#o.metrics?.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(lag));
  }

  /** Lag per assigned partition: high watermark minus our position (or the last commit). */
  async refreshLag(): Promise<Array<TopicPartition & { lag: number }>> {
    const admin = this.#admin;
    if (admin === undefined) return [];
    const out: Array<TopicPartition & { lag: number }> = [];
    const topics = [...new Set(this.#assignment.map((tp) => tp.topic))];
    for (const topic of topics) {
      const offs = await admin.fetchTopicOffsets(topic);
      const committed = await admin.fetchOffsets({ groupId: this.#o.config.group_id, topics: [topic] });
      const committedBy = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
      for (const tp of this.#assignment.filter((a) => a.topic === topic)) {
        const high = offs.find((o) => o.partition === tp.partition)?.high;
        if (high === undefined) continue;
        const pos = this.tracker.position(topic, tp.partition) ?? committedBy.get(tp.partition);
        const low = offs.find((o) => o.partition === tp.partition)?.low ?? '0';
        const from = pos === undefined || pos === '-1' ? BigInt(low) : BigInt(pos);
        const lag = Number(BigInt(high) > from ? BigInt(high) - from : 0n);
        this.#o.metrics?.consumerLag.set({ topic, partition: String(tp.partition) }, lag);
        out.push({ ...tp, lag });
      }
    }
    return out;
  }

  /**
   * Graceful stop: stop fetching, wait for the in-flight handler and outstanding acks (bounded),
   * final commit, leave the group. `{commit: false}` leaves without committing (crash simulation).
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#commitTimer);
    clearInterval(this.#lagTimer);
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    try {
      if (this.#running && this.#assignment.length > 0) consumer.pause(group(this.#assignment));
    } catch {
      // not running any more
    }
    const drained = await this.#waitDrained(opts.commit === false ? 0 : (opts.drainTimeoutMs ?? 10_000));
    if (opts.commit !== false) {
      if (!drained) {
        this.#o.logger.warn(
          { 'tripline.pending_records': this.tracker.pendingCount() },
          'shutdown: outstanding acks not drained; committing what is acknowledged',
        );
      }
      await this.commit().catch(() => undefined);
    }
    this.#running = false;
    await consumer.disconnect().catch((e: unknown) => this.#o.logger.warn({ err: e }, 'consumer disconnect failed'));
    await this.#admin?.disconnect().catch(() => undefined);
    this.#member = false;
  }
}

function group(tps: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const by = new Map<string, number[]>();
  for (const tp of tps) {
    const list = by.get(tp.topic) ?? [];
    list.push(tp.partition);
    by.set(tp.topic, list);
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions }));
}
