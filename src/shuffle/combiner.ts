/**
 * Stage 1 of the scale-out path (pure, no I/O): decode → match → pre-aggregate, per raw
 * partition, into `PartialBatch`es for the `<group.id>-partials` topic (src/shuffle/partial.ts).
 *
 * This is the combiner of a map-reduce: the 80%+ of request logs that the window-count patterns
 * (5xx ratio, 429 bursts, ...) read collapse into one entry per (pattern, group, roles,
 * resolution bucket) per flush, so raw logs never cross the network a second time. Patterns
 * whose detector reads individual events or field values get one small entry per event with only
 * the fields they read.
 *
 * `drain()` returns one batch per partials partition (entries may be empty) carrying the source
 * watermarks of every source partition pushed since the previous drain.
 */
import { SAMPLE_SIZE, redactedCopy } from '../alert/samples.js';
import { createDetector } from '../detect/create-detector.js';
import type { DecodeOptions } from '../decode/index.js';
import { createFastDecoder } from '../decode/fast.js';
import type { DecodePath } from '../decode/fast.js';
import { createMatcher, decoderFieldsFor } from '../match/index.js';
import type { DecodeError, DecodeErrorReason, LogEvent } from '../model/event.js';
import { isDecodeError } from '../model/event.js';
import { compileFieldPath } from '../model/field-path.js';
import type { FieldGetter } from '../model/field-path.js';
import type { Matcher } from '../model/match.js';
import type { Pattern } from '../model/pattern.js';
import { PARTIALS_VERSION, partialsPartition } from './partial.js';
import type { PartialBatch, PartialEntry, PartialSample, SourceMark } from './partial.js';

/** Detectors that only need each event's resolution bucket and roles (window counts). */
const AGGREGATABLE = new Set(['threshold', 'ratio', 'any', 'absence', 'spike']);

export interface CombinerOptions {
  /** Partitions of the partials topic. */
  partitions: number;
  decode?: DecodeOptions;
  decodePath?: DecodePath;
}

export interface CombinerCounters {
  read: number;
  decoded: number;
  matched: number;
  recordTime: number;
  invalid: Partial<Record<DecodeErrorReason, number>>;
  /** Entries produced (after aggregation) and events they stand for. */
  entries: number;
  events: number;
}

interface PatternInfo {
  readonly pattern: Pattern;
  readonly aggregate: boolean;
  readonly resolution: number;
  /** The detector's value field (single entries carry it). */
  readonly field: string | undefined;
  readonly get: FieldGetter | undefined;
}

interface Acc {
  entry: PartialEntry;
  part: number;
  /** Most recent matched events (by arrival), materialised as samples at drain. */
  samples: LogEvent[];
}

interface SourceState {
  max: number;
  first: number;
}

export class Combiner {
  private readonly decode: ReturnType<typeof createFastDecoder>;
  private readonly matcher: Matcher;
  private readonly infos: PatternInfo[];
  private readonly redact = new Map<string, readonly string[]>();
  private readonly partitions: number;
  /** Aggregated entries by (pattern index, group key, roles, bucket). */
  private readonly agg = new Map<string, Acc>();
  private singles: Acc[] = [];
  private readonly sources = new Map<number, SourceState>();
  private touched = new Set<number>();
  /** Number of source partitions (set by the source from topic metadata). */
  sourceCount = 0;
  readonly counters: CombinerCounters = { read: 0, decoded: 0, matched: 0, recordTime: 0, invalid: {}, entries: 0, events: 0 };

  constructor(patterns: readonly Pattern[], o: CombinerOptions) {
    if (!(o.partitions >= 1)) throw new RangeError(`partials partitions must be >= 1 (got ${o.partitions})`);
    this.partitions = o.partitions;
    this.decode = createFastDecoder({ ...o.decode, ...decoderFieldsFor(patterns), path: o.decodePath ?? 'extract' });
    this.matcher = createMatcher([...patterns]);
    for (const p of patterns) this.redact.set(p.id, p.redact);
    this.infos = patterns.map((p) => {
      const det = createDetector(p);
      const field = 'field' in p.detect ? p.detect.field : undefined;
      return { pattern: p, aggregate: AGGREGATABLE.has(det.kind), resolution: det.resolution, field, get: field === undefined ? undefined : compileFieldPath(field) };
    });
  }

  /** Entries accumulated since the last drain. */
  get size(): number {
    return this.agg.size + this.singles.length;
  }

  /**
   * Hot path: decodes, matches and accumulates one record of source partition `source`
   * (a dense index over every raw topic partition). Returns the decode error, if any (never throws).
   */
  push(raw: Uint8Array | string, recordTimestampMs: number | undefined, source: number, offset: number): DecodeError | undefined {
    const c = this.counters;
    c.read++;
    const ev = this.decode(raw, recordTimestampMs, source);
    if (isDecodeError(ev)) {
      c.invalid[ev.reason] = (c.invalid[ev.reason] ?? 0) + 1;
      return ev;
    }
    c.decoded++;
    if (ev.timeSource === 'record') c.recordTime++;
    let s = this.sources.get(source);
    if (s === undefined) this.sources.set(source, (s = { max: ev.time, first: ev.time }));
    else if (ev.time > s.max) s.max = ev.time;
    this.touched.add(source);
    const matches = this.matcher(ev);
    if (matches.length === 0) return undefined;
    c.matched++;
    for (const m of matches) {
      const info = this.infos[m.pattern]!;
      const pid = info.pattern.id;
      c.events++;
      if (info.aggregate) {
        const bucket = Math.floor(ev.time / info.resolution);
        const key = `${m.pattern}\u0001${m.roles}\u0001${bucket}\u0001${m.groupKey}`;
        const acc = this.agg.get(key);
        if (acc === undefined) {
          this.agg.set(key, { entry: { p: pid, k: m.groupKey, r: m.roles, t: ev.time, n: 1 }, part: partialsPartition(pid, m.groupKey, this.partitions), samples: [ev] });
        } else {
          const e = acc.entry;
          e.n = (e.n ?? 1) + 1;
          if (ev.time < e.t) e.t = ev.time;
          acc.samples.push(ev);
          if (acc.samples.length > SAMPLE_SIZE) acc.samples.shift();
        }
      } else {
        const entry: PartialEntry = { p: pid, k: m.groupKey, r: m.roles, t: ev.time, s: source, o: offset };
        if (info.field !== undefined && info.get !== undefined) {
          const v = info.get(ev.needed ?? ev.fields);
          if (v !== undefined) entry.f = { [info.field]: v };
        }
        this.singles.push({ entry, part: partialsPartition(pid, m.groupKey, this.partitions), samples: [ev] });
      }
    }
    return undefined;
  }

  /** The batches for every partials partition (index = partition), and resets the accumulators. */
  drain(): PartialBatch[] {
    const marks: SourceMark[] = [];
    for (const src of [...this.touched].sort((a, b) => a - b)) {
      const s = this.sources.get(src)!;
      marks.push([src, s.max, s.first]);
    }
    const out: PartialBatch[] = [];
    for (let p = 0; p < this.partitions; p++) out.push({ v: PARTIALS_VERSION, of: this.sourceCount, e: [], w: marks });
    // A group keeps only its SAMPLE_SIZE most recent sample events, so of the single entries of
    // one (pattern, group) in a flush only the last SAMPLE_SIZE carry theirs (most of the
    // partials volume otherwise: every probe line of a quantile pattern would ship its event).
    const sampled = new Map<string, number>();
    for (let i = this.singles.length - 1; i >= 0; i--) {
      const e = this.singles[i]!.entry;
      const k = `${e.p}\u0001${e.k}`;
      const n = sampled.get(k) ?? 0;
      if (n >= SAMPLE_SIZE) this.singles[i]!.samples = [];
      else sampled.set(k, n + 1);
    }
    const add = (acc: Acc): void => {
      const redact = this.redact.get(acc.entry.p) ?? [];
      if (acc.samples.length > 0) acc.entry.x = acc.samples.map((ev): PartialSample => ({ e: ev.name, t: ev.time, f: redactedCopy(ev.fields, redact) }));
      if (acc.entry.n === 1) delete acc.entry.n;
      out[acc.part]!.e.push(acc.entry);
      this.counters.entries++;
    };
    for (const acc of this.agg.values()) add(acc);
    for (const acc of this.singles) add(acc);
    this.agg.clear();
    this.singles = [];
    this.touched = new Set();
    return out;
  }

  /** Forgets accumulated entries (records not flushed are re-read after a rebalance). */
  discard(): void {
    this.agg.clear();
    this.singles = [];
    this.touched = new Set();
  }
}
