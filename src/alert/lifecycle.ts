import type { Severity } from '../model/pattern.js';
import type { AlertState } from '../model/transition.js';

/**
 * Alert lifecycle of one (pattern, group), stepped once per evaluated boundary T (event time).
 *
 * States: inactive -> pending -> firing -> (resolved) -> inactive.
 * - inactive, condition true: a new incident starts (seq + 1). With `for` = 0 it fires at once
 *   (one `firing` record, previous `inactive`, no pending record); otherwise it emits `pending`.
 * - pending: condition false at any boundary -> `resolved` (previous `pending`), back to inactive.
 *   Condition still true at T with T - pendingSince >= `for` -> `firing` (previous `pending`).
 * - firing: the condition must be false continuously for `resolve_after` (T - falseSince >=
 *   resolve_after, falseSince = first false boundary; 0 resolves at the first false boundary)
 *   -> `resolved` (previous `firing`). While firing (condition true or not yet resolved), a
 *   `firing` record with `repeat` + 1 is emitted when T - lastNotified >= `repeat_interval`
 *   (0 = never), and when the detector's severity changes.
 * - Repeats across a gap: the engine evaluates due boundaries in batches (one advance/tick/flush
 *   call evaluates every boundary up to `until`, its watermark). Within one batch a group emits at
 *   most one repeat for `repeat_interval`: the latest, i.e. a due repeat is held back while
 *   T + repeat_interval <= until (a later one would be due in the same batch) and emitted at the
 *   first boundary after until - repeat_interval where it is still due. Live, a tick evaluates
 *   about one boundary, so nothing changes; a replay or restore crossing days of event time (or a
 *   far-future timestamp: 50 years at 4h would be ~110k records) sends one re-notification, not
 *   one per interval of the gap. Severity changes and flapping records are not held back.
 * - Flapping (disabled when flap_window or flap_max_changes is 0): the changes counted are firing
 *   starts and firing ends (would-be resolves); repeats and pending do not count. When a change
 *   at T makes more than `flap_max_changes` changes within (T - flap_window, T], the alert is
 *   flapping: a firing start is emitted with `flapping: true`; a would-be resolve is held back
 *   and a `firing` record (`flapping: true`, repeat + 1) is emitted instead. While flapping the
 *   alert stays firing and resolves only after the condition has been false continuously for
 *   max(resolve_after, flap_window); if instead it stays true for flap_window, flapping clears
 *   with a `firing` record (`flapping: false`, repeat + 1).
 *
 * The state is plain JSON (null = never), so it can be checkpointed and restored as-is.
 */
export interface LifecycleConfig {
  for: number;
  resolve_after: number;
  repeat_interval: number;
  flap_window: number;
  flap_max_changes: number;
}

export type AlertPhase = 'inactive' | 'pending' | 'firing';

export interface LifecycleState {
  phase: AlertPhase;
  /** Incidents opened so far for this key. */
  seq: number;
  /** Re-notifications in the current firing incident. */
  repeat: number;
  /** Condition at the last step and the boundary where it took that value. */
  cond: boolean;
  condSince: number | null;
  pendingSince: number | null;
  lastNotified: number | null;
  flapping: boolean;
  /** Times of counted changes within the flap window. */
  changes: number[];
  severity: Severity | null;
}

/** What to emit for one step (allocated only on transitions). */
export interface LifecycleEmit {
  state: AlertState;
  previous: AlertState | 'inactive';
  seq: number;
  repeat: number;
  flapping: boolean;
  severity: Severity;
}

/**
 * The `changes` of every state that has recorded none (frozen; replaced by a fresh array at the
 * first change): one shared empty array instead of one per group (memory per group, issue 8).
 */
const NO_CHANGES: number[] = Object.freeze([]) as unknown as number[];

export function newLifecycleState(seq = 0): LifecycleState {
  return {
    phase: 'inactive',
    seq,
    repeat: 0,
    cond: false,
    condSince: null,
    pendingSince: null,
    lastNotified: null,
    flapping: false,
    changes: NO_CHANGES,
    severity: null,
  };
}

function flapEnabled(c: LifecycleConfig): boolean {
  return c.flap_window > 0 && c.flap_max_changes > 0;
}

/** Records a counted change at T; returns true when it makes the alert flapping. */
function recordChange(s: LifecycleState, c: LifecycleConfig, T: number): boolean {
  if (!flapEnabled(c)) return false;
  if (s.changes === NO_CHANGES) s.changes = [];
  const ch = s.changes;
  ch.push(T);
  let drop = 0;
  while (drop < ch.length && ch[drop]! <= T - c.flap_window) drop++;
  if (drop > 0) ch.splice(0, drop);
  return ch.length > c.flap_max_changes;
}

function emit(s: LifecycleState, state: AlertState, previous: AlertState | 'inactive'): LifecycleEmit {
  return { state, previous, seq: s.seq, repeat: s.repeat, flapping: s.flapping, severity: s.severity! };
}

function startFiring(s: LifecycleState, c: LifecycleConfig, T: number, previous: 'inactive' | 'pending'): LifecycleEmit {
  if (recordChange(s, c, T)) s.flapping = true;
  s.phase = 'firing';
  s.repeat = 0;
  s.lastNotified = T;
  s.pendingSince = null;
  return emit(s, 'firing', previous);
}

function renotify(s: LifecycleState, T: number): LifecycleEmit {
  s.repeat += 1;
  s.lastNotified = T;
  return emit(s, 'firing', 'firing');
}

/**
 * One boundary. `severity` is the detector's level or the pattern severity. `until`: the last
 * boundary of the current evaluation batch (default T: no batching, every due repeat is emitted).
 */
export function stepLifecycle(
  s: LifecycleState,
  c: LifecycleConfig,
  T: number,
  active: boolean,
  severity: Severity,
  until = T,
): LifecycleEmit | null {
  if (active !== s.cond || s.condSince === null) {
    s.cond = active;
    s.condSince = T;
  }
  const since = T - s.condSince;
  switch (s.phase) {
    case 'inactive': {
      if (!active) return null;
      s.seq += 1;
      s.repeat = 0;
      s.severity = severity;
      if (c.for <= 0) return startFiring(s, c, T, 'inactive');
      s.phase = 'pending';
      s.pendingSince = T;
      return emit(s, 'pending', 'inactive');
    }
    case 'pending': {
      if (!active) {
        s.phase = 'inactive';
        s.pendingSince = null;
        return emit(s, 'resolved', 'pending');
      }
      s.severity = severity;
      if (T - s.pendingSince! >= c.for) return startFiring(s, c, T, 'pending');
      return null;
    }
    case 'firing': {
      if (active) {
        if (s.flapping && since >= c.flap_window) {
          s.flapping = false;
          return renotify(s, T);
        }
        if (severity !== s.severity) {
          s.severity = severity;
          return renotify(s, T);
        }
      } else {
        const need = s.flapping ? Math.max(c.resolve_after, c.flap_window) : c.resolve_after;
        if (since >= need) {
          if (!s.flapping && recordChange(s, c, T)) {
            s.flapping = true;
            return renotify(s, T);
          }
          if (s.flapping) recordChange(s, c, T);
          s.phase = 'inactive';
          s.flapping = false;
          s.lastNotified = null;
          return emit(s, 'resolved', 'firing');
        }
      }
      if (c.repeat_interval > 0 && T - s.lastNotified! >= c.repeat_interval && T + c.repeat_interval > until) return renotify(s, T);
      return null;
    }
  }
}

/**
 * Skip support: after a step at T, the earliest time at which stepping again with the same
 * condition and severity could emit or change state (Infinity = never). A boundary before it
 * is a no-op, so the engine may skip it when the detector's output is constant too. `until` as
 * for stepLifecycle (a held-back repeat is due after until - repeat_interval; durations are
 * whole milliseconds).
 */
export function lifecycleNextDeadline(s: LifecycleState, c: LifecycleConfig, T: number, until = T): number {
  switch (s.phase) {
    case 'inactive':
      return s.cond ? T : Infinity;
    case 'pending':
      return s.cond ? s.pendingSince! + c.for : T;
    case 'firing': {
      let t = c.repeat_interval > 0 ? Math.max(s.lastNotified! + c.repeat_interval, until - c.repeat_interval + 1) : Infinity;
      const since = s.condSince ?? T;
      if (s.cond) {
        if (s.flapping) t = Math.min(t, since + c.flap_window);
      } else {
        const need = s.flapping ? Math.max(c.resolve_after, c.flap_window) : c.resolve_after;
        t = Math.min(t, since + need);
      }
      return t;
    }
  }
}

/** True when the lifecycle holds nothing but its seq (the group may be evicted). */
export function isLifecycleIdle(s: LifecycleState): boolean {
  return s.phase === 'inactive';
}

export function snapshotLifecycle(s: LifecycleState): LifecycleState {
  return { ...s, changes: [...s.changes] };
}

export function restoreLifecycle(data: LifecycleState): LifecycleState {
  const changes = data.changes ?? [];
  return { ...newLifecycleState(), ...data, changes: changes.length === 0 ? NO_CHANGES : [...changes] };
}
