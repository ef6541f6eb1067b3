import type { LogEvent } from '../model/event.js';
import { compileFieldPath } from '../model/field-path.js';
import type { GaugeDetect } from '../model/pattern.js';
import { toNumber } from '../match/predicate.js';
import { windowGeometry } from '../window/window-state.js';
import { SparseBuckets, sparseNextChange } from '../window/sparse-buckets.js';
import type { AlertPhase, Detector, Evaluation, GroupOrigin } from './detector.js';
import { judgeLimit } from './levels.js';

/** Per-bucket aggregate; `last` is the value with the latest event time (ties: latest arrival). */
interface GaugeBucket {
  n: number;
  sum: number;
  min: number;
  max: number;
  lastT: number;
  lastSeq: number;
  last: number;
}

interface GaugeState {
  readonly b: SparseBuckets<GaugeBucket>;
  seq: number;
}

const newBucket = (): GaugeBucket => ({ n: 0, sum: 0, min: Infinity, max: -Infinity, lastT: -Infinity, lastSeq: -1, last: NaN });

function mergeBucket(a: GaugeBucket, x: GaugeBucket): void {
  a.n += x.n;
  a.sum += x.sum;
  if (x.min < a.min) a.min = x.min;
  if (x.max > a.max) a.max = x.max;
  if (x.lastT > a.lastT || (x.lastT === a.lastT && x.lastSeq > a.lastSeq)) {
    a.lastT = x.lastT;
    a.lastSeq = x.lastSeq;
    a.last = x.last;
  }
}

/**
 * `gauge`: an aggregate (`last`, `max`, `min`, `avg`) of numeric `field` over matched events in
 * [T - window, T) `op` value (or levels) — for logs that carry a gauge (disk usage, queue depth).
 * Windows without a numeric value are never active. `last` = the value of the latest event time
 * (ties: the latest arrival). `count` = values in the window.
 */
export function gaugeDetector(d: GaugeDetect, graceMs: number): Detector<GaugeState> {
  const geo = windowGeometry(d.resolution, d.window, graceMs);
  const res = geo.resolution;
  const n = geo.buckets;
  const windowMs = n * res;
  const get = compileFieldPath(d.field);
  const acc = newBucket();
  return {
    kind: 'gauge',
    unit: 'number',
    flushClosesBucket: true,
    resolution: res,
    createState: (o: GroupOrigin): GaugeState => ({ b: new SparseBuckets(res, Math.floor(o.nextT / res) - n, newBucket), seq: 0 }),
    observe(s: GaugeState, ev: LogEvent): void {
      const v = toNumber(get(ev.needed ?? ev.fields));
      if (!Number.isFinite(v)) return;
      const x = s.b.at(ev.time);
      if (x === undefined) return;
      x.n++;
      x.sum += v;
      if (v < x.min) x.min = v;
      if (v > x.max) x.max = v;
      const seq = s.seq++;
      if (ev.time >= x.lastT) {
        x.lastT = ev.time;
        x.lastSeq = seq;
        x.last = v;
      }
    },
    evaluate(s: GaugeState, T: number, _alert: AlertPhase, out: Evaluation): void {
      const e = Math.floor(T / res);
      s.b.setBase(e - n);
      Object.assign(acc, newBucket());
      s.b.forEachIn(e - n, e, (x) => mergeBucket(acc, x));
      let v = 0;
      if (acc.n > 0) v = d.aggregate === 'last' ? acc.last : d.aggregate === 'max' ? acc.max : d.aggregate === 'min' ? acc.min : acc.sum / acc.n;
      judgeLimit(v, d, acc.n > 0, out);
      out.value = v;
      out.count = acc.n;
      out.baseline = undefined;
      out.score = undefined;
      out.windowStart = T - windowMs;
      out.windowEnd = T;
    },
    isIdle: (s: GaugeState) => s.b.isEmpty(),
    nextChange: (s: GaugeState, T: number) => sparseNextChange(s.b, T, n),
    snapshot: (s: GaugeState) => ({ base: s.b.base, seq: s.seq, buckets: s.b.entries() }),
    restore(data: unknown): GaugeState {
      const snap = data as { base: number; seq: number; buckets: [number, GaugeBucket][] };
      const b = new SparseBuckets(res, snap.base, newBucket);
      for (const [k, x] of snap.buckets) b.put(k, { ...newBucket(), ...x, last: x.last ?? NaN, min: x.min ?? Infinity, max: x.max ?? -Infinity }, mergeBucket);
      return { b, seq: snap.seq };
    },
  };
}
