/**
 * The records of the internal repartition topic `<group.id>-partials` (scale-out, issue 6).
 *
 * Stage 1 (src/shuffle/combiner.ts) reads raw log partitions, decodes and matches, and
 * pre-aggregates what the detectors need per (pattern, group, time bucket). Stage 2
 * (src/shuffle/shuffle-task.ts) owns a partials partition: it merges the entries of every
 * source partition, and runs the windows, detectors and alert lifecycle for its keys.
 *
 * One Kafka record = one `PartialBatch` for one partials partition, written in a Kafka
 * transaction together with the raw offsets it covers (so a crash never counts a record twice).
 * Every flush writes a batch to EVERY partials partition, even without entries, because the
 * batch carries the source watermarks: stage 2's clock is the min over all source partitions,
 * exactly like the single-engine clock (src/window/watermark.ts), so absence and lateness stay
 * correct after the shuffle. Within one partials partition, the entries of a source partition
 * always precede the watermark that covers them (same record, entries applied first).
 *
 * Entry kinds:
 * - aggregated (`n` > 1 possible): window-count detectors (threshold, ratio, any, absence, spike)
 *   only need the bucket of each event and its roles, so events of one (pattern, group, roles,
 *   resolution bucket) collapse into one entry of weight `n` at the earliest time `t` of the
 *   collapsed events (the group's creation time and lateness then match event by event).
 * - single (`n` = 1): every other detector (new_value, cardinality, quantile, gauge,
 *   consecutive, missing_follow_up) sees each event, with `f` holding the fields its pattern
 *   reads and (`s`, `o`) = source partition index and offset as a deterministic tie-break.
 */
export const PARTIALS_VERSION = 1;

/** A sample event (redacted at stage 1: unredacted fields never enter the partials topic). */
export interface PartialSample {
  /** Event name. */
  e: string;
  /** Event time, epoch ms. */
  t: number;
  /** Redacted fields. */
  f: Record<string, unknown>;
}

export interface PartialEntry {
  /** Pattern id. */
  p: string;
  /** Canonical group key (src/model/match.ts). */
  k: string;
  /** ROLE_* bit set. */
  r: number;
  /** Event time, epoch ms (the earliest of an aggregate). */
  t: number;
  /** Weight: number of events collapsed (absent = 1). */
  n?: number;
  /** Fields the pattern reads (single entries of value-reading detectors only). */
  f?: Record<string, unknown>;
  /** Source partition index (single entries only: tie-break). */
  s?: number;
  /** Source offset (single entries only: tie-break). */
  o?: number;
  /** Up to SAMPLE_SIZE most recent sample events, oldest first. */
  x?: PartialSample[];
}

/** Source watermark after this batch: [source partition index, max event time, first event time]. */
export type SourceMark = [number, number, number];

export interface PartialBatch {
  v: typeof PARTIALS_VERSION;
  /** Number of source partitions stage 1 knows (all topics); stage 2 waits for each. */
  of: number;
  e: PartialEntry[];
  w: SourceMark[];
}

/** FNV-1a 32 (UTF-16 code units), stable across processes. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partialsTopic(groupId: string): string {
  return `${groupId}-partials`;
}

/** Partials partition of a (pattern, group): FNV-1a 32 of `pattern \0 groupKey`, mod partitions. */
export function partialsPartition(patternId: string, groupKey: string, partitions: number): number {
  return fnv1a32(`${patternId}\u0000${groupKey}`) % partitions;
}

export function encodeBatch(b: PartialBatch): Buffer {
  return Buffer.from(JSON.stringify(b));
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Decodes a batch; throws an Error naming what is wrong (the caller maps it). */
export function decodeBatch(buf: Uint8Array): PartialBatch {
  const x: unknown = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  if (!isObj(x) || x.v !== PARTIALS_VERSION) throw new Error(`unsupported partials record version ${isObj(x) ? String(x.v) : typeof x}`);
  if (!Array.isArray(x.e) || !Array.isArray(x.w) || typeof x.of !== 'number') throw new Error('malformed partials record');
  return x as unknown as PartialBatch;
}

/** Deterministic order of entries released to the engine at one clock step. */
export function compareEntries(a: PartialEntry, b: PartialEntry): number {
  if (a.t !== b.t) return a.t - b.t;
  if (a.p !== b.p) return a.p < b.p ? -1 : 1;
  if (a.k !== b.k) return a.k < b.k ? -1 : 1;
  const sa = a.s ?? -1;
  const sb = b.s ?? -1;
  if (sa !== sb) return sa - sb;
  const oa = a.o ?? -1;
  const ob = b.o ?? -1;
  if (oa !== ob) return oa - ob;
  return a.r - b.r;
}
