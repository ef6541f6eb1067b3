/**
 * `tripline replay [FILE|-]`: the engine over an NDJSON log file or stdin, in event time.
 * Prints alert transitions as a table (with a closing summary) or as NDJSON.
 * At the end of input it flushes in event time and does not resolve open alerts artificially.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Pattern } from '../model/pattern.js';
import type { AlertTransition } from '../model/transition.js';
import type { EngineOptions } from '../engine/engine.js';
import { createDetection } from '../pipeline.js';
import type { DetectionCounters } from '../pipeline.js';
import { formatTable, formatSummary } from './replay-format.js';

export interface ReplayOptions {
  format: 'table' | 'ndjson';
  from?: number;
  to?: number;
  /** Evaluate due boundaries every N lines (default 1024). */
  advanceEvery?: number;
  /** Progress callback target (stderr when it is a TTY). */
  progress?: (counters: DetectionCounters) => void;
  /** Per-evaluation hook (the `--report` collector). */
  onEvaluate?: EngineOptions['onEvaluate'];
}

export interface ReplayResult {
  transitions: AlertTransition[];
  counters: DetectionCounters;
}

/** Runs the engine over any iterable of lines. Pure apart from the iteration itself. */
export async function replayLines(
  lines: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  patterns: readonly Pattern[],
  opts: Omit<ReplayOptions, 'format'> = {},
  onTransition?: (t: AlertTransition) => void,
): Promise<ReplayResult> {
  const det = createDetection(patterns, {
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.to === undefined ? {} : { to: opts.to }),
    ...(opts.onEvaluate === undefined ? {} : { engine: { onEvaluate: opts.onEvaluate } }),
  });
  const every = opts.advanceEvery ?? 1024;
  const all: AlertTransition[] = [];
  const emit = (ts: AlertTransition[]): void => {
    for (const t of ts) {
      all.push(t);
      onTransition?.(t);
    }
  };
  let n = 0;
  for await (const line of lines) {
    det.push(line);
    if (++n % every === 0) {
      emit(det.advance());
      if (opts.progress && n % (every * 64) === 0) opts.progress(det.counters());
    }
  }
  emit(det.advance());
  emit(det.flush());
  return { transitions: all, counters: det.counters() };
}

/**
 * Splits a byte stream on '\n' without decoding it first, so the decoder sees the raw bytes
 * (invalid UTF-8 is reported as such instead of being replaced with U+FFFD). Hand-written
 * rather than node:readline because readline decodes to strings and is slower.
 */
export async function* splitLines(input: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  let rest: Buffer | undefined;
  for await (const chunk of input) {
    const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      yield buf.subarray(start, nl);
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
  }
  if (rest !== undefined && rest.length > 0) yield rest;
}

export function openLines(file: string | undefined): AsyncIterable<Uint8Array> {
  const input: Readable = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  return splitLines(input as AsyncIterable<Buffer>);
}

export async function runReplay(
  file: string | undefined,
  patterns: readonly Pattern[],
  opts: ReplayOptions,
  out: (s: string) => void,
): Promise<ReplayResult> {
  const onT = opts.format === 'ndjson' ? (t: AlertTransition) => out(JSON.stringify(t) + '\n') : undefined;
  const res = await replayLines(openLines(file), patterns, opts, onT);
  if (opts.format === 'table') {
    out(formatTable(res.transitions));
    out(formatSummary(res.counters, patterns));
  }
  return res;
}
