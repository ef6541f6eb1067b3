/**
 * Per-window metric documents from the engine's `onEvaluate` hook: at every evaluation instant T
 * that is a multiple of `intervalMs` (event time), one MetricRecord per (pattern, group) whose
 * value changed since the last record emitted for it (a group not emitted yet counts as 0). T is a boundary of the engine, so a replay
 * of the same records after a crash produces the same records (deterministic `_id`s in the sink:
 * a re-emission is a 409 duplicate). The last-emitted values are part of the service checkpoint.
 */
import type { Evaluation } from '../detect/detector.js';
import { groupFromKey } from '../model/pattern.js';
import type { Pattern } from '../model/pattern.js';
import type { MetricRecord } from './elasticsearch/documents.js';

export interface MetricEmitterState {
  /** `[patternId, groupKey, value]` of the last record per group (bounded, insertion order). */
  last: Array<[string, string, number]>;
}

export interface MetricEmitterOptions {
  intervalMs: number;
  /** Most groups remembered (oldest forgotten first; a forgotten group re-emits once). Default 100k. */
  maxRemembered?: number;
}

export class MetricEmitter {
  readonly #o: MetricEmitterOptions;
  readonly #last = new Map<string, number>();
  #buffer: MetricRecord[] = [];

  constructor(opts: MetricEmitterOptions) {
    this.#o = opts;
  }

  /** The engine hook (`EngineOptions.onEvaluate`). */
  readonly onEvaluate = (pattern: Pattern, groupKey: string, T: number, e: Readonly<Evaluation>): void => {
    if (T % this.#o.intervalMs !== 0 || !Number.isFinite(e.value)) return;
    const k = JSON.stringify([pattern.id, groupKey]);
    // A group never emitted counts as 0: when a new group starts being evaluated depends on
    // arrival timing (not only on the data), its leading zeros would not be reproducible.
    if ((this.#last.get(k) ?? 0) === e.value) return;
    this.#last.delete(k);
    this.#last.set(k, e.value);
    if (this.#last.size > (this.#o.maxRemembered ?? 100_000)) this.#last.delete(this.#last.keys().next().value!);
    const rec: MetricRecord = {
      '@timestamp': new Date(T).toISOString(),
      pattern: { id: pattern.id },
      group: groupFromKey(pattern, groupKey),
      group_key: groupKey,
      window: { start: new Date(e.windowStart).toISOString(), end: new Date(e.windowEnd).toISOString() },
      value: e.value,
      count: e.count,
      ...(Number.isFinite(e.threshold) ? { threshold: e.threshold } : {}),
    };
    this.#buffer.push(rec);
  };

  /** Records produced since the last drain. */
  drain(): MetricRecord[] {
    const out = this.#buffer;
    this.#buffer = [];
    return out;
  }

  snapshot(): MetricEmitterState {
    return {
      last: [...this.#last].map(([k, v]) => {
        const [p, g] = JSON.parse(k) as [string, string];
        return [p, g, v];
      }),
    };
  }

  restore(s: MetricEmitterState | undefined): void {
    this.#last.clear();
    for (const [p, g, v] of s?.last ?? []) this.#last.set(JSON.stringify([p, g]), v);
  }
}
