import { alertKey } from '../alert/alert-key.js';
import { buildTransition } from '../alert/build-transition.js';
import { isLifecycleIdle, lifecycleNextDeadline, newLifecycleState, restoreLifecycle, snapshotLifecycle, stepLifecycle } from '../alert/lifecycle.js';
import type { LifecycleConfig, LifecycleState } from '../alert/lifecycle.js';
import { SampleRing } from '../alert/samples.js';
import { createDetector } from '../detect/create-detector.js';
import type { DetectorOptions } from '../detect/create-detector.js';
import { emptyEvaluation } from '../detect/detector.js';
import type { Detector, Evaluation } from '../detect/detector.js';
import type { LogEvent } from '../model/event.js';
import type { MatchResult } from '../model/match.js';
import { OVERFLOW_GROUP_KEY, groupFromKey } from '../model/pattern.js';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import { nextBoundaryAfter } from '../window/window-state.js';

/** Group key of the single group of a pattern without group_by (as produced by match). */
export const UNGROUPED_KEY = '[]';

/**
 * One live group. Memory per group (issue 8, BENCHMARKS.md scenario `memory`): the group is its
 * own sample ring (no separate ring object); its group record (group_by field -> value) is not
 * stored but derived from the key when a transition or snapshot needs it (groupRecord); and
 * its alert lifecycle state is allocated only when its condition first holds (see `alert`).
 */
export class GroupRuntime extends SampleRing {
  /** Alert key hash, computed at the group's first transition. */
  hash: string | null = null;
  /** Index of the group in its runtime's `order` and `wakes` (see PatternRuntime). */
  slot = -1;

  constructor(
    readonly key: string,
    readonly det: unknown,
    /**
     * null: the fresh lifecycle (inactive, seq 0) of a group whose condition has not held yet.
     * Stepping such a state with a false condition changes nothing but `condSince`, which is
     * not read while inactive and not active, so no state is kept until the condition holds;
     * a snapshot then shows the fresh state (condSince null).
     */
    public alert: LifecycleState | null,
  ) {
    super();
  }

  get samples(): SampleRing {
    return this;
  }
}

/** A transition with its sort key. */
export interface TimedTransition {
  T: number;
  patternId: string;
  groupKey: string;
  transition: AlertTransition;
}

export type EvaluateHook = (pattern: Pattern, groupKey: string, T: number, e: Readonly<Evaluation>) => void;

export interface GroupSnapshot {
  key: string;
  group: Record<string, string>;
  det: unknown;
  alert: LifecycleState;
}

export interface PatternSnapshot {
  id: string;
  nextT: number | null;
  /** The stream's first event time (null before it). */
  t0?: number | null;
  /** Pattern-wide detector state (new_value's seen-set, ...). */
  shared?: unknown;
  /** Incident counters of evicted groups, so a later incident continues the sequence. */
  seqs: [string, number][];
  groups: GroupSnapshot[];
}

/**
 * Long gaps: when more than SKIP_MIN_BOUNDARIES boundaries are due at once (a far-future event,
 * a restore after downtime), each group is stepped on its own through only the boundaries where
 * something can change (Detector.nextChange, lifecycleNextDeadline): O(groups x changes)
 * instead of O(groups x gap / resolution). The transitions are identical; the onEvaluate hook
 * is then called only for the boundaries actually evaluated (per group, in time order).
 */
export const SKIP_MIN_BOUNDARIES = 256;

/*
 * Sleeping groups. When stepping boundary by boundary, a group is evaluated only at boundaries
 * where its evaluation can matter: after evaluating it at T, it sleeps until the earliest of
 * Detector.nextChange, the lifecycle's next deadline and (with an onEvaluate hook on a grid)
 * the next grid boundary; a new event wakes it for the first boundary after its time (the first
 * that can see it). Those are exactly the boundaries the long-gap path (evaluateSkipping)
 * evaluates, by the same contracts, so the transitions are identical to evaluating every group
 * at every boundary (tested in test/unit/engine/engine-sleep.test.ts), and the hook sees every
 * group at every grid boundary with the same values. Groups keep their order; a sleeping one
 * costs one read of its wake time per boundary instead of an evaluation (e.g. missing_follow_up
 * groups waiting minutes for a deadline).
 */

/** Evicted groups whose incident counter is remembered, per live-group limit (LRU beyond). */
export const SEQ_MEMORY_FACTOR = 4;

/** Window + detector + lifecycle state of one pattern, over all its groups. */
export class PatternRuntime {
  readonly detector: Detector;
  readonly resolution: number;
  readonly groups = new Map<string, GroupRuntime>();
  /**
   * The live groups in creation order (the Map's iteration order), with null for evicted ones
   * until compacted, and beside them in `wakes` each group's first boundary at which it must be
   * evaluated again (sleeping groups; -Infinity = the next one, Infinity for a hole). A boundary
   * reads the wakes as one contiguous Float64Array and touches only the due groups: passing
   * over a sleeping group used to read the group object itself, a cache miss per sleeping group
   * per boundary once the groups outgrow the CPU caches (billing-status-not-activated: ~800
   * org groups, most of them sleeping, evaluateUntil +46 ns per line in the all-patterns bench).
   */
  private order: (GroupRuntime | null)[] = [];
  private wakes = new Float64Array(16);
  private holes = 0;
  /** Next boundary to evaluate (NaN before the stream's first event). */
  nextT = NaN;
  late = 0;
  overflow = 0;
  evicted = 0;
  private realGroups = 0;
  /**
   * Incident counters of evicted groups, least recently evicted first, at most
   * max_groups * SEQ_MEMORY_FACTOR. Beyond that the oldest is forgotten: a key that comes back
   * after that many other evictions restarts at seq 1, so its alert id (`<key>-1`) can repeat
   * an id used long before (sinks keyed by alert id then update that old record).
   */
  private readonly seqs = new Map<string, number>();
  private readonly seqCap: number;
  /** The stream's first event time (NaN before it). */
  t0 = NaN;
  /** Minimum due boundaries for the per-group skipping evaluation. */
  skipMin = SKIP_MIN_BOUNDARIES;
  private readonly scratch: Evaluation = emptyEvaluation();
  private readonly cfg: LifecycleConfig;

  constructor(
    readonly pattern: Pattern,
    opts: DetectorOptions,
    private readonly hook: EvaluateHook | undefined,
    /** Sleeping groups: Infinity = no hook (sleep freely), > 0 = wake on this grid too, 0 = never sleep. */
    private readonly sleepGrid = Infinity,
  ) {
    this.detector = createDetector(pattern, opts);
    this.resolution = this.detector.resolution;
    this.cfg = pattern;
    this.seqCap = Math.max(1024, pattern.max_groups * SEQ_MEMORY_FACTOR);
  }

  /** Evicted keys whose incident counter is remembered. */
  get rememberedSeqs(): number {
    return this.seqs.size;
  }

  /** The stream's first event (time t0): boundaries start, the implicit group is created. */
  start(t0: number, implicitGroup = true): void {
    this.t0 = t0;
    // Every accepted event has time >= t0 - grace, so earlier boundaries have empty windows.
    this.nextT = nextBoundaryAfter(t0 - this.pattern.grace, this.resolution);
    // implicitGroup = false: scale-out task that does not own the `[]` key (src/shuffle/shuffle-task.ts).
    if (implicitGroup && this.pattern.group_by.length === 0 && !this.groups.has(UNGROUPED_KEY)) {
      this.addGroup(UNGROUPED_KEY, t0, true);
    }
  }

  /**
   * Hot path: an accepted matched event. It wakes its group for the first boundary that can see
   * it, the one after its time (an evaluation at T reads only events with time < T, by the
   * Detector contract), not for the next boundary: with the default 30 s grace the next
   * boundary is ~30 s behind the event, and evaluating there would change nothing (a
   * missing_follow_up org group was evaluated twice more per A/B pair for nothing).
   */
  observe(ev: LogEvent, m: MatchResult): void {
    let g = this.groups.get(m.groupKey);
    if (g === undefined) g = this.groupFor(m, ev.time);
    this.detector.observe(g.det, ev, m.roles);
    g.push(ev);
    const due = nextBoundaryAfter(ev.time, this.resolution);
    if (due < this.wakes[g.slot]!) this.wakes[g.slot] = due;
  }

  /** The group of a new key, asleep until the observe that follows wakes it (or the hook's grid). */
  private groupFor(m: MatchResult, time: number): GroupRuntime {
    if (this.realGroups >= this.pattern.max_groups) {
      this.overflow++;
      return this.groups.get(OVERFLOW_GROUP_KEY) ?? this.addGroup(OVERFLOW_GROUP_KEY, time, false, this.newGroupWake());
    }
    return this.addGroup(m.groupKey, time, false, this.newGroupWake());
  }

  /**
   * Wake of a group created by an event: Infinity (the event sets it), but with an onEvaluate
   * grid, the first grid boundary from the next boundary on, so that the hook sees the new group
   * at every grid boundary as when every group is evaluated at every boundary.
   */
  private newGroupWake(): number {
    const grid = this.sleepGrid;
    if (grid === Infinity) return Infinity;
    if (grid === 0 || Number.isNaN(this.nextT)) return -Infinity;
    return Math.ceil(Math.ceil(this.nextT / grid) * grid / this.resolution) * this.resolution;
  }

  /**
   * The group record (group_by field -> value) of a group key: the key is the JSON array of the
   * values in group_by order (src/match), so the record is not stored per group.
   */
  groupRecord(key: string): Record<string, string> {
    return groupFromKey(this.pattern, key);
  }

  private addGroup(key: string, createdAt: number, implicit: boolean, wake = -Infinity): GroupRuntime {
    const seq = this.seqs.get(key) ?? 0;
    if (seq > 0) this.seqs.delete(key);
    const det = this.detector.createState({ createdAt, nextT: this.nextT, implicit, streamStart: Number.isNaN(this.t0) ? createdAt : this.t0, key });
    const g = new GroupRuntime(key, det, seq > 0 ? newLifecycleState(seq) : null);
    this.groups.set(key, g);
    this.place(g, wake);
    if (key !== OVERFLOW_GROUP_KEY) this.realGroups++;
    return g;
  }

  /** Appends g to `order`, due at `wake`. */
  private place(g: GroupRuntime, wake = -Infinity): void {
    const n = this.order.length;
    if (n === this.wakes.length) {
      const w = new Float64Array(2 * n);
      w.set(this.wakes);
      this.wakes = w;
    }
    g.slot = n;
    this.order.push(g);
    this.wakes[n] = wake;
  }

  /** Drops the holes of evicted groups once they are half of `order` (never while iterating it). */
  private compact(): void {
    if (this.holes < 32 || 2 * this.holes < this.order.length) return;
    const order = this.order;
    const wakes = this.wakes;
    let j = 0;
    for (let i = 0; i < order.length; i++) {
      const g = order[i]!;
      if (g === null) continue;
      order[j] = g;
      wakes[j] = wakes[i]!;
      g.slot = j++;
    }
    order.length = j;
    this.holes = 0;
  }

  private evict(g: GroupRuntime): void {
    this.groups.delete(g.key);
    this.order[g.slot] = null;
    this.wakes[g.slot] = Infinity;
    this.holes++;
    if (g.key !== OVERFLOW_GROUP_KEY) this.realGroups--;
    if (g.alert !== null && g.alert.seq > 0) {
      this.seqs.delete(g.key);
      this.seqs.set(g.key, g.alert.seq);
      if (this.seqs.size > this.seqCap) this.seqs.delete(this.seqs.keys().next().value!);
    }
    this.evicted++;
  }

  /** Evaluates every boundary T <= watermark not evaluated yet. */
  evaluateUntil(watermark: number, out: TimedTransition[]): void {
    const res = this.resolution;
    if (this.nextT <= watermark && this.groups.size > 0 && watermark - this.nextT >= this.skipMin * res) {
      this.evaluateSkipping(watermark, out);
      return;
    }
    while (this.nextT <= watermark) {
      if (this.groups.size === 0) {
        // Nothing live: every window is empty until a new event, which will be >= watermark.
        this.nextT = nextBoundaryAfter(watermark, res);
        break;
      }
      const T = this.nextT;
      const order = this.order;
      // (Groups are only added by observe, never during this loop; holes have wake Infinity.)
      if (this.sleepGrid === 0) {
        for (let i = 0; i < order.length; i++) {
          const g = order[i]!;
          if (g !== null) this.evaluateGroup(g, T, out, watermark);
        }
      } else {
        const wakes = this.wakes;
        for (let i = 0; i < order.length; i++) {
          if (wakes[i]! > T) continue;
          const g = order[i]!;
          if (!this.evaluateGroup(g, T, out, watermark)) wakes[i] = this.wakeAt(g, T, watermark);
        }
      }
      this.nextT += res;
    }
    this.compact();
  }

  /**
   * The long-gap path: each group only at boundaries where it can change. Groups are stepped in
   * global time order (ties: the groups' order, as stepping does), not one group through the whole
   * gap after another: detectors with pattern-wide state (new_value's seen-set,
   * missing_follow_up's total pending) then see the same sequence of calls as when stepping.
   */
  private evaluateSkipping(watermark: number, out: TimedTransition[]): void {
    const res = this.resolution;
    const start = this.nextT;
    const gs = [...this.groups.values()];
    const heap = new BoundaryHeap();
    for (let i = 0; i < gs.length; i++) {
      // A sleeping group starts where stepping would evaluate it next.
      const w = this.wakes[gs[i]!.slot]!;
      if (w <= start) heap.push(start, i);
      else if (w <= watermark) heap.push(w, i);
    }
    while (heap.size > 0) {
      const T = heap.topT();
      const i = heap.pop();
      const g = gs[i]!;
      if (this.evaluateGroup(g, T, out, watermark)) continue;
      const next = this.wakeAt(g, T, watermark, false);
      if (next <= watermark) heap.push(next, i);
      // Past the batch: evaluated at the next boundary, then sleeping again (on the hook's grid too).
      else this.wakes[g.slot] = -Infinity;
    }
    this.nextT = nextBoundaryAfter(watermark, res);
    this.compact();
  }

  /**
   * After evaluating g at T (batch ending at `until`): the next boundary at which it must be
   * evaluated again without new events. `grid`: also wake at the hook's grid boundaries (the
   * long-gap path calls the hook only at evaluated boundaries, as documented, so it passes false).
   */
  private wakeAt(g: GroupRuntime, T: number, until: number, grid = true): number {
    const res = this.resolution;
    let due = this.detector.nextChange(g.det, T);
    if (g.alert !== null) due = Math.min(due, lifecycleNextDeadline(g.alert, this.cfg, T, until));
    if (grid && this.sleepGrid !== Infinity) due = Math.min(due, (Math.floor(T / this.sleepGrid) + 1) * this.sleepGrid);
    const step = T + res;
    return due <= step ? step : due === Infinity ? Infinity : Math.ceil(due / res) * res;
  }

  /** Evaluates one group at T (in a batch ending at `until`); returns true when the group was evicted. */
  private evaluateGroup(g: GroupRuntime, T: number, out: TimedTransition[], until: number): boolean {
    const p = this.pattern;
    const det = this.detector;
    const e = this.scratch;
    let alert = g.alert;
    det.evaluate(g.det, T, alert === null ? 'inactive' : alert.phase, e);
    if (this.hook !== undefined) this.hook(p, g.key, T, e);
    if (alert === null && e.active) alert = g.alert = newLifecycleState();
    const emit = alert === null ? null : stepLifecycle(alert, this.cfg, T, e.active, e.severity ?? p.severity, until);
    if (emit !== null) {
      g.hash ??= alertKey(p.id, g.key);
      out.push({
        T,
        patternId: p.id,
        groupKey: g.key,
        transition: buildTransition({
          pattern: p,
          unit: det.unit,
          key: g.hash,
          group: this.groupRecord(g.key),
          T,
          evaluation: e,
          emit,
          samples: g,
        }),
      });
    }
    if ((alert === null || isLifecycleIdle(alert)) && det.isIdle(g.det)) {
      this.evict(g);
      return true;
    }
    return false;
  }

  snapshot(): PatternSnapshot {
    const groups: GroupSnapshot[] = [];
    for (const g of this.groups.values()) {
      groups.push({ key: g.key, group: this.groupRecord(g.key), det: this.detector.snapshot(g.det), alert: snapshotLifecycle(g.alert ?? newLifecycleState()) });
    }
    const snap: PatternSnapshot = {
      id: this.pattern.id,
      nextT: Number.isFinite(this.nextT) ? this.nextT : null,
      t0: Number.isFinite(this.t0) ? this.t0 : null,
      seqs: [...this.seqs.entries()],
      groups,
    };
    if (this.detector.snapshotShared !== undefined) snap.shared = this.detector.snapshotShared();
    return snap;
  }

  restore(s: PatternSnapshot): void {
    this.groups.clear();
    this.order = [];
    this.holes = 0;
    this.seqs.clear();
    this.realGroups = 0;
    this.nextT = s.nextT ?? NaN;
    this.t0 = s.t0 ?? (Number.isFinite(this.nextT) ? this.nextT : NaN);
    if (s.shared !== undefined && this.detector.restoreShared !== undefined) this.detector.restoreShared(s.shared);
    for (const [k, seq] of s.seqs) this.seqs.set(k, seq);
    for (const gs of s.groups) {
      const a = gs.alert;
      const fresh = a.phase === 'inactive' && a.seq === 0 && !a.cond && (a.changes ?? []).length === 0;
      const g = new GroupRuntime(gs.key, this.detector.restore(gs.det), fresh ? null : restoreLifecycle(a));
      this.groups.set(gs.key, g);
      this.place(g);
      if (gs.key !== OVERFLOW_GROUP_KEY) this.realGroups++;
    }
  }
}

/** Binary min-heap of (boundary, group index), ordered by boundary then index. */
class BoundaryHeap {
  private readonly ts: number[] = [];
  private readonly is: number[] = [];

  get size(): number {
    return this.ts.length;
  }

  topT(): number {
    return this.ts[0]!;
  }

  private less(a: number, b: number): boolean {
    const ta = this.ts[a]!;
    const tb = this.ts[b]!;
    return ta < tb || (ta === tb && this.is[a]! < this.is[b]!);
  }

  private swap(a: number, b: number): void {
    const t = this.ts[a]!;
    this.ts[a] = this.ts[b]!;
    this.ts[b] = t;
    const i = this.is[a]!;
    this.is[a] = this.is[b]!;
    this.is[b] = i;
  }

  push(T: number, i: number): void {
    this.ts.push(T);
    this.is.push(i);
    let k = this.ts.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.less(k, parent)) break;
      this.swap(k, parent);
      k = parent;
    }
  }

  /** Removes the minimum; returns its group index. */
  pop(): number {
    const top = this.is[0]!;
    const lastT = this.ts.pop()!;
    const lastI = this.is.pop()!;
    const n = this.ts.length;
    if (n > 0) {
      this.ts[0] = lastT;
      this.is[0] = lastI;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < n && this.less(l, m)) m = l;
        if (r < n && this.less(r, m)) m = r;
        if (m === k) break;
        this.swap(k, m);
        k = m;
      }
    }
    return top;
  }
}
