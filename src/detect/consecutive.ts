import type { LogEvent } from '../model/event.js';
import { ROLE_SUB } from '../model/match.js';
import type { ConsecutiveDetect } from '../model/pattern.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { bufferDueEnd, bufferItems, bufferNextDue, bufferPush, bufferRelease, bufferSize, newEventBuffer, restoreEventBuffer } from './event-buffer.js';
import type { Buffered, EventBuffer } from './event-buffer.js';

interface ConsState {
  buf: EventBuffer;
  /** Failures since the last success (event-time order). */
  run: number;
  /** Time of the first failure of the current run. */
  runStart: number;
}

interface ConsSnapshot {
  buf: { items: Buffered[]; seq: number };
  run: number;
  runStart: number | null;
}

/**
 * `consecutive`: `count` matched events in a row (event-time order, ties by arrival) that
 * satisfy the `failure` selector (ROLE_SUB), per group. A matched event that does not satisfy it
 * is a success and resets the run. Events are buffered until the watermark passes them, then
 * processed at boundary T (every `resolution`, default 1s) in order. The condition at T is
 * run >= count; it turns false at the boundary after a success, and the alert resolves after
 * `resolve_after` (default 0). `value` = `count` = the current run; the window is
 * [first failure of the run, T).
 */
export function consecutiveDetector(d: ConsecutiveDetect, defaultStepMs = DEFAULT_STEP_MS): Detector<ConsState> {
  const step = d.resolution ?? defaultStepMs;
  return {
    kind: 'consecutive',
    unit: 'count',
    flushClosesBucket: true,
    resolution: step,
    createState: (_o: GroupOrigin): ConsState => ({ buf: newEventBuffer(), run: 0, runStart: NaN }),
    observe(s: ConsState, ev: LogEvent, roles: number): void {
      bufferPush(s.buf, ev.time, roles);
    },
    evaluate(s: ConsState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const b = s.buf;
      const items = b.items;
      const end = bufferDueEnd(b, T);
      for (let k = b.head; k < end; k++) {
        const x = items[k]!;
        if ((x.f & ROLE_SUB) !== 0) {
          if (s.run === 0) s.runStart = x.t;
          s.run++;
        } else {
          s.run = 0;
          s.runStart = NaN;
        }
      }
      bufferRelease(b, end);
      out.active = s.run >= d.count;
      out.value = s.run;
      out.threshold = d.count;
      out.op = '>=';
      out.count = s.run;
      out.severity = undefined;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = s.run > 0 ? s.runStart : T;
      out.windowEnd = T;
    },
    isIdle: (s: ConsState) => s.run === 0 && bufferSize(s.buf) === 0,
    nextChange: (s: ConsState) => bufferNextDue(s.buf, step),
    snapshot: (s: ConsState): ConsSnapshot => ({ buf: { items: bufferItems(s.buf), seq: s.buf.seq }, run: s.run, runStart: Number.isFinite(s.runStart) ? s.runStart : null }),
    restore(data: unknown): ConsState {
      const j = data as ConsSnapshot;
      return { buf: restoreEventBuffer(j.buf), run: j.run, runStart: j.runStart ?? NaN };
    },
  };
}
