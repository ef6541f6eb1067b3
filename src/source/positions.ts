/**
 * What the service checkpoint records about the source (src/pipeline.ts): the next offset to
 * observe per topic-partition, and the engine's partition index of each topic-partition (in order
 * of first sight, so a restored engine keeps the same per-partition watermarks).
 *
 * After a restore, records below the checkpointed offset (redelivered from an older committed
 * offset) are skipped: the engine state already contains them.
 */
import type { SourceRecord } from './kafka-source.js';
import { tpKey } from './offset-tracker.js';

export interface PositionsState {
  /** topic -> partition -> next offset to observe (decimal string). */
  offsets: Record<string, Record<string, string>>;
  /** Engine partition index of each topic-partition, in order of first sight. */
  partition_index: Array<[string, number]>;
}

const split = (k: string): [string, number] => {
  const [topic, p] = k.split('\u0000') as [string, string];
  return [topic, Number(p)];
};

export class SourcePositions {
  readonly #next = new Map<string, bigint>();
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#next.size;
  }

  restore(s: PositionsState): void {
    this.#next.clear();
    this.#index.clear();
    for (const [topic, parts] of Object.entries(s.offsets)) for (const [p, off] of Object.entries(parts)) this.#next.set(tpKey(topic, Number(p)), BigInt(off));
    s.partition_index.forEach(([topic, p], i) => this.#index.set(tpKey(topic, p), i));
  }

  /** The engine partition index of a topic-partition (assigned on first sight). */
  indexOf(topic: string, partition: number): number {
    const k = tpKey(topic, partition);
    let i = this.#index.get(k);
    if (i === undefined) this.#index.set(k, (i = this.#index.size));
    return i;
  }

  /** False for a record already covered (below the next offset); otherwise advances past it. */
  advance(r: Pick<SourceRecord, 'topic' | 'partition' | 'offset'>): boolean {
    const k = tpKey(r.topic, r.partition);
    const next = this.#next.get(k);
    if (next !== undefined && BigInt(r.offset) < next) return false;
    this.#next.set(k, BigInt(r.offset) + 1n);
    return true;
  }

  snapshot(): PositionsState {
    const offsets: PositionsState['offsets'] = {};
    for (const [k, next] of this.#next) {
      const [topic, p] = split(k);
      (offsets[topic] ??= {})[String(p)] = next.toString();
    }
    return { offsets, partition_index: [...this.#index.keys()].map(split) };
  }
}
