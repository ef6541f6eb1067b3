import type { LogEvent } from '../model/event.js';
import type { AbsenceDetect } from '../model/pattern.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { createWindowState, restoreWindowState, snapshotWindowState, windowGeometry } from '../window/window-state.js';
import type { WindowState, WindowStateSnapshot } from '../window/window-state.js';

interface AbsenceState {
  /** Buckets of one step with the latest event time each; retired buckets fold into `ring.retiredMaxTime`. */
  readonly w: WindowState;
  /** Stream start for the implicit group of an ungrouped pattern, else -Infinity. */
  readonly seed: number;
}

interface AbsenceSnapshot {
  w: WindowStateSnapshot;
  seed: number | null;
}

/**
 * `absence`: lastSeen(T) = latest matched event time < T (for a pattern without group_by, at
 * least the time of the first event of the stream, so a heartbeat that never appears alerts
 * `after` later). The condition at T is `T - lastSeen >= after`; groups never seen do not exist.
 * `value` and `threshold` are in seconds; the window reported is [lastSeen, T).
 * An absence group is never idle: a quiet group is what it detects.
 */
export function absenceDetector(
  d: AbsenceDetect,
  graceMs: number,
  defaultStepMs = DEFAULT_STEP_MS,
): Detector<AbsenceState> {
  const step = d.resolution ?? defaultStepMs;
  const geo = windowGeometry(step, step, graceMs);
  const opts = { maxTime: true };
  return {
    kind: 'absence',
    unit: 'seconds',
    flushClosesBucket: false,
    resolution: step,
    createState: (o: GroupOrigin): AbsenceState => ({
      w: createWindowState(geo, o.createdAt, o.nextT, opts),
      seed: o.implicit ? o.createdAt : -Infinity,
    }),
    observe(s: AbsenceState, ev: LogEvent): void {
      s.w.ring.add(ev.time, false);
    },
    evaluate(s: AbsenceState, T: number, _alert: AlertPhase, out: Evaluation): void {
      s.w.ring.setBase(Math.floor(T / step));
      const r = s.w.ring.retiredMaxTime;
      const last = r > s.seed ? r : s.seed;
      const seen = last !== -Infinity;
      const gap = seen ? T - last : 0;
      out.active = seen && gap >= d.after;
      out.value = gap / 1000;
      out.threshold = d.after / 1000;
      out.op = '>=';
      out.count = 0;
      out.severity = undefined;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = seen ? last : T;
      out.windowEnd = T;
    },
    isIdle: () => false,
    nextChange(s: AbsenceState, T: number): number {
      // Data ahead changes lastSeen when its bucket retires; otherwise the condition flips once.
      const ahead = s.w.ring.nextDataIndex(Math.floor(T / step));
      let t = ahead === Infinity ? Infinity : (ahead + 1) * step;
      const r = s.w.ring.retiredMaxTime;
      const last = r > s.seed ? r : s.seed;
      if (last !== -Infinity && T - last < d.after) t = Math.min(t, last + d.after);
      return t;
    },
    snapshot: (s: AbsenceState): AbsenceSnapshot => ({
      w: snapshotWindowState(s.w),
      seed: Number.isFinite(s.seed) ? s.seed : null,
    }),
    restore(data: unknown): AbsenceState {
      const snap = data as AbsenceSnapshot;
      return { w: restoreWindowState(geo, snap.w, opts), seed: snap.seed ?? -Infinity };
    },
  };
}
