/**
 * The only file that knows every stage: source → decode → match → window → detect → alert → sink.
 *
 * `Detection` is the pure middle (decode → match → engine). It does no I/O and takes time as a
 * parameter, so `tripline replay` and `tripline run` drive exactly the same code: replay feeds
 * it lines from a file, the service feeds it Kafka records and wall-clock ticks.
 */
import { createDecoder } from './decode/index.js';
import type { DecodeOptions } from './decode/index.js';
import { createEngine } from './engine/engine.js';
import type { Engine, EngineOptions, EngineStats } from './engine/engine.js';
import { createMatcher } from './match/index.js';
import type { DecodeError, DecodeErrorReason } from './model/event.js';
import { isDecodeError } from './model/event.js';
import type { Matcher } from './model/match.js';
import type { Pattern } from './model/pattern.js';
import type { AlertTransition } from './model/transition.js';

export interface DetectionOptions {
  decode?: DecodeOptions;
  engine?: EngineOptions;
  /** Only events with from <= time < to are fed to the engine (others are counted as `filtered`). */
  from?: number;
  to?: number;
}

export interface DetectionCounters {
  /** Lines/records offered. */
  read: number;
  decoded: number;
  /** Decoded events that matched at least one pattern. */
  matched: number;
  /** Matches dropped as late, summed over patterns. */
  late: number;
  /** Decoded events outside [from, to). */
  filtered: number;
  /** Events whose time came from the Kafka record timestamp. */
  recordTime: number;
  invalid: Partial<Record<DecodeErrorReason, number>>;
  /** Transitions by pattern id and state. */
  transitions: Record<string, Partial<Record<AlertTransition['alert']['state'], number>>>;
}

export interface Detection {
  readonly patterns: readonly Pattern[];
  /** Decodes, matches and observes one line. Returns the decode error, if any (never throws). */
  push(raw: Uint8Array | string, recordTimestampMs?: number, partition?: number, wallNow?: number): DecodeError | undefined;
  /** Evaluates every due window boundary. */
  advance(): AlertTransition[];
  /** Wall-clock tick (idle rule), then advance. */
  tick(wallNow: number): AlertTransition[];
  /** End of input: evaluate up to the last event time, without resolving open alerts. */
  flush(): AlertTransition[];
  counters(): DetectionCounters;
  engineStats(): EngineStats;
  readonly engine: Engine;
}

export function createDetection(patterns: readonly Pattern[], opts: DetectionOptions = {}): Detection {
  const decoder = createDecoder(opts.decode ?? {});
  const matcher: Matcher = createMatcher([...patterns]);
  const engine = createEngine(patterns, opts.engine ?? {});
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const c: DetectionCounters = { read: 0, decoded: 0, matched: 0, late: 0, filtered: 0, recordTime: 0, invalid: {}, transitions: {} };

  const count = (ts: AlertTransition[]): AlertTransition[] => {
    for (const t of ts) {
      const byState = (c.transitions[t.pattern.id] ??= {});
      byState[t.alert.state] = (byState[t.alert.state] ?? 0) + 1;
    }
    return ts;
  };

  return {
    patterns,
    engine,
    push(raw, recordTimestampMs, partition = 0, wallNow) {
      c.read++;
      const ev = decoder(raw, recordTimestampMs, partition);
      if (isDecodeError(ev)) {
        c.invalid[ev.reason] = (c.invalid[ev.reason] ?? 0) + 1;
        return ev;
      }
      c.decoded++;
      if (ev.timeSource === 'record') c.recordTime++;
      if (ev.time < from || ev.time >= to) {
        c.filtered++;
        return undefined;
      }
      const matches = matcher(ev);
      if (matches.length > 0) c.matched++;
      engine.observe(ev, matches, wallNow);
      return undefined;
    },
    advance: () => count(engine.advance()),
    tick: (wallNow) => count(engine.tick(wallNow)),
    flush: () => count(engine.flush()),
    counters() {
      c.late = engine.stats().patterns.reduce((s, p) => s + p.late, 0);
      return c;
    },
    engineStats: () => engine.stats(),
  };
}
