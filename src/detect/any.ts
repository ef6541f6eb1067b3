import type { LogEvent } from '../model/event.js';
import type { AnyDetect } from '../model/pattern.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { createWindowState, restoreWindowState, snapshotWindowState, windowGeometry, windowNextChange } from '../window/window-state.js';
import type { WindowState, WindowStateSnapshot } from '../window/window-state.js';

/**
 * `any`: the condition at T is true iff at least one matched event has time in [T - step, T),
 * step = `detect.resolution` (default 1s). `value` = `count` = events in that step. Noise is
 * controlled by the lifecycle: `resolve_after` keeps one incident open across bursts and
 * `repeat_interval` throttles re-notifications per group.
 */
export function anyDetector(d: AnyDetect, graceMs: number, defaultStepMs = DEFAULT_STEP_MS): Detector<WindowState> {
  const step = d.resolution ?? defaultStepMs;
  const geo = windowGeometry(step, step, graceMs);
  return {
    kind: 'any',
    unit: 'count',
    flushClosesBucket: true,
    resolution: step,
    createState: (o: GroupOrigin) => createWindowState(geo, o.createdAt, o.nextT, {}),
    observe(s: WindowState, ev: LogEvent): void {
      s.ring.add(ev.time, false);
    },
    evaluate(s: WindowState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / step);
      s.ring.setBase(e - 1);
      const count = s.ring.sumTotal(e - 1, e);
      out.active = count >= 1;
      out.value = count;
      out.threshold = 1;
      out.op = '>=';
      out.count = count;
      out.severity = undefined;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - step;
      out.windowEnd = T;
    },
    isIdle: (s: WindowState) => s.ring.isEmpty(),
    nextChange: (s: WindowState, T: number) => windowNextChange(s.ring, T, 1),
    snapshot: (s: WindowState) => snapshotWindowState(s),
    restore: (data: unknown) => restoreWindowState(geo, data as WindowStateSnapshot, {}),
  };
}
