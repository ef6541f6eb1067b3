/** Builders for AlertTransition test records. */
import type { AlertState, AlertTransition } from '../../src/model/transition.js';
import type { Severity } from '../../src/model/pattern.js';

export interface TransitionOverrides {
  id?: string;
  state?: AlertState;
  previous?: AlertTransition['alert']['previous'];
  severity?: Severity;
  repeat?: number;
  timestamp?: string;
  patternId?: string;
  labels?: Record<string, string>;
  group?: Record<string, string>;
  summary?: string;
  samples?: Record<string, unknown>[];
  runbook?: string;
}

export function transition(o: TransitionOverrides = {}): AlertTransition {
  const state = o.state ?? 'firing';
  const id = o.id ?? 'k1a2b3-1';
  const t: AlertTransition = {
    '@timestamp': o.timestamp ?? '2025-03-04T05:06:07.000Z',
    alert: {
      id,
      key: id.replace(/-\d+$/, ''),
      seq: Number(/-(\d+)$/.exec(id)?.[1] ?? 1),
      state,
      previous: o.previous ?? (state === 'firing' ? 'pending' : state === 'resolved' ? 'firing' : 'inactive'),
      severity: o.severity ?? 'critical',
      flapping: false,
      repeat: o.repeat ?? 0,
    },
    pattern: { id: o.patternId ?? 'payments-5xx', description: 'Payments returning 5xx', detector: 'threshold' },
    group: o.group ?? { 'service.name': 'payments' },
    value: 42,
    threshold: 10,
    op: '>=',
    window: { start: '2025-03-04T05:01:07.000Z', end: '2025-03-04T05:06:07.000Z' },
    samples: o.samples ?? [{ event: 'http_error', status: 503 }],
    summary: o.summary ?? '42 errors in 5m for payments (threshold 10)',
    labels: o.labels ?? { team: 'payments' },
  };
  if (o.runbook !== undefined) t.runbook = o.runbook;
  return t;
}
