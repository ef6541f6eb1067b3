import type { LogEvent } from '../model/event.js';
import type { ThresholdDetect } from '../model/pattern.js';
import { compare } from './detector.js';
import { judgeLimit } from './levels.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { createWindowState, restoreWindowState, snapshotWindowState, windowGeometry, windowNextChange } from '../window/window-state.js';
import type { WindowState, WindowStateSnapshot } from '../window/window-state.js';

/**
 * `threshold`: count of matched events in [T - window, T) `op` value.
 * For `<`/`<=` (an empty window can satisfy them) a group is only judged once a whole window has
 * passed since it was created (`T - window >= createdAt`), so a stream's first minutes never
 * look like a drop; such groups are never idle (a quiet group is exactly what they detect).
 */
export function thresholdDetector(d: ThresholdDetect, graceMs: number): Detector<WindowState> {
  const geo = windowGeometry(d.resolution, d.window, graceMs);
  const res = geo.resolution;
  const n = geo.buckets;
  const windowMs = n * res;
  const emptyCanFire = compare(0, d.op, d.value);
  return {
    kind: 'threshold',
    unit: 'count',
    flushClosesBucket: true,
    resolution: res,
    createState: (o: GroupOrigin) => createWindowState(geo, o.createdAt, o.nextT, {}),
    observe(s: WindowState, ev: LogEvent): void {
      s.ring.add(ev.time, false);
    },
    evaluate(s: WindowState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / res);
      s.ring.setBase(e - n);
      const count = s.ring.sumTotal(e - n, e);
      const warm = !emptyCanFire || T - windowMs >= s.createdAt;
      judgeLimit(count, d, warm, out);
      out.value = count;
      out.count = count;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - windowMs;
      out.windowEnd = T;
    },
    isIdle: (s: WindowState) => !emptyCanFire && s.ring.isEmpty(),
    nextChange(s: WindowState, T: number): number {
      const c = windowNextChange(s.ring, T, n);
      const warmAt = s.createdAt + windowMs;
      return emptyCanFire && T < warmAt ? Math.min(c, warmAt) : c;
    },
    snapshot: (s: WindowState) => snapshotWindowState(s),
    restore: (data: unknown) => restoreWindowState(geo, data as WindowStateSnapshot, {}),
  };
}
