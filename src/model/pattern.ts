/**
 * The validated pattern, as produced by src/config (zod) from `patterns/*.yaml`.
 * Durations are milliseconds here; YAML accepts `30s`, `5m`, `1h`, `1d` or a number of ms.
 * This file is the contract between config, match, window, detect and alert.
 */
export type Severity = 'critical' | 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

export type CompareOp = '>=' | '>' | '<=' | '<';

/** One field predicate. In YAML a bare scalar means `{equals: scalar}`. */
export interface FieldPredicate {
  equals?: string | number | boolean | null;
  not_equals?: string | number | boolean | null;
  in?: ReadonlyArray<string | number | boolean>;
  not_in?: ReadonlyArray<string | number | boolean>;
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  prefix?: string;
  /** Must be linear-time safe; rejected at load otherwise. */
  regex?: string;
}

/** A selector: event name(s) plus field predicates (all must hold). */
export interface Selector {
  /** One name or a set of names; omitted means "any event name". */
  event?: string | readonly string[];
  where?: Readonly<Record<string, FieldPredicate>>;
}

/** Severity levels for detectors that compare a value with a limit (issue 4). */
export interface Level {
  severity: Severity;
  value: number;
}

interface WindowSpec {
  /** Sliding window length, ms. */
  window: number;
  /** Bucket size, ms (window must be a multiple). Default: window / 30 rounded to a divisor, min 1s. */
  resolution: number;
}

/**
 * A limit: `value`, or `levels` (then `value` is the first level's value). Levels are ordered
 * from the mildest to the strictest limit in the direction of `op` (ascending for >=/>,
 * descending for <=/<); the strictest level satisfied gives the severity and the threshold.
 */
interface Limit {
  op: CompareOp;
  value: number;
  levels?: readonly Level[];
}

export interface ThresholdDetect extends WindowSpec, Limit {
  type: 'threshold';
}

export interface RatioDetect extends WindowSpec, Limit {
  type: 'ratio';
  /** Events (already matched by `match`) that form the numerator. */
  numerator: Selector;
  /** The ratio is only evaluated when the total is at least this. */
  min_total: number;
}

export interface AnyDetect {
  type: 'any';
  /** Evaluation step, ms (optional; the engine defaults to 1s). The condition looks at the last step. */
  resolution?: number;
}

export interface AbsenceDetect {
  type: 'absence';
  /** Fire when no matching event was seen for this long (event time), ms. */
  after: number;
  /** Evaluation step, ms (optional; the engine defaults to 1s). */
  resolution?: number;
}

export type SpikeDirection = 'up' | 'down' | 'both';

/** Count in the window vs a robust baseline of past windows (src/detect/spike.ts). */
export interface SpikeDetect extends WindowSpec {
  type: 'spike';
  /** How far back the recent baseline looks, ms (a multiple of window). */
  baseline: number;
  /** `daily`: the same window on up to 7 previous days, once 3 days of history exist. */
  seasonality: 'none' | 'daily';
  /** up: current count >= min_count; down: baseline >= min_count. */
  min_count: number;
  direction: SpikeDirection;
  /** Score limit (z-score scale; |score| for `both`). */
  threshold: number;
  /** Score levels (instead of threshold); op is '>=' on the score. */
  levels?: readonly Level[];
}

/** A value of `field` not seen within `lookback` (src/detect/new-value.ts). */
export interface NewValueDetect {
  type: 'new_value';
  field: string;
  lookback: number;
  /** Learn without alerting for this long after the stream's first event, ms. */
  learn: number;
  /** Values tracked exactly; beyond, a time-sliced Bloom filter. */
  max_values: number;
  resolution?: number;
}

/** Distinct values of `field` in the window (src/detect/cardinality.ts). */
export interface CardinalityDetect extends WindowSpec, Limit {
  type: 'cardinality';
  field: string;
}

/** A quantile of numeric `field` in the window (src/detect/quantile.ts). */
export interface QuantileDetect extends WindowSpec, Limit {
  type: 'quantile';
  field: string;
  /** In (0, 1], e.g. 0.95. */
  q: number;
  /** Judge only windows with at least this many values. */
  min_count: number;
}

/** The last/max/min/avg of numeric `field` in the window (src/detect/gauge.ts). */
export interface GaugeDetect extends WindowSpec, Limit {
  type: 'gauge';
  field: string;
  aggregate: 'last' | 'max' | 'min' | 'avg';
}

/** N consecutive matched events satisfying `failure` (src/detect/consecutive.ts). */
export interface ConsecutiveDetect {
  type: 'consecutive';
  failure: Selector;
  count: number;
  resolution?: number;
}

/** `match` (A) not followed by `follow_up` (B) within `within` (src/detect/missing-follow-up.ts). */
export interface MissingFollowUpDetect {
  type: 'missing_follow_up';
  follow_up: Selector;
  within: number;
  /** Pending A events kept per group (oldest kept; newer ones overflow, counted). */
  max_pending: number;
  /** Pending A events kept over all groups of the pattern. */
  max_total_pending: number;
  resolution?: number;
}

export type Detect =
  | ThresholdDetect
  | RatioDetect
  | AnyDetect
  | AbsenceDetect
  | SpikeDetect
  | NewValueDetect
  | CardinalityDetect
  | QuantileDetect
  | GaugeDetect
  | ConsecutiveDetect
  | MissingFollowUpDetect;
export type DetectType = Detect['type'];

export interface Pattern {
  id: string;
  description: string;
  /** Source file, for error messages and `check` output. */
  file: string;
  match: Selector;
  group_by: readonly string[];
  /** Max live groups for this pattern; overflow goes to the `__overflow__` bucket and is counted. */
  max_groups: number;
  detect: Detect;
  /** Allowed lateness for out-of-order events, ms. */
  grace: number;
  /** Condition must hold this long before firing, ms. */
  for: number;
  /** Condition must be false this long before resolving, ms. */
  resolve_after: number;
  /** Re-notify interval while firing, ms (0 = never). */
  repeat_interval: number;
  severity: Severity;
  labels: Readonly<Record<string, string>>;
  runbook?: string;
  /** Template: `{{value}}`, `{{threshold}}`, `{{count}}`, `{{severity}}` (the level's, when levels apply), `{{group.<field>}}`, `{{pattern.id}}`, `{{baseline}}`, `{{score}}`. */
  summary: string;
  /** Field paths removed from sample events. */
  redact: readonly string[];
  /** Flap damping: more than `flap_max_changes` state changes within `flap_window` marks flapping. */
  flap_window: number;
  flap_max_changes: number;
}

/** The bucket a missing group_by value goes to. */
export const MISSING_GROUP_VALUE = '__missing__';
/** The bucket groups beyond `max_groups` go to. */
export const OVERFLOW_GROUP_KEY = '__overflow__';

/**
 * The group record `{ fields[i]: values[i] }`, every field an own property: a group_by field
 * named `__proto__` too (assigning it would set the record's prototype instead).
 */
export function groupRecordOf(fields: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === '__proto__') Object.defineProperty(out, f, { value: values[i], enumerable: true, writable: true, configurable: true });
    else out[f] = values[i]!;
  }
  return out;
}

/**
 * The group fields of a group key (`JSON.stringify(values)` in the order of `group_by`). The
 * overflow group (OVERFLOW_GROUP_KEY, not JSON) gives every group_by field `__overflow__`, as
 * its alerts carry it, so its metric documents name the same group.
 */
export function groupFromKey(pattern: Pick<Pattern, 'group_by'>, groupKey: string): Record<string, string> {
  const fields = pattern.group_by;
  if (fields.length === 0) return {};
  if (groupKey === OVERFLOW_GROUP_KEY) return groupRecordOf(fields, fields.map(() => OVERFLOW_GROUP_KEY));
  let values: unknown;
  try {
    values = JSON.parse(groupKey);
  } catch {
    return {};
  }
  if (!Array.isArray(values)) return {};
  return groupRecordOf(fields, fields.map((_, i) => String((values as unknown[])[i] ?? '')));
}
