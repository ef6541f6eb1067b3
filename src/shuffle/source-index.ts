/**
 * The dense source partition index of stage 1 (scale-out, issue 6): every raw topic partition gets
 * one integer, deterministic across instances, so the source watermarks stage 1 writes to the
 * partials topic (`SourceMark`, src/shuffle/partial.ts) name the same partition on every instance.
 *
 *   index(topic, partition) = (sum of partition counts of the topics before `topic` in config order) + partition
 *
 * Caveat: adding partitions to a topic shifts the indices of every later topic; the index is built
 * once at start (a restart after such a change is required, as for the partials partition count).
 */
import type { Admin } from 'kafkajs';
import { TriplineError } from '../model/errors.js';

export class SourceIndex {
  readonly topics: readonly string[];
  /** Partition count per topic, in config order. */
  readonly counts: readonly number[];
  /** Total number of source partitions (`PartialBatch.of`, `Combiner.sourceCount`). */
  readonly total: number;
  readonly #base = new Map<string, number>();
  readonly #count = new Map<string, number>();

  constructor(topics: readonly string[], counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>) {
    const get = (t: string): number | undefined => (counts instanceof Map ? counts.get(t) : (counts as Record<string, number>)[t]);
    if (new Set(topics).size !== topics.length) throw new TriplineError('CONFIG_INVALID', `kafka.topics: a topic is listed twice (${topics.join(', ')})`);
    let base = 0;
    const out: number[] = [];
    for (const t of topics) {
      const n = get(t);
      if (n === undefined || !Number.isInteger(n) || n < 1) {
        throw new TriplineError('KAFKA_UNAVAILABLE', `no partition count for topic ${t} (does it exist?)`, { retriable: false });
      }
      this.#base.set(t, base);
      this.#count.set(t, n);
      out.push(n);
      base += n;
    }
    this.topics = [...topics];
    this.counts = out;
    this.total = base;
  }

  /** Base index of a topic (index of its partition 0). */
  base(topic: string): number {
    const b = this.#base.get(topic);
    if (b === undefined) throw new RangeError(`topic ${topic} is not a source topic`);
    return b;
  }

  index(topic: string, partition: number): number {
    const b = this.base(topic);
    const n = this.#count.get(topic)!;
    if (!Number.isInteger(partition) || partition < 0 || partition >= n) {
      throw new RangeError(`partition ${partition} of ${topic} outside 0..${n - 1}`);
    }
    return b + partition;
  }

  /** Inverse of `index`. */
  partitionOf(index: number): { topic: string; partition: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.total) throw new RangeError(`source index ${index} outside 0..${this.total - 1}`);
    let rest = index;
    for (let i = 0; i < this.topics.length; i++) {
      const n = this.counts[i]!;
      if (rest < n) return { topic: this.topics[i]!, partition: rest };
      rest -= n;
    }
    throw new RangeError(`source index ${index}`); // unreachable
  }
}

/** Builds the index from the brokers' topic metadata (admin must be connected). */
export async function fetchSourceIndex(admin: Admin, topics: readonly string[]): Promise<SourceIndex> {
  const md = await admin.fetchTopicMetadata({ topics: [...topics] });
  const counts = new Map(md.topics.map((t) => [t.name, t.partitions.length]));
  return new SourceIndex(topics, counts);
}
