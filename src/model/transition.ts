import type { Severity } from './pattern.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

/**
 * One alert transition: the output record of the engine (alert stage).
 * Serialised as-is to NDJSON (`tripline replay --format ndjson`), Elasticsearch and PagerDuty.
 */
export interface AlertTransition {
  /** Event time of the transition (ISO 8601). */
  '@timestamp': string;
  alert: {
    /** Incident id: `<key>-<seq>`; stable for one ongoing condition. */
    id: string;
    /** Stable hash of pattern id + group values. */
    key: string;
    /** Incident sequence number for this key, from 1. */
    seq: number;
    state: AlertState;
    /** The state before this transition (`inactive` when a new incident starts). */
    previous: AlertState | 'inactive';
    severity: Severity;
    /** True while state changes are damped. */
    flapping: boolean;
    /** Re-notification count while firing (0 for the first firing record). */
    repeat: number;
  };
  pattern: { id: string; description: string; detector: string };
  group: Record<string, string>;
  /** Observed value (count, ratio, seconds since last seen...). */
  value: number;
  /** The limit compared with; for spike detectors the baseline is in `baseline`. */
  threshold: number;
  op?: string;
  baseline?: number;
  score?: number;
  window: { start: string; end: string };
  samples: Record<string, unknown>[];
  runbook?: string;
  summary: string;
  labels: Record<string, string>;
}
