import type { Evaluation, ValueUnit } from '../detect/detector.js';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import { alertId } from './alert-key.js';
import type { LifecycleEmit } from './lifecycle.js';
import { redactedCopy } from './samples.js';
import type { SampleRing } from './samples.js';
import { renderSummary } from './summary.js';

export interface TransitionInput {
  pattern: Pattern;
  unit: ValueUnit;
  key: string;
  group: Readonly<Record<string, string>>;
  T: number;
  evaluation: Evaluation;
  emit: LifecycleEmit;
  samples: SampleRing;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Builds the output record (the only place that copies events and renders text). */
export function buildTransition(x: TransitionInput): AlertTransition {
  const { pattern: p, evaluation: e, emit } = x;
  const group = { ...x.group };
  const t: AlertTransition = {
    '@timestamp': iso(x.T),
    alert: {
      id: alertId(x.key, emit.seq),
      key: x.key,
      seq: emit.seq,
      state: emit.state,
      previous: emit.previous,
      severity: emit.severity,
      flapping: emit.flapping,
      repeat: emit.repeat,
    },
    pattern: { id: p.id, description: p.description, detector: p.detect.type },
    group,
    value: e.value,
    threshold: e.threshold,
    window: { start: iso(e.windowStart), end: iso(e.windowEnd) },
    samples: x.samples.select(x.T).map((ev) => redactedCopy(ev.fields, p.redact)),
    summary: renderSummary(p.summary, {
      value: e.value,
      threshold: e.threshold,
      count: e.count,
      op: e.op,
      severity: emit.severity,
      unit: x.unit,
      patternId: p.id,
      group,
      baseline: e.baseline,
      score: e.score,
    }),
    labels: { ...p.labels },
  };
  if (e.op !== undefined) t.op = e.op;
  if (e.baseline !== undefined) t.baseline = e.baseline;
  if (e.score !== undefined) t.score = e.score;
  if (p.runbook !== undefined) t.runbook = p.runbook;
  return t;
}
