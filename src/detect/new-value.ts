import type { LogEvent } from '../model/event.js';
import type { NewValueDetect } from '../model/pattern.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { bufferDueEnd, bufferItems, bufferNextDue, bufferPush, bufferRelease, bufferSize, newEventBuffer, restoreEventBuffer } from './event-buffer.js';
import type { Buffered, EventBuffer } from './event-buffer.js';
import { SeenSet } from './seen-set.js';

interface NvState {
  readonly key: string;
  buf: EventBuffer;
  /** Boundary of the step whose events included a new value, and how many. */
  newAt: number;
  newCount: number;
}

interface NvSnapshot {
  key: string;
  buf: { items: Buffered[]; seq: number };
  newAt: number | null;
  newCount: number;
}

/**
 * `new_value`: an event whose `field` value was not seen within `lookback` before it. The
 * pattern's group_by always ends with `field` (finalize adds it), so each value is its own
 * group and fires like `any`: the condition at T is "an event of this group in [T - step, T)
 * was new". Events are buffered until the watermark passes them and processed in event-time
 * order (ties by arrival), so "seen before" is decided in event time whatever the arrival order.
 * Across values (groups) the seen-set is touched boundary by boundary (the engine steps groups
 * in time order on its skipping path too), so a touch at t only forgets entries older than
 * t - step - lookback: a lookup from another group in the same step still finds them.
 * Nothing fires for events before streamStart + `learn` (values are learnt silently).
 * The seen-set is pattern-wide (it outlives evicted groups) and bounded by `max_values`
 * (src/detect/seen-set.ts documents the error past the cap). `value` = `count` = new events in
 * the step.
 */
export function newValueDetector(d: NewValueDetect, defaultStepMs = DEFAULT_STEP_MS): Detector<NvState> {
  const step = d.resolution ?? defaultStepMs;
  const seen = new SeenSet(d.lookback, d.max_values, step);
  let learnUntil = -Infinity;
  return {
    kind: 'new_value',
    unit: 'count',
    flushClosesBucket: true,
    resolution: step,
    createState(o: GroupOrigin): NvState {
      learnUntil = o.streamStart + d.learn;
      return { key: o.key, buf: newEventBuffer(), newAt: NaN, newCount: 0 };
    },
    observe(s: NvState, ev: LogEvent, roles: number): void {
      bufferPush(s.buf, ev.time, roles);
    },
    evaluate(s: NvState, T: number, _alert: AlertPhase, out: Evaluation): void {
      let fresh = 0;
      let n = 0;
      const b = s.buf;
      const items = b.items;
      const end = bufferDueEnd(b, T);
      for (let k = b.head; k < end; k++) {
        const x = items[k]!;
        const last = seen.lastSeen(s.key, x.t);
        if (last === undefined && x.t >= learnUntil) fresh++;
        seen.touch(s.key, x.t);
        n++;
      }
      bufferRelease(b, end);
      if (fresh > 0) {
        s.newAt = T;
        s.newCount = fresh;
      }
      const active = s.newAt === T;
      out.active = active;
      out.value = active ? s.newCount : 0;
      out.threshold = 1;
      out.op = '>=';
      out.count = n;
      out.severity = undefined;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - step;
      out.windowEnd = T;
    },
    isIdle: (s: NvState) => bufferSize(s.buf) === 0,
    nextChange: (s: NvState, T: number) => Math.min(bufferNextDue(s.buf, step), s.newAt === T ? T + step : Infinity),
    snapshot: (s: NvState): NvSnapshot => ({ key: s.key, buf: { items: bufferItems(s.buf), seq: s.buf.seq }, newAt: Number.isFinite(s.newAt) ? s.newAt : null, newCount: s.newCount }),
    restore(data: unknown): NvState {
      const j = data as NvSnapshot;
      return { key: j.key, buf: restoreEventBuffer(j.buf), newAt: j.newAt ?? NaN, newCount: j.newCount };
    },
    snapshotShared: () => ({ seen: seen.toJSON(), learnUntil: Number.isFinite(learnUntil) ? learnUntil : null }),
    restoreShared(data: unknown): void {
      const j = data as { seen: ReturnType<SeenSet['toJSON']>; learnUntil: number | null };
      seen.restore(j.seen);
      learnUntil = j.learnUntil ?? -Infinity;
    },
    stats: () => ({ tracked: seen.exactSize, spilled: seen.spilled, saturated: seen.saturated }),
  };
}
