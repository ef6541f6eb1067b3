/**
 * The detection engine: watermark + sliding windows + detectors + alert lifecycle, per pattern.
 * Pure and deterministic: no I/O, no timers; event time comes from events, wall time from `tick`.
 *
 * SEMANTICS
 *
 * Input. `observe(ev, matches)` must be called for every decoded event, in arrival order, even
 * when `matches` is empty (every event moves the watermark). `matches` are the (pattern, group)
 * pairs from the matcher.
 *
 * Event clock. Per input partition the max event time is kept; the clock is the min over active
 * partitions, never decreasing (src/window/watermark.ts). A pattern's watermark is
 * `clock - pattern.grace`. Idle rule, only applied by `tick(now)` with `idleTimeoutMs` set: a
 * partition that received nothing for idleTimeoutMs of wall time is left out of the min; when all
 * partitions are idle the clock advances with wall time from the last arrival (anchorClock +
 * now - anchorWall). Replay never ticks, so there the clock is a pure function of the events.
 *
 * Lateness. After the event's partition is updated, a match is late for its pattern iff
 * `ev.time < patternWatermark`; it is counted (`stats().patterns[i].late`) and dropped for that
 * pattern only.
 *
 * Boundaries. Each pattern evaluates at instants T that are multiples of its resolution
 * (`detect.resolution`; `any`/`absence` default to 1s), in increasing order, once
 * `patternWatermark >= T` (in `advance`, `tick` or `flush`). The window at T is [T - window, T).
 * Every accepted event has time >= the watermark at its arrival >= every evaluated T, so an
 * evaluation never changes afterwards. Boundaries start at the first boundary after
 * `t0 - grace`, t0 = the first event of the stream. A pattern without live groups skips ahead.
 *
 * Groups. A group is created by its first accepted event; a pattern without group_by has one
 * implicit group `[]` created at t0 (so `absence` counts from the stream start and
 * `threshold <` can see a silent stream). At most `max_groups` groups are live; an event of a
 * new group beyond that is counted in `overflow` and folded into the `__overflow__` group (one
 * extra group; its group fields are all `__overflow__`). After evaluating a boundary, a group
 * whose alert is inactive and whose detector is idle (no data in or ahead of the window; never
 * for `absence` or for a threshold an empty window satisfies) is evicted; its incident counter
 * is kept (for the last max_groups*4 evicted keys, LRU) so the next incident of that key
 * continues the sequence. Long gaps (a far-future timestamp) are crossed per group through
 * only the boundaries where something can change (pattern-runtime.ts), same results.
 * Note: which events overflow depends on when `advance` runs (eviction happens there).
 *
 * Detectors (src/detect): threshold (count op value), ratio (sub/total op value when total >=
 * max(1, min_total)), any (>= 1 event in [T - step, T)), absence (T - lastSeen >= after, value in
 * seconds). Each file documents its exact condition.
 *
 * Alerts (src/alert/lifecycle.ts): inactive -> pending -> firing -> resolved, `for`,
 * `resolve_after`, `repeat_interval`, flapping; see that file. Alert key = FNV-1a 64 of pattern id
 * + group key; id = `<key>-<seq>`. Each transition carries @timestamp = T, the evaluation's
 * value/threshold/op and window, up to 5 samples (most recent matched events of the group with
 * time < T, redacted), and the rendered summary (src/alert/summary.ts).
 *
 * Output order. Each call returns its transitions sorted by T, then pattern id, then group key
 * (code-unit order): deterministic for a given sequence of calls.
 *
 * flush(). End of input: the clock jumps to the max event time seen (maxTime) and, from then on,
 * grace is ignored. Window detectors (threshold, ratio, any) evaluate every boundary up to the one
 * that closes maxTime's bucket (the first boundary > maxTime: all its data is known, so a burst
 * at the very end of a replay is still judged); absence evaluates boundaries <= maxTime only.
 * Nothing is extrapolated: open alerts stay open and `absence` does not fire for the silence
 * after the last event. After flush, an event is late for a pattern when it is before the clock
 * or before its last evaluated boundary.
 *
 * snapshot()/restore(). Plain JSON: watermark, per-pattern next boundary, incident counters and,
 * per live group, the window buckets (mergeable partials), the detector state and the alert
 * lifecycle. Samples are not kept. Restore into an engine built from the same patterns (matched
 * by id; unknown ids are dropped, new patterns start at the restored clock): an ongoing
 * condition continues its incident instead of opening a new one.
 */
import type { Evaluation } from '../detect/detector.js';
import type { LogEvent } from '../model/event.js';
import type { MatchResult } from '../model/match.js';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import { WatermarkTracker } from '../window/watermark.js';
import { nextBoundaryAfter } from '../window/window-state.js';
import type { WatermarkSnapshot } from '../window/watermark.js';
import { PatternRuntime } from './pattern-runtime.js';
import type { PatternSnapshot, TimedTransition } from './pattern-runtime.js';

export interface EngineOptions {
  /** Idle timeout for the wall-clock idle rule, ms (undefined = never idle). */
  idleTimeoutMs?: number;
  /** Step of `any`/`absence` without a resolution, ms (default 1000). */
  defaultStepMs?: number;
  /**
   * Called for every (pattern, group) evaluation, e.g. for per-window metrics or tests.
   * `e` is reused: copy what you keep.
   */
  onEvaluate?: (pattern: Pattern, groupKey: string, T: number, e: Readonly<Evaluation>) => void;
  /**
   * The hook only reads boundaries that are multiples of this (ms), as the metric emitter does.
   * Set, it lets groups sleep between their changes (pattern-runtime.ts "Sleeping groups"): the
   * hook still sees every group at every such boundary, with the same values. Unset while
   * `onEvaluate` is set, every group is evaluated at every boundary, as the hook may want.
   */
  onEvaluateEveryMs?: number;
  /** Sleeping groups (default true). Results are identical either way; tests set false to compare. */
  sleepGroups?: boolean;
  /**
   * Due boundaries from which a pattern switches to per-group skipping (see pattern-runtime.ts;
   * default SKIP_MIN_BOUNDARIES). Results are identical either way; tests set 0 to force it.
   */
  skipMinBoundaries?: number;
}

export interface PatternStats {
  id: string;
  /** Matches dropped as late. */
  late: number;
  /** Events folded into the overflow group. */
  overflow: number;
  activeGroups: number;
  evictedGroups: number;
  /** Next boundary to evaluate (NaN before the first event). */
  nextBoundary: number;
  /** Current pattern watermark. */
  watermark: number;
  /** Evicted group keys whose incident counter is remembered (bounded, LRU). */
  rememberedSeqs: number;
  /** Detector counters (e.g. missing_follow_up overflow, new_value filter saturation). */
  detector?: Record<string, number>;
}

export interface EngineStats {
  /** Event clock, epoch ms (-Infinity before the first event). */
  clock: number;
  events: number;
  patterns: PatternStats[];
}

export interface EngineSnapshot {
  version: 1;
  started: boolean;
  flushed: boolean;
  watermark: WatermarkSnapshot;
  patterns: PatternSnapshot[];
}

export interface Engine {
  /** Hot path. `wallNow` (optional) stamps the arrival for the idle rule; else the next tick does. */
  observe(ev: LogEvent, matches: readonly MatchResult[], wallNow?: number): void;
  /** Evaluates every due boundary. */
  advance(): AlertTransition[];
  /** An assigned input partition that holds the clock until it delivers or idles (WatermarkTracker.expect). */
  expectPartition(partition: number, wallNow: number): void;
  /** Wall-clock tick: idle rule, then `advance`. */
  tick(wallNow: number): AlertTransition[];
  /** End of input (see SEMANTICS). */
  flush(): AlertTransition[];
  /**
   * Scale-out stage 2 (src/shuffle/shuffle-task.ts), which keeps the event clock itself (min
   * over the source partitions' watermarks carried by the partials topic): the stream started at
   * `t0` (boundaries and implicit groups as on the first event; the implicit `[]` group only for
   * the patterns `ownsImplicitGroup` accepts: the task its key hashes to). No-op once started.
   */
  startAt(t0: number, ownsImplicitGroup?: (patternId: string) => boolean): void;
  /**
   * Scale-out stage 2: one accepted-or-late matched event, without moving the clock (lateness
   * against the current clock, as in `observe`). Returns false when it was late.
   */
  observeMatch(ev: LogEvent, m: MatchResult): boolean;
  /** Scale-out stage 2: raises the event clock to `time` (never lowers it). */
  setClock(time: number): void;
  stats(): EngineStats;
  snapshot(): EngineSnapshot;
  restore(s: EngineSnapshot): void;
}

function byTimePatternGroup(a: TimedTransition, b: TimedTransition): number {
  if (a.T !== b.T) return a.T - b.T;
  if (a.patternId !== b.patternId) return a.patternId < b.patternId ? -1 : 1;
  if (a.groupKey !== b.groupKey) return a.groupKey < b.groupKey ? -1 : 1;
  return 0;
}

function sorted(out: TimedTransition[]): AlertTransition[] {
  if (out.length > 1) out.sort(byTimePatternGroup);
  return out.map((x) => x.transition);
}

export function createEngine(patterns: readonly Pattern[], opts: EngineOptions = {}): Engine {
  const wm = new WatermarkTracker(opts.idleTimeoutMs);
  const detOpts = opts.defaultStepMs === undefined ? {} : { defaultStepMs: opts.defaultStepMs };
  // Sleeping groups: always without a hook; with one only when it reads a fixed grid of boundaries.
  const sleepGrid = opts.sleepGroups === false ? 0 : opts.onEvaluate === undefined ? Infinity : opts.onEvaluateEveryMs !== undefined && opts.onEvaluateEveryMs > 0 ? opts.onEvaluateEveryMs : 0;
  const rts = patterns.map((p) => new PatternRuntime(p, detOpts, opts.onEvaluate, sleepGrid));
  if (opts.skipMinBoundaries !== undefined) for (const rt of rts) rt.skipMin = opts.skipMinBoundaries;
  let started = false;
  let flushed = false;
  let events = 0;

  const patternWatermark = (rt: PatternRuntime): number => (flushed ? wm.clock : wm.clock - rt.pattern.grace);

  function advance(): AlertTransition[] {
    const out: TimedTransition[] = [];
    for (const rt of rts) rt.evaluateUntil(patternWatermark(rt), out);
    return sorted(out);
  }

  return {
    observe(ev: LogEvent, matches: readonly MatchResult[], wallNow?: number): void {
      events++;
      if (!started) {
        started = true;
        for (const rt of rts) rt.start(ev.time);
      }
      wm.observe(ev.partition, ev.time, wallNow);
      const clock = wm.clock;
      for (let i = 0; i < matches.length; i++) {
        const m = matches[i]!;
        const rt = rts[m.pattern];
        if (rt === undefined) continue;
        const floor = flushed ? Math.max(clock, rt.nextT - rt.resolution) : clock - rt.pattern.grace;
        if (ev.time < floor) {
          rt.late++;
          continue;
        }
        rt.observe(ev, m);
      }
    },
    advance,
    startAt(t0: number, ownsImplicitGroup?: (patternId: string) => boolean): void {
      if (started) return;
      started = true;
      for (const rt of rts) rt.start(t0, ownsImplicitGroup === undefined || ownsImplicitGroup(rt.pattern.id));
    },
    observeMatch(ev: LogEvent, m: MatchResult): boolean {
      const rt = rts[m.pattern];
      if (rt === undefined) return false;
      events++;
      if (!started) {
        started = true;
        for (const r of rts) r.start(ev.time);
      }
      const clock = wm.clock;
      const floor = flushed ? Math.max(clock, rt.nextT - rt.resolution) : clock - rt.pattern.grace;
      if (ev.time < floor) {
        rt.late++;
        return false;
      }
      rt.observe(ev, m);
      return true;
    },
    setClock(time: number): void {
      if (time > wm.clock) wm.observe(0, time);
    },
    expectPartition(partition: number, wallNow: number): void {
      wm.expect(partition, wallNow);
    },
    tick(wallNow: number): AlertTransition[] {
      wm.tick(wallNow);
      return advance();
    },
    flush(): AlertTransition[] {
      flushed = true;
      wm.flushToMax();
      const out: TimedTransition[] = [];
      const max = wm.maxEventTime;
      for (const rt of rts) {
        const until = rt.detector.flushClosesBucket && Number.isFinite(max) ? nextBoundaryAfter(max, rt.resolution) : wm.clock;
        rt.evaluateUntil(until, out);
      }
      return sorted(out);
    },
    stats(): EngineStats {
      return {
        clock: wm.clock,
        events,
        patterns: rts.map((rt) => ({
          id: rt.pattern.id,
          late: rt.late,
          overflow: rt.overflow,
          activeGroups: rt.groups.size,
          evictedGroups: rt.evicted,
          nextBoundary: rt.nextT,
          watermark: patternWatermark(rt),
          rememberedSeqs: rt.rememberedSeqs,
          ...(rt.detector.stats === undefined ? {} : { detector: rt.detector.stats() }),
        })),
      };
    },
    snapshot(): EngineSnapshot {
      return {
        version: 1,
        started,
        flushed,
        watermark: wm.snapshot(),
        patterns: rts.map((rt) => rt.snapshot()),
      };
    },
    restore(s: EngineSnapshot): void {
      if (s.version !== 1) throw new Error(`unsupported engine snapshot version ${String(s.version)}`);
      wm.restore(s.watermark);
      started = s.started;
      flushed = s.flushed;
      const byId = new Map(s.patterns.map((p) => [p.id, p]));
      for (const rt of rts) {
        const ps = byId.get(rt.pattern.id);
        if (ps !== undefined) rt.restore(ps);
        else if (started && Number.isFinite(wm.clock)) rt.start(wm.clock);
      }
    },
  };
}
