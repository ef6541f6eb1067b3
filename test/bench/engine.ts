/**
 * Scenario `engine`: decode -> match -> engine (createDetection), in process, one core, over
 * deterministic ~300-byte lines held in one memory buffer (test/bench/lib/data.ts), each pushed
 * as a Uint8Array view (what Kafka hands the service). Ablations of the decode path
 * (src/decode/fast.ts): full JSON.parse / prefilter / extract, each with the core patterns
 * (webhooks.yaml, http.yaml, jobs.yaml: 7) and with every bundled pattern (21).
 *
 * Within each repetition all configurations run interleaved by slices of SLICE_LINES lines in
 * ABBA order (see interleavedRep), so they share the same moments of this noisy shared machine;
 * the all ÷ core ratio is taken per repetition, then its median and range over repetitions.
 * Medians and ranges of on-CPU ns/line are reported per configuration. `harness` is the cost of
 * the loop and the buffer views alone (included in every figure). Every configuration must
 * produce the same transitions (digest), else the run fails.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { loadPatterns } from '../../src/config/index.js';
import { createFastDecoder, DECODE_PATHS } from '../../src/decode/fast.js';
import { createEngine } from '../../src/engine/engine.js';
import { createMatcher, decoderFieldsFor } from '../../src/match/index.js';
import { isDecodeError } from '../../src/model/event.js';
import type { LogEvent } from '../../src/model/event.js';
import type { MatchResult } from '../../src/model/match.js';
import type { DecodePath } from '../../src/decode/fast.js';
import type { Pattern } from '../../src/model/pattern.js';
import type { AlertTransition } from '../../src/model/transition.js';
import { createDetection } from '../../src/pipeline.js';
import type { Detection } from '../../src/pipeline.js';
import { generateBenchData } from './lib/data.js';
import type { BenchData } from './lib/data.js';
import { gcTotals, load, median, round, spread, startGcCapture, takeGcPauses, threadSched, timed } from './lib/measure.js';
import type { GcTotals } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';

export const CORE_FILES = ['webhooks.yaml', 'http.yaml', 'jobs.yaml'];

/** The core set: the patterns of `all` defined in CORE_FILES. */
export function coreSet(all: readonly Pattern[]): Pattern[] {
  const coreIds = new Set(CORE_FILES.flatMap((f) => (parse(readFileSync(`patterns/${f}`, 'utf8')) as { id: string }[]).map((p) => p.id)));
  return all.filter((p) => coreIds.has(p.id));
}

interface RunValue {
  transitions: number;
  digest: string;
  peakGroups: number;
  decodeErrors: number;
}

/** FNV-1a over the transitions' JSON: the digest every configuration must agree on. */
export function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** One configuration's state and totals within one interleaved repetition. */
interface Run {
  readonly key: string;
  readonly det: Detection;
  transitions: number;
  h: number;
  peakGroups: number;
  errors: number;
  cpuNs: number;
  waitNs: number;
  wallNs: number;
  /** performance.now() intervals during which this configuration ran (GC attribution). */
  readonly spans: number[];
}

/** Lines per slice: each configuration processes one slice, then the next configuration does. */
export const SLICE_LINES = 8192;

function take(r: Run, ts: AlertTransition[]): void {
  if (ts.length === 0) return;
  r.transitions += ts.length;
  r.h = fnv(r.h, JSON.stringify(ts));
}

function pushRange(r: Run, d: BenchData, from: number, to: number): void {
  const { buf, starts, ends } = d;
  const det = r.det;
  for (let i = from; i < to; i++) {
    if (det.push(buf.subarray(starts[i]!, ends[i]!)) !== undefined) r.errors++;
    if ((i & 1023) === 1023) {
      take(r, det.advance());
      if ((i & 65535) === 65535) {
        let g = 0;
        for (const p of det.engineStats().patterns) g += p.activeGroups;
        if (g > r.peakGroups) r.peakGroups = g;
      }
    }
  }
}

/** Runs `fn` as one measured slice of `r`. */
function slice(r: Run, fn: () => void): void {
  const s0 = threadSched();
  const p0 = performance.now();
  const t0 = process.hrtime.bigint();
  fn();
  const t1 = process.hrtime.bigint();
  const p1 = performance.now();
  const s1 = threadSched();
  r.cpuNs += s1.cpuNs - s0.cpuNs;
  r.waitNs += s1.waitNs - s0.waitNs;
  r.wallNs += Number(t1 - t0);
  r.spans.push(p0, p1);
}

/**
 * One repetition of every configuration over the whole input, interleaved by slices of
 * SLICE_LINES lines (A B C | C B A | A B C ...: ABBA order, so no configuration always follows
 * the same one): all configurations see the same moments of a noisy shared machine, which a
 * sequential A-then-B repetition does not. Each keeps its own Detection across slices (the
 * same stream as a sequential run: same transitions). Main-thread on-CPU and wall time are
 * summed over its slices; GC pauses are attributed by their start time to the slice running.
 */
async function interleavedRep(configs: readonly { key: string; set: readonly Pattern[]; path: DecodePath }[], d: BenchData): Promise<Run[]> {
  const runs: Run[] = configs.map((c) => ({ key: c.key, det: createDetection(c.set, { decodePath: c.path }), transitions: 0, h: 2166136261, peakGroups: 0, errors: 0, cpuNs: 0, waitNs: 0, wallNs: 0, spans: [] }));
  startGcCapture();
  for (let from = 0, n = 0; from < d.count; from += SLICE_LINES, n++) {
    const to = Math.min(d.count, from + SLICE_LINES);
    for (let j = 0; j < runs.length; j++) {
      const r = runs[(n & 1) === 0 ? j : runs.length - 1 - j]!;
      slice(r, () => pushRange(r, d, from, to));
    }
  }
  for (const r of runs) slice(r, () => take(r, r.det.flush()));
  const pauses = await takeGcPauses();
  (runs as (Run & { gc?: GcTotals })[]).forEach((r) => {
    r.gc = gcTotals(pauses.filter((p) => {
      for (let k = 0; k < r.spans.length; k += 2) if (p.start >= r.spans[k]! && p.start <= r.spans[k + 1]!) return true;
      return false;
    }));
  });
  return runs;
}

function harnessOnce(d: BenchData): number {
  let x = 0;
  for (let i = 0; i < d.count; i++) x += d.buf.subarray(d.starts[i]!, d.ends[i]!).length;
  return x;
}

/**
 * Stage breakdown on the first `n` lines: decode alone (each path), match alone (on fully
 * decoded events), engine alone (observe + advance every 1024 + flush, on pre-matched events).
 * Main-thread CPU ns per line, medians over `reps`.
 */
async function stages(sets: Record<string, Pattern[]>, paths: readonly DecodePath[], d: BenchData, n: number, reps: number): Promise<Record<string, number>> {
  const out: Record<string, number[]> = {};
  const add = (k: string, ns: number): void => void (out[k] ??= []).push(ns / n);
  for (const [setName, set] of Object.entries(sets)) {
    const given = decoderFieldsFor(set);
    const decoders = paths.map((p) => [p, createFastDecoder({ ...given, path: p })] as const);
    // Match and engine stages run on the events the pipeline gives them (extract: `needed` records).
    const pipelineDecode = createFastDecoder({ ...given, path: 'extract' });
    const evs: LogEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = pipelineDecode(d.buf.subarray(d.starts[i]!, d.ends[i]!));
      if (!isDecodeError(e)) evs.push(e);
    }
    const matcher = createMatcher(set);
    const ms: (readonly MatchResult[])[] = evs.map((e) => matcher(e));
    for (let r = 0; r < reps; r++) {
      for (const [p, dec] of decoders) {
        add(`decode:${p}/${setName}`, (await timed(() => { for (let i = 0; i < n; i++) dec(d.buf.subarray(d.starts[i]!, d.ends[i]!)); })).cpuNs);
      }
      const m2 = createMatcher(set);
      add(`match/${setName}`, (await timed(() => { for (let i = 0; i < evs.length; i++) m2(evs[i]!); })).cpuNs);
      add(`engine/${setName}`, (await timed(() => {
        const eng = createEngine(set);
        for (let i = 0; i < evs.length; i++) {
          eng.observe(evs[i]!, ms[i]!);
          if ((i & 1023) === 1023) eng.advance();
        }
        eng.flush();
      })).cpuNs);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, round(median(v), 1)]));
}

interface Sample {
  ns: number;
  cpuNs: number;
  waitNs: number;
  gc: GcTotals;
  heapUsedMb: number;
  load1: number;
}

export const engineScenario: Scenario = {
  description: 'decode -> match -> engine ablations (full / prefilter / extract) x (core / all patterns)',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const lines = args.lines ?? 1_000_000;
    const reps = args.reps ?? 3;
    const only = args.only?.filter((x) => x !== 'nostages');
    const paths = DECODE_PATHS.filter((p) => only === undefined || only.length === 0 || only.includes(p));
    const all = await loadPatterns('patterns');
    const sets: Record<string, Pattern[]> = { core: coreSet(all), all };
    const g0 = Date.now();
    const data = generateBenchData({ lines });
    const genMs = Date.now() - g0;

    // Configurations in a fixed order; within every slice each one runs (ABBA order, see interleavedRep).
    const configs = Object.entries(sets).flatMap(([setName, set]) => paths.map((p) => ({ key: `${p}/${setName}`, set, path: p })));
    // Warm-up (JIT), every configuration.
    const warm = generateBenchData({ lines: Math.min(200_000, lines), seed: 7 });
    await interleavedRep(configs, warm);

    const samples: Record<string, Sample[]> = {};
    const values: Record<string, RunValue> = {};
    const harness: number[] = [];
    const harnessCpu: number[] = [];
    /** Per repetition: all ÷ core on-CPU time, per decode path (the two ran interleaved). */
    const ratios: Record<string, number[]> = {};
    for (let r = 0; r < reps; r++) {
      const h = await timed(() => harnessOnce(data));
      harness.push(h.ns);
      harnessCpu.push(h.cpuNs);
      const l0 = load()[0]!;
      const runs = (await interleavedRep(configs, data)) as (Run & { gc: GcTotals })[];
      const l1 = load()[0]!;
      const heapUsedMb = Math.round(process.memoryUsage().heapUsed / 1048576);
      const byKey = new Map(runs.map((x) => [x.key, x]));
      for (const x of runs) {
        const v: RunValue = { transitions: x.transitions, digest: x.h.toString(16), peakGroups: x.peakGroups, decodeErrors: x.errors };
        (samples[x.key] ??= []).push({ ns: x.wallNs, cpuNs: x.cpuNs, waitNs: x.waitNs, gc: x.gc, heapUsedMb, load1: round((l0 + l1) / 2, 2) });
        const prev = values[x.key];
        if (prev !== undefined && prev.digest !== v.digest) throw new Error(`${x.key}: transitions differ between repetitions`);
        values[x.key] = v;
        process.stderr.write(`${x.key} rep ${r + 1}: cpu ${round(x.cpuNs / lines)} wall ${round(x.wallNs / lines)} ns/line, gc ${x.gc.totalMs} ms, load ${l0}-${l1}\n`);
      }
      for (const p of paths) {
        const a = byKey.get(`${p}/all`);
        const c = byKey.get(`${p}/core`);
        if (a && c) (ratios[p] ??= []).push(round(a.cpuNs / c.cpuNs, 3));
      }
      process.stderr.write(`rep ${r + 1} all/core: ${paths.map((p) => `${p} ${ratios[p]?.at(-1)}`).join(', ')}\n`);
    }
    for (const setName of Object.keys(sets)) {
      const digests = new Set(paths.map((p) => values[`${p}/${setName}`]!.digest));
      if (digests.size !== 1) throw new Error(`${setName}: decode paths produced different transitions: ${JSON.stringify([...digests])}`);
    }

    const results: Record<string, unknown> = {};
    for (const [key, ss] of Object.entries(samples)) {
      const ns = median(ss.map((s) => s.ns));
      const cpu = median(ss.map((s) => s.cpuNs));
      const v = values[key]!;
      results[key] = {
        // Main-thread on-CPU time: the steady figure on this shared box (see BENCHMARKS.md).
        cpuNsPerLine: round(cpu / lines, 1),
        cpuNsPerLineSpread: spread(ss.map((s) => s.cpuNs / lines)),
        linesPerCpuSec: Math.round(lines / (cpu / 1e9)),
        wallNsPerLine: round(ns / lines, 1),
        linesPerSec: Math.round(lines / (ns / 1e9)),
        runQueueWaitShare: round(median(ss.map((s) => s.waitNs / s.ns)), 2),
        gcPauseMs: median(ss.map((s) => s.gc.totalMs)),
        gcPauseNsPerLine: round((median(ss.map((s) => s.gc.totalMs)) * 1e6) / lines, 1),
        gcMaxPauseMs: Math.max(...ss.map((s) => s.gc.maxMs)),
        gcByKind: ss[ss.length >> 1]!.gc.byKind,
        heapUsedMb: median(ss.map((s) => s.heapUsedMb)),
        repsCpuNsPerLine: ss.map((s) => round(s.cpuNs / lines, 1)),
        repsWallNsPerLine: ss.map((s) => round(s.ns / lines, 1)),
        load1: ss.map((s) => s.load1),
        transitions: v.transitions,
        digest: v.digest,
        peakLiveGroups: v.peakGroups,
        decodeErrors: v.decodeErrors,
      };
    }
    const stageLines = Math.min(150_000, lines);
    const stageCpuNsPerLine = args.only?.includes('nostages') ? undefined : await stages(sets, paths, data, stageLines, reps);
    return {
      lines,
      reps,
      avgBytes: data.avgBytes,
      eventTimeSpanS: round((data.lastTime - data.firstTime) / 1000),
      generateMs: genMs,
      patterns: { core: sets.core!.length, all: all.length },
      harnessCpuNsPerLine: round(median(harnessCpu) / lines, 1),
      harnessWallNsPerLine: round(median(harness) / lines, 1),
      results,
      stageLines,
      stageCpuNsPerLine,
      sliceLines: SLICE_LINES,
      // all ÷ core on-CPU time per repetition (interleaved slices), its median and range.
      allVsCore: Object.fromEntries(paths.filter((p) => ratios[p] !== undefined).map((p) => [p, { ...spread(ratios[p]!, 3), reps: ratios[p] }])),
      loadEnd: load(),
    };
  },
};
