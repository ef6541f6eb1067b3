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

export interface ThresholdDetect extends WindowSpec {
  type: 'threshold';
  op: CompareOp;
  value: number;
}

export interface RatioDetect extends WindowSpec {
  type: 'ratio';
  /** Events (already matched by `match`) that form the numerator. */
  numerator: Selector;
  op: CompareOp;
  value: number;
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

export type Detect = ThresholdDetect | RatioDetect | AnyDetect | AbsenceDetect;
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
  /** Template: `{{value}}`, `{{threshold}}`, `{{group.<field>}}`, `{{pattern.id}}`, `{{count}}`. */
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
