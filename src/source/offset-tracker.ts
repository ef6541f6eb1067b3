/**
 * Which Kafka offsets may be committed. Pure bookkeeping, no I/O.
 *
 * Per topic-partition, records are tracked in the order they are handed to the pipeline. Each
 * record carries a pending count: 1 for its own processing, plus one per derived output
 * (alert, dead-letter write...) that the pipeline `hold`s. Acks decrement it. The committable
 * offset of a partition is the contiguous high-watermark: the lowest tracked offset still
 * pending, or one past the last tracked offset when nothing is pending (Kafka commits the
 * "next offset to read"). It never passes an unacknowledged record, whatever order acks arrive in.
 */
import { TriplineError } from '../model/errors.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface CommitOffset extends TopicPartition {
  /** Next offset to read, as Kafka expects it (decimal string). */
  readonly offset: string;
}

interface PartitionState {
  /** Tracked offsets in hand-out order (strictly increasing); `head` is the first live index. */
  offsets: bigint[];
  head: number;
  pending: Map<bigint, number>;
  /** One past the highest offset handed out (or skipped), undefined before the first. */
  end: bigint | undefined;
  /** Last offset reported committed via markCommitted. */
  committed: bigint | undefined;
  /** First offset tracked: where consumption started (already committed, or the reset point). */
  start: bigint | undefined;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function toBig(offset: string | bigint | number): bigint {
  return typeof offset === 'bigint' ? offset : BigInt(offset);
}

export class OffsetTracker {
  readonly #parts = new Map<string, PartitionState & TopicPartition>();

  #state(topic: string, partition: number, create: boolean): (PartitionState & TopicPartition) | undefined {
    const key = tpKey(topic, partition);
    let s = this.#parts.get(key);
    if (s === undefined && create) {
      s = { topic, partition, offsets: [], head: 0, pending: new Map(), end: undefined, committed: undefined, start: undefined };
      this.#parts.set(key, s);
    }
    return s;
  }

  /**
   * Registers a record handed to the pipeline with `pending` outstanding acks (default 1).
   * Offsets of a partition must be tracked in increasing order; use `reset` after a seek.
   */
  track(topic: string, partition: number, offset: string | bigint, pending = 1): void {
    const o = toBig(offset);
    const s = this.#state(topic, partition, true)!;
    if (s.end !== undefined && o < s.end) {
      throw new TriplineError(
        'INTERNAL',
        `offset tracker: ${topic}[${partition}] offset ${o} tracked after ${s.end - 1n}; reset the partition first`,
      );
    }
    if (!Number.isInteger(pending) || pending < 0) {
      throw new TriplineError('INTERNAL', `offset tracker: pending count must be a non-negative integer`);
    }
    s.start ??= o;
    if (pending > 0) {
      s.offsets.push(o);
      s.pending.set(o, pending);
    }
    s.end = o + 1n;
  }

  /**
   * Marks offsets up to `lastOffset` as consumed without records (control records, compacted gaps),
   * so the committable offset can move past them once everything before is acknowledged.
   */
  skipThrough(topic: string, partition: number, lastOffset: string | bigint): void {
    const o = toBig(lastOffset);
    const s = this.#state(topic, partition, true)!;
    if (s.end === undefined || o + 1n > s.end) s.end = o + 1n;
  }

  /** Adds `n` outstanding acks to a tracked, not yet fully acknowledged record. */
  hold(topic: string, partition: number, offset: string | bigint, n = 1): void {
    const o = toBig(offset);
    const s = this.#state(topic, partition, false);
    const cur = s?.pending.get(o);
    if (s === undefined || cur === undefined) {
      throw new TriplineError('INTERNAL', `offset tracker: hold on ${topic}[${partition}]@${o}, which is not pending`);
    }
    s.pending.set(o, cur + n);
  }

  /**
   * Acknowledges `n` outputs of a record. Returns false (and changes nothing) for a partition that
   * is not tracked (revoked / reset: a stale ack from a previous generation). Over-acking throws.
   */
  ack(topic: string, partition: number, offset: string | bigint, n = 1): boolean {
    const o = toBig(offset);
    const s = this.#state(topic, partition, false);
    if (s === undefined) return false;
    const cur = s.pending.get(o);
    if (cur === undefined || cur < n) {
      throw new TriplineError('INTERNAL', `offset tracker: ack of ${topic}[${partition}]@${o} that is not pending`);
    }
    if (cur === n) s.pending.delete(o);
    else s.pending.set(o, cur - n);
    return true;
  }

  /** Contiguous high-watermark: next offset to read that is safe to commit, or undefined if nothing tracked. */
  committable(topic: string, partition: number): string | undefined {
    const s = this.#state(topic, partition, false);
    if (s === undefined || s.end === undefined) return undefined;
    const low = this.#lowestPending(s);
    return (low ?? s.end).toString();
  }

  #lowestPending(s: PartitionState): bigint | undefined {
    while (s.head < s.offsets.length && !s.pending.has(s.offsets[s.head]!)) s.head++;
    if (s.head > 1024 && s.head * 2 > s.offsets.length) {
      s.offsets = s.offsets.slice(s.head);
      s.head = 0;
    }
    return s.head < s.offsets.length ? s.offsets[s.head] : undefined;
  }

  /** Commits that would move a partition forward (beyond the last markCommitted, or the start point). */
  pendingCommits(): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const s of this.#parts.values()) {
      const c = this.committable(s.topic, s.partition);
      if (c === undefined) continue;
      const big = BigInt(c);
      const floor = s.committed ?? s.start;
      if (floor === undefined || big > floor) out.push({ topic: s.topic, partition: s.partition, offset: c });
    }
    return out;
  }

  /** Records a successful commit. */
  markCommitted(topic: string, partition: number, offset: string | bigint): void {
    const s = this.#state(topic, partition, false);
    if (s === undefined) return;
    const o = toBig(offset);
    if (s.committed === undefined || o > s.committed) s.committed = o;
  }

  lastCommitted(topic: string, partition: number): string | undefined {
    return this.#state(topic, partition, false)?.committed?.toString();
  }

  /** One past the highest offset handed out: the consumer position. */
  position(topic: string, partition: number): string | undefined {
    return this.#state(topic, partition, false)?.end?.toString();
  }

  /** Outstanding acks (records with pending > 0), for one partition or all. */
  pendingCount(topic?: string, partition?: number): number {
    if (topic !== undefined && partition !== undefined) return this.#state(topic, partition, false)?.pending.size ?? 0;
    let n = 0;
    for (const s of this.#parts.values()) n += s.pending.size;
    return n;
  }

  /** Forgets a partition (revoked, or re-fetched from the committed offset). Later acks for it are ignored. */
  reset(topic: string, partition: number): void {
    this.#parts.delete(tpKey(topic, partition));
  }

  resetAll(): void {
    this.#parts.clear();
  }

  partitions(): TopicPartition[] {
    return [...this.#parts.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }
}
