import type { LogEvent } from '../model/event.js';
import { ROLE_SUB } from '../model/match.js';
import type { RatioDetect } from '../model/pattern.js';
import { judgeLimit } from './levels.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { createWindowState, restoreWindowState, snapshotWindowState, windowGeometry, windowNextChange } from '../window/window-state.js';
import type { WindowState, WindowStateSnapshot } from '../window/window-state.js';

/**
 * `ratio`: sub / total over [T - window, T), where total = matched events and sub = those with
 * ROLE_SUB (the numerator selector). The condition is `ratio op value`, evaluated only when
 * total >= max(1, min_total); otherwise it is false. `value` is the ratio (0 when total = 0),
 * a fraction in [0, 1]; `count` is the total.
 */
export function ratioDetector(d: RatioDetect, graceMs: number): Detector<WindowState> {
  const geo = windowGeometry(d.resolution, d.window, graceMs);
  const res = geo.resolution;
  const n = geo.buckets;
  const windowMs = n * res;
  const minTotal = Math.max(1, d.min_total);
  const opts = { sub: true };
  return {
    kind: 'ratio',
    unit: 'ratio',
    flushClosesBucket: true,
    resolution: res,
    createState: (o: GroupOrigin) => createWindowState(geo, o.createdAt, o.nextT, opts),
    observe(s: WindowState, ev: LogEvent, roles: number): void {
      s.ring.add(ev.time, (roles & ROLE_SUB) !== 0);
    },
    evaluate(s: WindowState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / res);
      s.ring.setBase(e - n);
      const total = s.ring.sumTotal(e - n, e);
      const sub = s.ring.sumSub(e - n, e);
      const ratio = total > 0 ? sub / total : 0;
      judgeLimit(ratio, d, total >= minTotal, out);
      out.value = ratio;
      out.count = total;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - windowMs;
      out.windowEnd = T;
    },
    isIdle: (s: WindowState) => s.ring.isEmpty(),
    nextChange: (s: WindowState, T: number) => windowNextChange(s.ring, T, n),
    snapshot: (s: WindowState) => snapshotWindowState(s),
    restore: (data: unknown) => restoreWindowState(geo, data as WindowStateSnapshot, opts),
  };
}
