import type { LogEvent } from '../model/event.js';
import { compileFieldPath } from '../model/field-path.js';
import type { QuantileDetect } from '../model/pattern.js';
import { toNumber } from '../match/predicate.js';
import { windowGeometry } from '../window/window-state.js';
import { SparseBuckets, sparseNextChange } from '../window/sparse-buckets.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { judgeLimit } from './levels.js';
import { LogHistogram } from './log-histogram.js';

interface QState {
  readonly b: SparseBuckets<LogHistogram>;
}

interface QSnapshot {
  base: number;
  buckets: [number, ReturnType<LogHistogram['toJSON']>][];
}

/**
 * `quantile`: the q-quantile (nearest rank) of numeric `field` over matched events in
 * [T - window, T) `op` value (or levels), judged only when the window holds at least
 * max(1, min_count) values. Events whose field is missing or not numeric (numbers and numeric
 * strings count) are ignored. One LogHistogram per bucket, merged over the window: the value is
 * within ±1% (relative) of the exact quantile. `count` = values in the window.
 */
export function quantileDetector(d: QuantileDetect, graceMs: number): Detector<QState> {
  const geo = windowGeometry(d.resolution, d.window, graceMs);
  const res = geo.resolution;
  const n = geo.buckets;
  const windowMs = n * res;
  const get = compileFieldPath(d.field);
  const minCount = Math.max(1, d.min_count);
  const make = (): LogHistogram => new LogHistogram();
  return {
    kind: 'quantile',
    unit: 'number',
    flushClosesBucket: true,
    resolution: res,
    createState: (o: GroupOrigin): QState => ({ b: new SparseBuckets(res, Math.floor(o.nextT / res) - n, make) }),
    observe(s: QState, ev: LogEvent): void {
      const v = toNumber(get(ev.needed ?? ev.fields));
      if (Number.isFinite(v)) s.b.at(ev.time)?.add(v);
    },
    evaluate(s: QState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / res);
      s.b.setBase(e - n);
      const acc = new LogHistogram();
      s.b.forEachIn(e - n, e, (x) => acc.merge(x));
      const v = acc.total > 0 ? acc.quantile(d.q) : 0;
      judgeLimit(v, d, acc.total >= minCount, out);
      out.value = v;
      out.count = acc.total;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - windowMs;
      out.windowEnd = T;
    },
    isIdle: (s: QState) => s.b.isEmpty(),
    nextChange: (s: QState, T: number) => sparseNextChange(s.b, T, n),
    snapshot: (s: QState): QSnapshot => ({ base: s.b.base, buckets: s.b.entries().map(([k, x]) => [k, x.toJSON()]) }),
    restore(data: unknown): QState {
      const snap = data as QSnapshot;
      const b = new SparseBuckets(res, snap.base, make);
      for (const [k, j] of snap.buckets) b.put(k, LogHistogram.fromJSON(j), (a, x) => a.merge(x));
      return { b };
    },
  };
}
