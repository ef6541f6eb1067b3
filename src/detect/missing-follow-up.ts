import type { LogEvent } from '../model/event.js';
import { ROLE_FOLLOW_UP, ROLE_MATCH } from '../model/match.js';
import type { MissingFollowUpDetect } from '../model/pattern.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { bufferDueEnd, bufferItems, bufferNextDue, bufferPush, bufferRelease, bufferSize, restoreEventBuffer } from './event-buffer.js';
import type { Buffered, EventBuffer } from './event-buffer.js';

/**
 * One object per group: the state is its own event buffer (one paying org's group is created,
 * evaluated twice and evicted within a minute, each time cold in the CPU caches: every object
 * less is a cache miss less; measured in BENCHMARKS.md, issue 4 round 5).
 */
interface MfState extends EventBuffer {
  /** Times of A events still waiting for a follow-up, ascending. */
  pending: number[];
  /** A events whose deadline passed without a follow-up (cleared by the next follow-up). */
  missed: number;
  firstMissed: number;
}

interface MfSnapshot {
  buf: { items: Buffered[]; seq: number };
  pending: number[];
  missed: number;
  firstMissed: number | null;
}

/** An MfState (one object literal, so every state has one shape). */
function state(items: Buffered[], head: number, seq: number, minT: number, pending: number[], missed: number, firstMissed: number): MfState {
  return { items, head, seq, minT, pending, missed, firstMissed };
}

/**
 * `missing_follow_up`: per group, an event A (`match`, ROLE_MATCH) must be followed by an event
 * B (`follow_up`, ROLE_FOLLOW_UP; routed to the pattern by the matcher even though `match` does
 * not select it) with time in [A, A + within). Events are buffered until the watermark passes
 * them and processed in event-time order (ties by arrival; an event that is both B and A counts
 * as B first). At boundary T, every pending A with A + within <= T is missed. The condition is
 * "missed > 0"; a later B (even late) clears all missed and pending A's of the group, so the
 * alert resolves (after resolve_after) once the follow-up finally shows up. Deadlines pass on
 * the event clock, so a quiet stream fires through the same watermark + idle rules as absence.
 * Bounds: `max_pending` A's per group and `max_total_pending` over the pattern; beyond, new A's
 * are dropped and counted (`stats().overflow`). `value` = `count` = missed A's.
 */
export function missingFollowUpDetector(d: MissingFollowUpDetect, defaultStepMs = DEFAULT_STEP_MS): Detector<MfState> {
  const step = d.resolution ?? defaultStepMs;
  let totalPending = 0;
  let overflow = 0;
  const expire = (s: MfState, now: number): void => {
    let i = 0;
    while (i < s.pending.length && s.pending[i]! + d.within <= now) i++;
    if (i === 0) return;
    if (s.missed === 0) s.firstMissed = s.pending[0]!;
    s.missed += i;
    s.pending.splice(0, i);
    totalPending -= i;
  };
  return {
    kind: 'missing_follow_up',
    unit: 'count',
    flushClosesBucket: false,
    resolution: step,
    createState: (_o: GroupOrigin): MfState => state([], 0, 0, Infinity, [], 0, NaN),
    observe(s: MfState, ev: LogEvent, roles: number): void {
      bufferPush(s, ev.time, roles);
    },
    evaluate(s: MfState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const items = s.items;
      const end = bufferDueEnd(s, T);
      for (let k = s.head; k < end; k++) {
        const x = items[k]!;
        expire(s, x.t);
        if ((x.f & ROLE_FOLLOW_UP) !== 0) {
          totalPending -= s.pending.length;
          s.pending.length = 0;
          s.missed = 0;
          s.firstMissed = NaN;
        }
        if ((x.f & ROLE_MATCH) !== 0) {
          if (s.pending.length >= d.max_pending || totalPending >= d.max_total_pending) overflow++;
          else {
            s.pending.push(x.t);
            totalPending++;
          }
        }
      }
      bufferRelease(s, end);
      expire(s, T);
      out.active = s.missed > 0;
      out.value = s.missed;
      out.threshold = 0;
      out.op = '>';
      out.count = s.missed;
      out.severity = undefined;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = s.missed > 0 ? s.firstMissed : T;
      out.windowEnd = T;
    },
    isIdle: (s: MfState) => s.missed === 0 && s.pending.length === 0 && bufferSize(s) === 0,
    nextChange(s: MfState): number {
      const due = bufferNextDue(s, step);
      return s.pending.length > 0 ? Math.min(due, s.pending[0]! + d.within) : due;
    },
    snapshot: (s: MfState): MfSnapshot => ({
      buf: { items: bufferItems(s), seq: s.seq },
      pending: [...s.pending],
      missed: s.missed,
      firstMissed: Number.isFinite(s.firstMissed) ? s.firstMissed : null,
    }),
    restore(data: unknown): MfState {
      const j = data as MfSnapshot;
      totalPending += j.pending.length;
      const b = restoreEventBuffer(j.buf);
      return state(b.items, b.head, b.seq, b.minT, [...j.pending], j.missed, j.firstMissed ?? NaN);
    },
    snapshotShared: () => ({ overflow }),
    restoreShared(data: unknown): void {
      overflow = (data as { overflow?: number }).overflow ?? 0;
      totalPending = 0;
    },
    stats: () => ({ pending: totalPending, overflow }),
  };
}
