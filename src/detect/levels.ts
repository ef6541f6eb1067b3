import type { CompareOp, Level } from '../model/pattern.js';
import { compare } from './detector.js';
import type { Evaluation } from './detector.js';

/** A limit as declared on a detector: one `value`, or `levels` (mildest first). */
export interface LimitSpec {
  op: CompareOp;
  value: number;
  levels?: readonly Level[];
}

/**
 * Judges `v` against a limit and fills active/threshold/op/severity of `out`.
 * With levels, the strictest level satisfied wins: its severity becomes the alert's severity
 * (moving between levels re-notifies the same incident, see src/alert/lifecycle.ts) and its value
 * the threshold. When no level holds, threshold is the mildest level's value.
 * `eligible` false (not enough data) makes the result inactive whatever `v` is.
 */
export function judgeLimit(v: number, d: LimitSpec, eligible: boolean, out: Evaluation): void {
  out.op = d.op;
  const levels = d.levels;
  if (levels === undefined || levels.length === 0) {
    out.active = eligible && compare(v, d.op, d.value);
    out.threshold = d.value;
    out.severity = undefined;
    return;
  }
  let hit = -1;
  if (eligible) {
    for (let i = levels.length - 1; i >= 0; i--) {
      if (compare(v, d.op, levels[i]!.value)) {
        hit = i;
        break;
      }
    }
  }
  out.active = hit >= 0;
  const lv = levels[hit >= 0 ? hit : 0]!;
  out.threshold = lv.value;
  out.severity = hit >= 0 ? lv.severity : undefined;
}
