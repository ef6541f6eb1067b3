import type { LogEvent } from '../model/event.js';
import type { CompareOp, Severity } from '../model/pattern.js';

/** What a detector may know of its group's alert (spike baselines freeze while not inactive). */
export type AlertPhase = 'inactive' | 'pending' | 'firing';

/** How `value`/`threshold` are rendered in summaries: counts, ratios (as %), durations (seconds). */
export type ValueUnit = 'count' | 'ratio' | 'seconds' | 'number';

/**
 * The result of evaluating one group at one boundary T. The engine passes one reusable object
 * per pattern (no allocation per evaluation): a detector must set every field.
 */
export interface Evaluation {
  /** The condition at T. */
  active: boolean;
  /** Observed value (count, ratio in [0,1], seconds since last seen, ...). */
  value: number;
  /** The limit compared with (or the current level's limit). */
  threshold: number;
  op: CompareOp | undefined;
  /** Matched events in the window (`{{count}}`). */
  count: number;
  /** Severity of the matched level (multi-level detectors); undefined = pattern severity. */
  severity: Severity | undefined;
  baseline: number | undefined;
  score: number | undefined;
  /** Window bounds, epoch ms: [windowStart, windowEnd). */
  windowStart: number;
  windowEnd: number;
}

export function emptyEvaluation(): Evaluation {
  return {
    active: false,
    value: 0,
    threshold: 0,
    op: undefined,
    count: 0,
    severity: undefined,
    baseline: undefined,
    score: undefined,
    windowStart: 0,
    windowEnd: 0,
  };
}

/** How a group came to exist. */
export interface GroupOrigin {
  /** Event time of creation: the group's first event, or the stream's first event for implicit groups. */
  createdAt: number;
  /** The next boundary the engine will evaluate for this pattern. */
  nextT: number;
  /** True for the single group of a pattern without group_by, created at the stream's first event. */
  implicit: boolean;
  /** Time of the stream's first event (t0), the same for every group of the pattern. */
  streamStart: number;
  /** The group key (detectors with pattern-wide state per key, e.g. new_value). */
  key: string;
}

/**
 * A detector: pure functions over a per-group state `S` it owns.
 * The engine calls `observe` for every accepted matched event (event time >= the pattern
 * watermark, so never before an evaluated boundary) and `evaluate` once per boundary T
 * (multiples of `resolution`, increasing) for every live group.
 */
export interface Detector<S = unknown> {
  /** `detect.type`. */
  readonly kind: string;
  readonly unit: ValueUnit;
  /** Evaluation step, ms. */
  readonly resolution: number;
  /**
   * At end of input, evaluate the boundary that closes the bucket of the last event (true for
   * window counts: all their data is known). False when evaluating past the last event would
   * invent elapsed time (absence).
   */
  readonly flushClosesBucket: boolean;
  createState(origin: GroupOrigin): S;
  /** Hot path: no allocation. `roles` is the MatchResult's ROLE_* bit set. */
  observe(state: S, ev: LogEvent, roles: number): void;
  /** Evaluates at boundary T (window [.., T)); `alert` is the group's alert phase before this step. */
  evaluate(state: S, T: number, alert: AlertPhase, out: Evaluation): void;
  /**
   * True when the state holds nothing that could make a future evaluation active without new
   * events (then an inactive group can be evicted). Called right after `evaluate`.
   */
  isIdle(state: S): boolean;
  /**
   * Skip support (long event-time gaps). Called right after `evaluate(state, T)`: the earliest
   * time t > T such that, without new events, evaluating at any boundary in (T, t) would give
   * the same `active` and `severity` as at T and would not change what `isIdle` or a later
   * evaluation returns. Returning `T + resolution` (or anything <= it) means "step normally";
   * Infinity means "never changes". Values (e.g. absence's elapsed time) may differ: they are
   * only read at boundaries that are evaluated.
   */
  nextChange(state: S, T: number): number;
  /** Plain JSON. */
  snapshot(state: S): unknown;
  restore(data: unknown): S;
  /** Pattern-wide state shared by all groups (e.g. new_value's seen-set), plain JSON. */
  snapshotShared?(): unknown;
  restoreShared?(data: unknown): void;
  /** Pattern-wide counters (overflow, saturation), exposed in engine stats. */
  stats?(): Record<string, number>;
}

export function compare(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
  }
}

/** Default evaluation step for detectors without a window (`any`, `absence`). */
export const DEFAULT_STEP_MS = 1000;
