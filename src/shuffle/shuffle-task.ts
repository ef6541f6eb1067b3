/**
 * Stage 2 of the scale-out path (pure, no I/O): one task per partials partition. It owns the
 * windows, detectors and alert lifecycle of the (pattern, group) keys hashed to that partition.
 *
 * Clock. Each PartialBatch carries source watermarks [source, max event time, first event time].
 * The task keeps them in a WatermarkTracker (the same one the single engine uses), expecting
 * every source partition the batches announce (`of`): the clock is the min over them, held back
 * until each has reported (or idled, with the wall-clock idle rule), so the shuffle neither makes
 * events late nor lets absence fire early.
 *
 * Determinism (the point of issue 6: N instances give exactly the alerts of one). Entries arrive
 * interleaved in an order that depends on which instance read which raw partition when. They are
 * held in `pending` until the clock passes them, then released to the engine sorted by
 * (time, pattern, group, source, offset) BEFORE the engine's clock moves to the new value. So the
 * engine sees the same sequence of events and clock steps whatever the interleaving, as long as
 * no entry is late: every evaluation at boundary T happens after every entry with time < T was
 * released. Only entries behind the released clock (out-of-order data) go straight to the engine,
 * where the usual lateness rule (clock - grace) decides.
 *
 * Stream start. The engine starts (boundaries, implicit groups, absence counted from t0) at
 * t0 = min over source partitions of the first event time each reported, once all have
 * reported: the same t0 whichever batch arrives first.
 *
 * Weights. An aggregated entry of weight n feeds its detector n observations in its time bucket:
 * n - k at the aggregate's earliest time, then its k sample events (k <= 5, time order). Group
 * creation times, bucket counts and absence's last-seen bucket are then those of the raw events.
 */
import type { Engine, EngineOptions, EngineSnapshot } from '../engine/engine.js';
import { createEngine } from '../engine/engine.js';
import type { LogEvent } from '../model/event.js';
import type { MatchResult } from '../model/match.js';
import { groupFromKey } from '../model/pattern.js';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import { WatermarkTracker } from '../window/watermark.js';
import type { WatermarkSnapshot } from '../window/watermark.js';
import { compareEntries, partialsPartition } from './partial.js';
import type { PartialBatch, PartialEntry, PartialSample } from './partial.js';

export interface ShuffleTaskOptions {
  /** This task's partials partition and the partition count (which keys it owns); default: owns all. */
  partition?: number;
  partitions?: number;
  /** Wall-clock idle rule over source partitions, ms (undefined = never). */
  idleTimeoutMs?: number;
  /** Engine options (onEvaluate, ...); the engine's own idle rule is not used. */
  engine?: Omit<EngineOptions, 'idleTimeoutMs'>;
}

export interface ShuffleTaskSnapshot {
  version: 1;
  started: boolean;
  sources: number;
  firsts: [number, number][];
  tracker: WatermarkSnapshot;
  /** Entries not yet released (samples dropped). */
  pending: PartialEntry[];
  engine: EngineSnapshot;
}

export interface ShuffleTaskCounters {
  batches: number;
  entries: number;
  /** Observations fed to the engine (sum of weights). */
  events: number;
  /** Observations the engine dropped as late. */
  late: number;
  /** Entries of a pattern id this process does not have (patterns changed). */
  unknownPattern: number;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function sampleEvent(x: PartialSample, needed: Readonly<Record<string, unknown>>, time = x.t): LogEvent {
  return { name: x.e, time, timeSource: 'field', fields: x.f, partition: 0, needed };
}

export class ShuffleTask {
  readonly engine: Engine;
  private readonly tracker: WatermarkTracker;
  private readonly index = new Map<string, number>();
  private pending: PartialEntry[] = [];
  private readonly firsts = new Map<number, number>();
  private sources = 0;
  private started = false;
  /** Clock value up to which entries were released. */
  private released = -Infinity;
  private readonly ownsImplicit: ((patternId: string) => boolean) | undefined;
  readonly counters: ShuffleTaskCounters = { batches: 0, entries: 0, events: 0, late: 0, unknownPattern: 0 };

  constructor(
    readonly patterns: readonly Pattern[],
    o: ShuffleTaskOptions = {},
  ) {
    this.engine = createEngine(patterns, o.engine ?? {});
    this.tracker = new WatermarkTracker(o.idleTimeoutMs);
    const { partition, partitions } = o;
    this.ownsImplicit = partition === undefined || partitions === undefined ? undefined : (id) => partialsPartition(id, '[]', partitions) === partition;
    patterns.forEach((p, i) => this.index.set(p.id, i));
  }

  /** Entries waiting for the clock. */
  get pendingEntries(): number {
    return this.pending.length;
  }

  /** The task's event clock (min over source watermarks). */
  get clock(): number {
    return this.tracker.clock;
  }

  /** One partials record. Returns the transitions it caused. */
  apply(b: PartialBatch, wallNow: number): AlertTransition[] {
    this.counters.batches++;
    if (b.of > this.sources) {
      for (let s = this.sources; s < b.of; s++) this.tracker.expect(s, wallNow);
      this.sources = b.of;
    }
    for (const e of b.e) {
      this.counters.entries++;
      if (this.started && e.t < this.released) this.feed(e);
      else this.pending.push(e);
    }
    for (const [src, max, first] of b.w) {
      if (!this.firsts.has(src)) this.firsts.set(src, first);
      this.tracker.observe(src, max, wallNow);
    }
    return this.release();
  }

  /** Wall-clock tick: idle rule, then release and evaluate. */
  tick(wallNow: number): AlertTransition[] {
    this.tracker.tick(wallNow);
    return this.release();
  }

  private release(): AlertTransition[] {
    const C = this.tracker.clock;
    if (!Number.isFinite(C) || C <= this.released) return [];
    if (!this.started) {
      let t0 = Infinity;
      for (const t of this.firsts.values()) if (t < t0) t0 = t;
      if (!Number.isFinite(t0)) return [];
      this.started = true;
      this.engine.startAt(t0, this.ownsImplicit);
    }
    const due: PartialEntry[] = [];
    const keep: PartialEntry[] = [];
    for (const e of this.pending) (e.t < C ? due : keep).push(e);
    this.pending = keep;
    due.sort(compareEntries);
    for (const e of due) this.feed(e);
    this.released = C;
    this.engine.setClock(C);
    return this.engine.advance();
  }

  private feed(e: PartialEntry): void {
    const pi = this.index.get(e.p);
    if (pi === undefined) {
      this.counters.unknownPattern++;
      return;
    }
    const p = this.patterns[pi]!;
    const m: MatchResult = { pattern: pi, roles: e.r, groupKey: e.k, group: groupFromKey(p, e.k) };
    const needed = e.f ?? EMPTY;
    const n = e.n ?? 1;
    const xs = e.x === undefined ? [] : [...e.x].sort((a, b) => a.t - b.t).slice(-n);
    const k = xs.length;
    const c = this.counters;
    if (n > k) {
      const base = k > 0 ? sampleEvent(xs[0]!, needed, e.t) : { name: '', time: e.t, timeSource: 'field' as const, fields: EMPTY, partition: 0, needed };
      for (let i = 0; i < n - k; i++) {
        c.events++;
        if (!this.engine.observeMatch(base, m)) c.late++;
      }
    }
    for (const x of xs) {
      c.events++;
      if (!this.engine.observeMatch(sampleEvent(x, needed, Math.max(x.t, e.t)), m)) c.late++;
    }
  }

  snapshot(): ShuffleTaskSnapshot {
    return {
      version: 1,
      started: this.started,
      sources: this.sources,
      firsts: [...this.firsts.entries()],
      tracker: this.tracker.snapshot(),
      pending: this.pending.map(({ x: _x, ...rest }) => rest),
      engine: this.engine.snapshot(),
    };
  }

  restore(s: ShuffleTaskSnapshot): void {
    if (s.version !== 1) throw new Error(`unsupported shuffle task snapshot version ${String(s.version)}`);
    this.started = s.started;
    this.sources = s.sources;
    this.firsts.clear();
    for (const [k, v] of s.firsts) this.firsts.set(k, v);
    this.tracker.restore(s.tracker);
    this.pending = [...s.pending];
    this.engine.restore(s.engine);
    this.released = this.started ? this.tracker.clock : -Infinity;
  }
}
