/**
 * Scenario `engine`: decode -> match -> engine (createDetection), in process, one core, over
 * deterministic ~300-byte lines held in one memory buffer (test/bench/lib/data.ts), each pushed
 * as a Uint8Array view (what Kafka hands the service). Ablations of the decode path
 * (src/decode/fast.ts): full JSON.parse / prefilter / extract, each with the core patterns
 * (webhooks.yaml, http.yaml, jobs.yaml: 7) and with every bundled pattern (21).
 *
 * Repetitions are interleaved (full, prefilter, extract, full, ...) so background load spreads
 * over all configurations; medians are reported. `harness` is the cost of the loop and the
 * buffer views alone (included in every figure). Every configuration must produce the same
 * transitions (digest), else the run fails.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadPatterns } from '../../src/config/index.js';
import { createFastDecoder, DECODE_PATHS } from '../../src/decode/fast.js';
import { createEngine } from '../../src/engine/engine.js';
import { createMatcher, neededEventNames, neededFields } from '../../src/match/index.js';
import { isDecodeError } from '../../src/model/event.js';
import type { LogEvent } from '../../src/model/event.js';
import type { MatchResult } from '../../src/model/match.js';
import type { DecodePath } from '../../src/decode/fast.js';
import type { Pattern } from '../../src/model/pattern.js';
import type { AlertTransition } from '../../src/model/transition.js';
import { createDetection } from '../../src/pipeline.js';
import { generateBenchData } from './lib/data.js';
import type { BenchData } from './lib/data.js';
import { load, median, round, timed } from './lib/measure.js';
import type { GcTotals } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';

export const CORE_FILES = ['webhooks.yaml', 'http.yaml', 'jobs.yaml'];

interface RunValue {
  transitions: number;
  digest: string;
  peakGroups: number;
  decodeErrors: number;
}

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function runOnce(patterns: readonly Pattern[], path: DecodePath, d: BenchData): RunValue {
  const det = createDetection(patterns, { decodePath: path });
  const { buf, starts, ends, count } = d;
  let transitions = 0;
  let h = 2166136261;
  let peakGroups = 0;
  let errors = 0;
  const take = (ts: AlertTransition[]): void => {
    if (ts.length === 0) return;
    transitions += ts.length;
    h = fnv(h, JSON.stringify(ts));
  };
  for (let i = 0; i < count; i++) {
    if (det.push(buf.subarray(starts[i]!, ends[i]!)) !== undefined) errors++;
    if ((i & 1023) === 1023) {
      take(det.advance());
      if ((i & 65535) === 65535) {
        let g = 0;
        for (const p of det.engineStats().patterns) g += p.activeGroups;
        if (g > peakGroups) peakGroups = g;
      }
    }
  }
  take(det.flush());
  return { transitions, digest: h.toString(16), peakGroups, decodeErrors: errors };
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
    const fields = neededFields(set);
    const names = neededEventNames(set);
    const decoders = paths.map((p) => [p, createFastDecoder({ fields, names, path: p })] as const);
    const full = createFastDecoder({ fields, names, path: 'full' });
    const evs: LogEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = full(d.buf.subarray(d.starts[i]!, d.ends[i]!));
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
    const coreIds = new Set(CORE_FILES.flatMap((f) => (parse(readFileSync(`patterns/${f}`, 'utf8')) as { id: string }[]).map((p) => p.id)));
    const sets: Record<string, Pattern[]> = { core: all.filter((p) => coreIds.has(p.id)), all };
    const g0 = Date.now();
    const data = generateBenchData({ lines });
    const genMs = Date.now() - g0;

    // Warm-up (JIT) on a slice, every configuration.
    const warm = generateBenchData({ lines: Math.min(200_000, lines), seed: 7 });
    for (const set of Object.values(sets)) for (const p of paths) runOnce(set, p, warm);

    const samples: Record<string, Sample[]> = {};
    const values: Record<string, RunValue> = {};
    const harness: number[] = [];
    const harnessCpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const h = await timed(() => harnessOnce(data));
      harness.push(h.ns);
      harnessCpu.push(h.cpuNs);
      for (const [setName, set] of Object.entries(sets)) {
        for (const p of paths) {
          const key = `${p}/${setName}`;
          const t = await timed(() => runOnce(set, p, data));
          (samples[key] ??= []).push({ ns: t.ns, cpuNs: t.cpuNs, waitNs: t.waitNs, gc: t.gc, heapUsedMb: t.heapUsedMb, load1: load()[0]! });
          const prev = values[key];
          if (prev !== undefined && prev.digest !== t.value.digest) throw new Error(`${key}: transitions differ between repetitions`);
          values[key] = t.value;
          process.stderr.write(`${key} rep ${r + 1}: cpu ${round(t.cpuNs / lines)} wall ${round(t.ns / lines)} ns/line, gc ${t.gc.totalMs} ms, load ${load().join(' ')}\n`);
        }
      }
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
    const ratio = (p: DecodePath): number | undefined => {
      const a = results[`${p}/all`] as { cpuNsPerLine: number } | undefined;
      const c = results[`${p}/core`] as { cpuNsPerLine: number } | undefined;
      return a && c ? round(a.cpuNsPerLine / c.cpuNsPerLine, 3) : undefined;
    };
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
      allVsCore: Object.fromEntries(paths.map((p) => [p, ratio(p)])),
      loadEnd: load(),
    };
  },
};
