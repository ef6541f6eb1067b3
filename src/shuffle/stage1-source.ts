/**
 * Stage 1 of the scale-out path (issue 6): a kafkajs consumer group over the raw log topics that
 * decodes, matches and pre-aggregates (src/shuffle/combiner.ts) and writes one `PartialBatch` per
 * partials partition, together with the raw offsets those batches cover, in ONE Kafka transaction:
 * a raw record is counted in the partials topic exactly once (read_committed readers), across
 * crashes, restarts and rebalances.
 *
 * Flow:
 * - `eachBatch` (no auto-resolve, no auto-commit) pushes every record into the combiner with its
 *   dense source index (src/shuffle/source-index.ts), queues decode errors for the DLQ and notes
 *   the next offset of the partition. Offsets are resolved in kafkajs (fetch position) but are
 *   committed ONLY by `transaction.sendOffsets`.
 * - A flush runs when `flushIntervalMs` passed since the oldest unflushed record or the combiner
 *   holds more than `maxPendingEntries` entries, awaited INSIDE eachBatch (kafkajs only rejoins
 *   after the running handler returns), or from a timer when the fetch loop goes quiet. Flushes and
 *   batches are serialised by one lock. A flush: (a) writes the DLQ entries and waits for the
 *   acks (at-least-once: a retried/rolled-back flush may write a dead letter twice), (b) one
 *   transaction: a batch to EVERY partials partition (they carry the source watermarks; a batch too
 *   large for one record is split, the watermarks ride on the last chunk only, after its entries),
 *   sendOffsets (next = last + 1), commit.
 * - A failed transaction is aborted and retried with backoff (the drained batches are kept). If it
 *   keeps failing, the flush is rolled back: the combiner is emptied and every partition with
 *   uncommitted records is seeked back to its first uncommitted offset (re-read, same result).
 *   Fenced / unauthorized producers call `onFatal`.
 * - Rebalance: a GROUP_JOIN means kafkajs restarts every assigned partition from its committed
 *   offset, so the combiner's unflushed state and the unflushed offsets are discarded. A heartbeat
 *   inside eachBatch that reports a rebalance first flushes (our generation is still valid).
 *   A timer flush whose generation changed before the commit aborts instead of committing.
 *
 * Caveats (kafkajs 2.2.4):
 * - kafkajs does NOT reliably fence a zombie producer with the same transactionalId, and its
 *   TxnOffsetCommit carries no group generation/member id (no KIP-447 fencing). An instance that
 *   is paused, not dead (GC pause, SIGSTOP, network partition longer than the session timeout)
 *   can commit a transaction for partitions that were reassigned meanwhile: those records are then
 *   counted twice. The transactional id is random per process (`<group>-partials-<instanceId>`),
 *   so a crashed instance's open transaction is only aborted by the coordinator after
 *   `transactionTimeout` (15 s): read_committed readers of the partials partitions it wrote to
 *   are held back (LSO) until then.
 * - Commits race with a rebalance only through a timer flush (the fetch loop is not in eachBatch);
 *   the generation is re-checked right before `commit`, leaving the commit RPC itself as window.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import type { DlqEntry, DlqWriter } from '../source/dlq.js';
import { waitForTopicLeaders } from '../source/compacted-topic.js';
import { mapKafkaError } from '../source/kafka-client.js';
import { isRebalanceError, toSourceRecord } from '../source/kafka-source.js';
import type { TopicPartition } from '../source/offset-tracker.js';
import { tpKey } from '../source/offset-tracker.js';
import type { ProbeResult } from '../telemetry/http-server.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Combiner } from './combiner.js';
import { encodeBatch } from './partial.js';
import type { PartialBatch } from './partial.js';
import { fetchSourceIndex } from './source-index.js';
import type { SourceIndex } from './source-index.js';

export interface Stage1Options {
  kafka: Kafka;
  config: KafkaConfig;
  combiner: Combiner;
  /** Partials topic name (`partialsTopic(group_id)`) and its partition count. */
  partialsTopic: string;
  partitions: number;
  /** Bad records go there, with their decode reason. */
  dlq: DlqWriter;
  logger: Logger;
  metrics?: Metrics;
  /** Max time a record waits in the combiner before a flush, ms (default 200). */
  flushIntervalMs?: number;
  /** Flush earlier when the combiner holds more entries than this (default 50,000). */
  maxPendingEntries?: number;
  /** Largest partials record value, bytes; bigger batches are split (default 900,000, under the broker's 1 MiB default). */
  maxRecordBytes?: number;
  /** Transaction attempts per flush before rolling it back (default 5). */
  txnAttempts?: number;
  /** Random per process by default. */
  instanceId?: string;
  /** New group starts at the earliest offset (default true). */
  fromBeginning?: boolean;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  onFatal?: (e: TriplineError) => void;
}

export interface Stage1StopOptions {
  /** Flush (one last transaction) before leaving (default true). `false` simulates a crash. */
  flush?: boolean;
}

interface PendingOffset {
  topic: string;
  partition: number;
  /** First offset not yet committed (rollback target). */
  from: string;
  /** Next offset to commit (last consumed + 1). */
  next: string;
}

/** Thrown inside a transaction to abort it because the group generation moved on. */
class Abandoned extends Error {}

const EMPTY = Buffer.alloc(0);
const FATAL_TYPES = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTION_COORDINATOR_FENCED',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errorTypes(e: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur !== null && typeof cur === 'object'; i++) {
    const c = cur as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof c.type === 'string') out.push(c.type);
    cur = c.originalError ?? c.cause;
  }
  return out;
}

/**
 * Encodes a partition's batch as one or more records of at most `maxBytes` each (an entry larger
 * than that alone is still one record): entries stay in order, and the source watermarks ride on
 * the last record only, so the entries they cover always come first. Each entry is serialised
 * once more; each record decodes like `encodeBatch` of its chunk.
 */
export function splitBatch(b: PartialBatch, maxBytes: number): Buffer[] {
  const whole = encodeBatch(b);
  if (whole.length <= maxBytes || b.e.length <= 1) return [whole];
  const head = `{"v":${JSON.stringify(b.v)},"of":${JSON.stringify(b.of)},"e":[`;
  const tail = (w: PartialBatch['w']) => `],"w":${JSON.stringify(w)}}`;
  const lastTail = tail(b.w);
  const budget = maxBytes - Buffer.byteLength(head) - Buffer.byteLength(lastTail);
  const out: Buffer[] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const e of b.e) {
    const json = JSON.stringify(e);
    const n = Buffer.byteLength(json) + 1;
    if (chunk.length > 0 && size + n > budget) {
      out.push(Buffer.from(head + chunk.join(',') + tail([])));
      chunk = [];
      size = 0;
    }
    chunk.push(json);
    size += n;
  }
  out.push(Buffer.from(head + chunk.join(',') + lastTail));
  return out;
}

export class Stage1Source {
  readonly instanceId: string;
  readonly #o: Stage1Options;
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #index: SourceIndex | undefined;
  #generation = 0;
  #assignment: TopicPartition[] = [];
  #pausedAll = false;
  #member = false;
  #running = false;
  #stopping = false;
  #fatal: TriplineError | undefined;
  /** Raw offsets consumed since the last committed transaction. */
  readonly #pending = new Map<string, PendingOffset>();
  #dlqPending: DlqEntry[] = [];
  /** Wall time of the oldest unflushed record. */
  #oldestAt: number | undefined;
  #lock: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #inBatch = 0;
  /** The producer must be recreated before the next transaction (a transaction failed). */
  #producerBroken = false;
  /** Last transaction latencies, ms (for reporting). */
  readonly txnLatenciesMs: number[] = [];

  constructor(opts: Stage1Options) {
    if (!(opts.partitions >= 1)) throw new RangeError(`partials partitions must be >= 1 (got ${opts.partitions})`);
    this.#o = opts;
    this.instanceId = opts.instanceId ?? randomBytes(6).toString('hex');
  }

  get transactionalId(): string {
    return `${this.#o.config.group_id}-partials-${this.instanceId}`;
  }

  get generation(): number {
    return this.#generation;
  }

  get sourceIndex(): SourceIndex | undefined {
    return this.#index;
  }

  /** What a crash now would lose from memory (re-read from the committed offsets): partitions with uncommitted records, combiner entries. */
  unflushed(): { partitions: number; entries: number } {
    return { partitions: this.#pending.size, entries: this.#o.combiner.size };
  }

  assignment(): TopicPartition[] {
    return [...this.#assignment];
  }

  /** Connects (admin metadata, transactional producer, consumer), joins the group, starts consuming. */
  async start(): Promise<void> {
    const { kafka, config, combiner } = this.#o;
    const admin = kafka.admin();
    try {
      await admin.connect();
      this.#index = await fetchSourceIndex(admin, config.topics);
    } catch (e) {
      throw e instanceof TriplineError ? e : mapKafkaError(e, `reading the metadata of ${config.topics.join(', ')}`, config);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    combiner.sourceCount = this.#index.total;
    await this.#o.dlq.start();
    this.#producer = await this.#connectProducer();

    const consumer = kafka.consumer({
      groupId: config.group_id,
      readUncommitted: false,
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
    } catch (e) {
      await consumer.disconnect().catch(() => undefined);
      await this.#producer.disconnect().catch(() => undefined);
      throw mapKafkaError(e, `connecting consumer group ${config.group_id}`, config);
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (p) => this.#eachBatch(p),
    });
    this.#running = true;
    const every = Math.max(10, Math.floor(this.#flushInterval() / 2));
    this.#timer = setInterval(() => void this.#quietFlush(), every);
    this.#timer.unref();
  }

  #flushInterval(): number {
    return this.#o.flushIntervalMs ?? 200;
  }

  async #connectProducer(): Promise<Producer> {
    const producer = this.#o.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 15_000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 20, retries: 8 },
    });
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw mapKafkaError(e, 'connecting the partials producer', this.#o.config);
    }
    return producer;
  }

  #listen(consumer: Consumer): void {
    const log = this.#o.logger;
    const m = this.#o.metrics;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#generation++;
      // kafkajs restarts every assigned partition from its committed offset: forget what was not committed.
      const dropped = this.#o.combiner.size;
      this.#o.combiner.discard();
      this.#pending.clear();
      this.#dlqPending = [];
      this.#oldestAt = undefined;
      this.#assignment = Object.entries(payload.memberAssignment).flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition })));
      this.#member = true;
      m?.rebalances.inc();
      m?.consumerLag.reset();
      if (this.#pausedAll) this.#applyPause(true);
      log.info(
        { 'kafka.group_id': payload.groupId, 'kafka.generation': this.#generation, 'kafka.partitions': this.#assignment.length, 'tripline.discarded_entries': dropped },
        'stage 1 joined consumer group',
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#member = false;
      const err = mapKafkaError(payload.error, 'consuming', this.#o.config);
      log.error({ err, 'kafka.restart': payload.restart }, 'stage 1 consumer crashed');
      m?.componentErrors.inc({ stage: 'source', error_type: err.code.toLowerCase() });
      if (!payload.restart) this.#setFatal(err);
    });
    consumer.on(consumer.events.STOP, () => {
      this.#member = false;
    });
  }

  #setFatal(err: TriplineError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = err;
    this.#o.logger.error({ err }, 'stage 1 failed');
    this.#o.onFatal?.(err);
  }

  /** Runs `fn` after every earlier batch/flush finished. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #due(): boolean {
    if (this.#oldestAt === undefined) return false;
    if (this.#o.combiner.size > (this.#o.maxPendingEntries ?? 50_000)) return true;
    return Date.now() - this.#oldestAt >= this.#flushInterval();
  }

  async #eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (this.#stopping || this.#fatal !== undefined || !p.isRunning() || p.isStale()) return;
    this.#inBatch++;
    try {
      await this.#serial(async () => {
        if (this.#stopping || this.#fatal !== undefined || p.isStale()) return;
        this.#ingest(batch.topic, batch.partition, batch.messages, batch.lastOffset(), batch.highWatermark);
        p.resolveOffset(batch.lastOffset());
        if (this.#due()) await this.#flush('batch');
      });
      try {
        await p.heartbeat();
      } catch (e) {
        if (isRebalanceError(e) && this.#fatal === undefined && !this.#stopping) {
          this.#o.logger.info('stage 1: rebalance detected; flushing before partitions are revoked');
          await this.#serial(() => this.#flush('rebalance'));
        }
        throw e;
      }
    } finally {
      this.#inBatch--;
    }
  }

  #ingest(topic: string, partition: number, messages: EachBatchPayload['batch']['messages'], lastOffset: string, highWatermark: string): void {
    const c = this.#o.combiner;
    const m = this.#o.metrics;
    const src = this.#index!.index(topic, partition);
    const before = { decoded: c.counters.decoded, matched: c.counters.matched, recordTime: c.counters.recordTime };
    let invalid = 0;
    for (const msg of messages) {
      const err = c.push(msg.value ?? EMPTY, Number(msg.timestamp), src, Number(msg.offset));
      if (err !== undefined) {
        invalid++;
        m?.recordsInvalid.inc({ topic, reason: err.reason });
        this.#dlqPending.push({ record: toSourceRecord(topic, partition, msg), reason: err.reason, detail: err.detail });
      }
    }
    const k = tpKey(topic, partition);
    const next = (BigInt(lastOffset) + 1n).toString();
    const prev = this.#pending.get(k);
    const first = messages[0]?.offset ?? lastOffset;
    this.#pending.set(k, { topic, partition, from: prev?.from ?? first, next });
    this.#oldestAt ??= Date.now();
    if (m !== undefined) {
      const n = messages.length;
      const decoded = c.counters.decoded - before.decoded;
      const matched = c.counters.matched - before.matched;
      m.recordsConsumed.inc({ topic }, n);
      m.componentReceivedEvents.inc({ stage: 'source' }, n);
      m.componentSentEvents.inc({ stage: 'source' }, n);
      m.recordsDecoded.inc({ topic }, decoded);
      m.recordsMatched.inc({ topic }, matched);
      m.recordTimestampFallback.inc({ topic }, c.counters.recordTime - before.recordTime);
      m.componentReceivedEvents.inc({ stage: 'decode' }, n);
      m.componentSentEvents.inc({ stage: 'decode' }, decoded);
      m.componentErrors.inc({ stage: 'decode', error_type: 'invalid' }, invalid);
      m.componentReceivedEvents.inc({ stage: 'match' }, decoded);
      m.componentSentEvents.inc({ stage: 'match' }, matched);
      const hw = BigInt(highWatermark);
      const lag = hw > BigInt(next) ? hw - BigInt(next) : 0n;
      m.consumerLag.set({ topic, partition: String(partition) }, Number(lag));
    }
  }

  /** Timer: flush records that waited long enough while the fetch loop is quiet (never concurrently with eachBatch). */
  async #quietFlush(): Promise<void> {
    if (this.#inBatch > 0 || !this.#running || this.#stopping || this.#fatal !== undefined || !this.#due()) return;
    await this.#serial(async () => {
      if (this.#inBatch > 0 || this.#stopping || !this.#due()) return;
      await this.#flush('timer');
    }).catch((err: unknown) => this.#o.logger.warn({ err }, 'stage 1 timer flush failed'));
  }

  /** Flushes everything pending: DLQ, then one transaction (partials + offsets). Call under the lock. */
  async #flush(reason: string): Promise<void> {
    if (this.#pending.size === 0 && this.#dlqPending.length === 0 && this.#o.combiner.size === 0) return;
    const log = this.#o.logger;
    const gen = this.#generation;
    const offsets = [...this.#pending.values()];
    const dead = this.#dlqPending;
    this.#dlqPending = [];
    const batches = this.#o.combiner.drain();
    this.#oldestAt = undefined;
    const maxBytes = this.#o.maxRecordBytes ?? 900_000;
    const values = batches.map((b) => splitBatch(b, maxBytes));
    const attempts = this.#o.txnAttempts ?? 5;
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(2_000, 50 * 2 ** attempt));
      if (gen !== this.#generation) break;
      try {
        if (dead.length > 0) {
          await this.#o.dlq.writeMany(dead);
          dead.length = 0;
        }
        await this.#transact(values, offsets, gen);
        for (const o of offsets) {
          const k = tpKey(o.topic, o.partition);
          if (this.#pending.get(k)?.next === o.next) this.#pending.delete(k);
          else if (this.#pending.has(k)) this.#pending.get(k)!.from = o.next;
        }
        log.debug({ 'tripline.flush': reason, 'kafka.offsets': offsets.length }, 'stage 1 flushed');
        return;
      } catch (e) {
        lastErr = e;
        if (e instanceof Abandoned) break;
        const types = errorTypes(e);
        const err = e instanceof TriplineError ? e : mapKafkaError(e, 'committing a partials transaction', this.#o.config);
        this.#o.metrics?.componentErrors.inc({ stage: 'source', error_type: 'partials_txn_failed' });
        if (err.code === 'KAFKA_AUTH' || types.some((t) => FATAL_TYPES.has(t))) {
          this.#setFatal(new TriplineError(err.code === 'KAFKA_AUTH' ? 'KAFKA_AUTH' : 'KAFKA_UNAVAILABLE', `stage 1 producer cannot continue: ${err.message}`, { cause: e, retriable: false }));
          break;
        }
        log.warn({ err, 'tripline.attempt': attempt + 1 }, 'stage 1 flush failed; retrying');
      }
    }
    if (gen !== this.#generation) {
      this.#o.metrics?.partialsTransactions.inc({ outcome: 'abandoned' });
      log.info('stage 1 flush abandoned: the group rebalanced (records are re-read from the committed offsets)');
      return;
    }
    this.#rollback(offsets, lastErr);
  }

  /** Forget the drained state and re-read every pending partition from its first uncommitted offset. */
  #rollback(offsets: PendingOffset[], cause: unknown): void {
    this.#o.combiner.discard();
    this.#dlqPending = [];
    this.#oldestAt = undefined;
    this.#pending.clear();
    this.#o.logger.warn({ err: cause, 'kafka.partitions': offsets.length }, 'stage 1 flush rolled back; re-reading from the committed offsets');
    if (this.#fatal !== undefined || this.#stopping) return;
    for (const o of offsets) {
      try {
        this.#consumer?.seek({ topic: o.topic, partition: o.partition, offset: o.from });
      } catch (err) {
        this.#o.logger.warn({ err }, 'stage 1 seek failed');
      }
    }
  }

  async #transact(values: Buffer[][], offsets: PendingOffset[], gen: number): Promise<void> {
    if (this.#producerBroken) await this.#resetProducer();
    const producer = this.#producer!;
    const { config, partialsTopic, metrics: m } = this.#o;
    const started = performance.now();
    const txn = await producer.transaction();
    let records = 0;
    try {
      // kafkajs puts the messages of one partition in one send into ONE record batch, which the
      // broker checks against max.message.bytes: a split batch goes out in rounds, one record per
      // partition per send (sequential sends keep the order within a partition).
      const rounds = Math.max(...values.map((list) => list.length));
      for (let r = 0; r < rounds; r++) {
        const messages = values.flatMap((list, partition) => (r < list.length ? [{ partition, key: String(partition), value: list[r]! }] : []));
        records += messages.length;
        await txn.send({ topic: partialsTopic, acks: -1, messages });
      }
      if (offsets.length > 0) {
        const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
        for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.next }]);
        await txn.sendOffsets({ consumerGroupId: config.group_id, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      }
      if (gen !== this.#generation) throw new Abandoned('group generation changed');
      await txn.commit();
    } catch (e) {
      m?.partialsTransactions.inc({ outcome: 'aborted' });
      try {
        if (txn.isActive()) await txn.abort();
      } catch (abortErr) {
        this.#o.logger.warn({ err: abortErr }, 'stage 1 transaction abort failed');
      }
      // A failed send may leave kafkajs's idempotent sequence numbers out of step with the broker
      // (it warns that limited retries may break EoS): the next attempt starts with a new producer
      // epoch (InitProducerId), which also aborts anything still open under this transactional id.
      if (!(e instanceof Abandoned)) this.#producerBroken = true;
      throw e;
    }
    const ms = performance.now() - started;
    this.txnLatenciesMs.push(ms);
    if (this.txnLatenciesMs.length > 1000) this.txnLatenciesMs.shift();
    m?.partialsTransactions.inc({ outcome: 'committed' });
    m?.partialsRecords.inc(records);
    m?.partialsTransactionDuration.observe(ms / 1000);
    m?.offsetCommits.inc({ outcome: 'ok' });
  }

  /** A new producer with the same transactional id: InitProducerId bumps the epoch and aborts what is open. */
  async #resetProducer(): Promise<void> {
    this.#producerBroken = true;
    await this.#producer?.disconnect().catch(() => undefined);
    this.#producer = await this.#connectProducer();
    this.#producerBroken = false;
  }

  #applyPause(pause: boolean): void {
    const c = this.#consumer;
    if (c === undefined) return;
    const topics = this.#o.config.topics.map((topic) => ({ topic }));
    try {
      if (pause) c.pause(topics);
      else c.resume(topics);
    } catch (err) {
      this.#o.logger.debug({ err }, 'stage 1 pause/resume before the consumer runs');
    }
    this.#o.metrics?.pausedPartitions.set(pause ? this.#assignment.length : 0);
  }

  /** Stops fetching every raw topic (backpressure while sinks are stalled). Pending records still flush. */
  pauseAll(): void {
    this.#pausedAll = true;
    this.#applyPause(true);
  }

  resumeAll(): void {
    this.#pausedAll = false;
    this.#applyPause(false);
  }

  /** Readiness: member of the group, not failed. */
  probe(): ProbeResult {
    const g = this.#o.config.group_id;
    if (this.#fatal !== undefined) return { ok: false, detail: `failed: ${this.#fatal.code}` };
    if (!this.#member) return { ok: false, detail: `not a member of group ${g}` };
    return { ok: true, detail: `member of group ${g}, ${this.#assignment.length} partition(s)${this.#pausedAll ? ', paused' : ''}` };
  }

  /**
   * Stop: stop fetching, wait for the running batch, flush what is pending in one last transaction
   * (unless `flush: false`, a crash simulation: nothing more is committed), leave the group.
   */
  async stop(opts: Stage1StopOptions = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#timer);
    const consumer = this.#consumer;
    if (consumer === undefined) {
      await this.#producer?.disconnect().catch(() => undefined);
      return;
    }
    try {
      if (this.#running) consumer.pause(this.#o.config.topics.map((topic) => ({ topic })));
    } catch {
      // not running any more
    }
    // Wait for the batch in flight (it returns early now that #stopping is set, after its flush).
    await this.#serial(async () => undefined);
    if (opts.flush !== false && this.#fatal === undefined && this.#member) {
      await this.#serial(() => this.#flush('stop')).catch((err: unknown) => this.#o.logger.warn({ err }, 'stage 1 final flush failed'));
    }
    this.#running = false;
    if (opts.flush === false) {
      // Crash simulation: do not let a later flush or leave commit anything.
      this.#o.combiner.discard();
      this.#pending.clear();
    }
    await consumer.disconnect().catch((e: unknown) => this.#o.logger.warn({ err: e }, 'stage 1 consumer disconnect failed'));
    await this.#producer?.disconnect().catch(() => undefined);
    this.#member = false;
  }
}

/** 7 days. */
const PARTIALS_RETENTION_MS = 7 * 24 * 3600 * 1000;

/**
 * Creates the partials topic if missing (`partitions` partitions, cleanup.policy=delete, 7 days
 * retention). An existing topic with another partition count is a configuration error: changing
 * it would move keys between stage 2 tasks.
 */
export async function ensurePartialsTopic(kafka: Kafka, topic: string, partitions: number, kafkaConfig?: KafkaConfig): Promise<void> {
  const admin = kafka.admin();
  const mismatch = (have: number) =>
    new TriplineError(
      'CONFIG_INVALID',
      `partials topic ${topic} has ${have} partition(s) but ${partitions} are configured; changing the count would move keys between tasks (delete the topic and the group's state, or configure ${have})`,
    );
  const existing = async (): Promise<number | undefined> => {
    const names = new Set(await admin.listTopics());
    if (!names.has(topic)) return undefined;
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    return md.topics.find((t) => t.name === topic)?.partitions.length;
  };
  try {
    await admin.connect();
    let have = await existing();
    if (have === undefined) {
      try {
        await admin.createTopics({
          // Waiting here fails with UNKNOWN_TOPIC_OR_PARTITION on a busy broker (metadata not yet
          // propagated): we poll below instead.
          waitForLeaders: false,
          topics: [
            {
              topic,
              numPartitions: partitions,
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: String(PARTIALS_RETENTION_MS) },
              ],
            },
          ],
        });
        await waitForTopicLeaders(admin, topic, partitions, `creating the partials topic ${topic}`);
        return;
      } catch (e) {
        if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
        have = await existing();
      }
    }
    if (have !== undefined && have !== partitions) throw mismatch(have);
  } catch (e) {
    throw e instanceof TriplineError ? e : mapKafkaError(e, `creating the partials topic ${topic}`, kafkaConfig);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
