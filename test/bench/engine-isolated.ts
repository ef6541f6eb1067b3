/**
 * Scenario `engine-isolated`: the all ÷ core throughput ratio of scenario `engine` (issue 4), the
 * way a deployment sees it: each pattern set in its own process (one pattern set per service),
 * so the two never share caches, JIT feedback or heap. `engine` interleaves every configuration
 * in one process, which cancels the machine's drift but lets the configurations share type
 * feedback and inlining decisions and evict each other's working sets (its ratio depends on how
 * many configurations run: BENCHMARKS.md).
 *
 * Default mode, lockstep: two child processes (core, all) each generate the same input and warm
 * up on 200k other lines, then the parent has them process the input slice by slice
 * (SLICE_LINES lines of decode -> match -> engine, createDetection, extract path unless --only
 * full) in ABBA order over an IPC channel: while one child works the other waits, so both see
 * the same moments of this noisy machine, as in `engine`, without sharing a process. Each child
 * measures the main-thread on-CPU time of its own slices. One repetition = one pass over the
 * input with a fresh Detection in each child; the ratio is taken per repetition, then its
 * median and range.
 *
 * `--only sequential`: the older mode, pairs of child processes run one after the other in ABBA
 * order (each child: 2 passes, median); `--only concurrent`: both children of a pair at once,
 * one per core. Every child of a set must produce the same transitions digest as scenario
 * `engine`.
 */
import { execFile, fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadPatterns } from '../../src/config/index.js';
import type { DecodePath } from '../../src/decode/fast.js';
import type { Pattern } from '../../src/model/pattern.js';
import type { AlertTransition } from '../../src/model/transition.js';
import { createDetection } from '../../src/pipeline.js';
import type { Detection } from '../../src/pipeline.js';
import { coreSet, fnv, SLICE_LINES } from './engine.js';
import { generateBenchData } from './lib/data.js';
import type { BenchData } from './lib/data.js';
import { load, median, round, spread, threadSched } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

interface ChildResult {
  set: string;
  cpuNsPerLine: number[];
  transitions: number;
  digest: string;
}

/** One pass of `d` through a fresh Detection (advance every 1,024 lines, flush at the end). */
function feed(patterns: readonly Pattern[], path: DecodePath, d: BenchData, onTransitions?: (ts: AlertTransition[]) => void): void {
  const det = createDetection(patterns, { decodePath: path });
  for (let i = 0; i < d.count; i++) {
    det.push(d.buf.subarray(d.starts[i]!, d.ends[i]!));
    if ((i & 1023) === 1023) onTransitions?.(det.advance());
  }
  onTransitions?.(det.flush());
}

/** Warm-up of a child: one pass over 200k other lines (another seed). */
function warmUp(patterns: readonly Pattern[], path: DecodePath, lines: number): void {
  feed(patterns, path, generateBenchData({ lines: Math.min(200_000, lines), seed: 7 }));
}

/** One child: one pattern set, one decode path. */
async function child(set: string, lines: number, passes: number, path: DecodePath): Promise<ChildResult> {
  const patterns = await setPatterns(set);
  warmUp(patterns, path, lines);
  const data = generateBenchData({ lines });
  const cpu: number[] = [];
  let h = 2166136261;
  let transitions = 0;
  for (let p = 0; p < passes; p++) {
    let ph = 2166136261;
    let pt = 0;
    const s0 = threadSched().cpuNs;
    feed(patterns, path, data, (ts) => {
      if (ts.length === 0) return;
      pt += ts.length;
      ph = fnv(ph, JSON.stringify(ts));
    });
    cpu.push(round((threadSched().cpuNs - s0) / lines, 1));
    h = ph;
    transitions = pt;
  }
  return { set, cpuNsPerLine: cpu, transitions, digest: h.toString(16) };
}

/** The patterns of a set (`core`: CORE_FILES; `all`: every bundled file). */
async function setPatterns(set: string): Promise<Pattern[]> {
  const all = await loadPatterns('patterns');
  return set === 'core' ? coreSet(all) : all;
}

/** Lockstep protocol (parent -> child over the IPC channel). */
type LockstepCommand = { op: 'start' } | { op: 'slice'; from: number; to: number } | { op: 'end' } | { op: 'exit' };

/** Lockstep child: waits for commands; answers every command with one message. */
async function lockstepChild(set: string, lines: number, path: DecodePath): Promise<void> {
  const patterns = await setPatterns(set);
  warmUp(patterns, path, lines);
  const d = generateBenchData({ lines });
  // Created by each `start`: one pass = one fresh Detection.
  let det: Detection | undefined;
  let h = 2166136261;
  let transitions = 0;
  const take = (ts: AlertTransition[]): void => {
    if (ts.length === 0) return;
    transitions += ts.length;
    h = fnv(h, JSON.stringify(ts));
  };
  process.on('message', (c: LockstepCommand) => {
    if (c.op === 'start') {
      det = createDetection(patterns, { decodePath: path });
      h = 2166136261;
      transitions = 0;
      process.send!({ ok: true, count: d.count });
    } else if (c.op === 'slice') {
      if (det === undefined) throw new Error('lockstep: slice before start');
      const s0 = threadSched().cpuNs;
      for (let i = c.from; i < c.to; i++) {
        det.push(d.buf.subarray(d.starts[i]!, d.ends[i]!));
        if ((i & 1023) === 1023) take(det.advance());
      }
      process.send!({ cpuNs: threadSched().cpuNs - s0 });
    } else if (c.op === 'end') {
      if (det === undefined) throw new Error('lockstep: end before start');
      const s0 = threadSched().cpuNs;
      take(det.flush());
      process.send!({ cpuNs: threadSched().cpuNs - s0, digest: h.toString(16), transitions });
    } else process.exit(0);
  });
  process.send!({ ready: true });
}

/** A forked lockstep child and a request/reply helper over its IPC channel. */
interface Lockstep {
  readonly set: string;
  ask<T>(c: LockstepCommand): Promise<T>;
  close(): void;
}

function forkLockstep(set: string, lines: number, path: DecodePath): Promise<Lockstep> {
  const cp: ChildProcess = fork(SELF, ['--lockstep-child', set, String(lines), path], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void } | undefined;
  let failed: Error | undefined;
  cp.on('message', (m) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(m);
  });
  cp.on('exit', (code) => {
    failed = new Error(`lockstep child ${set} exited with ${String(code)}`);
    waiting?.reject(failed);
    waiting = undefined;
  });
  const next = <T>(): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failed !== undefined) return reject(failed);
      waiting = { resolve: (m) => resolve(m as T), reject };
    });
  return next<{ ready: boolean }>().then(() => ({
    set,
    ask<T>(c: LockstepCommand): Promise<T> {
      const r = next<T>();
      cp.send(c);
      return r;
    },
    close: () => void cp.send({ op: 'exit' }),
  }));
}

/** Lockstep mode: `reps` passes over the input, the two children interleaved by slices (ABBA). */
async function runLockstep(lines: number, reps: number, path: DecodePath): Promise<Record<string, unknown>> {
  const kids = await Promise.all(['core', 'all'].map((set) => forkLockstep(set, lines, path)));
  const ratios: number[] = [];
  const per: Record<string, number[]> = { core: [], all: [] };
  const digests: Record<string, Set<string>> = { core: new Set(), all: new Set() };
  const loads: number[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      const counts = await Promise.all(kids.map((k) => k.ask<{ count: number }>({ op: 'start' })));
      const n = counts[0]!.count;
      const cpu: [number, number] = [0, 0];
      for (let from = 0, k = 0; from < n; from += SLICE_LINES, k++) {
        const to = Math.min(n, from + SLICE_LINES);
        for (let j = 0; j < 2; j++) {
          const x = ((k & 1) === 0 ? j : 1 - j) as 0 | 1;
          cpu[x] += (await kids[x]!.ask<{ cpuNs: number }>({ op: 'slice', from, to })).cpuNs;
        }
      }
      for (const x of [0, 1] as const) {
        const e = await kids[x]!.ask<{ cpuNs: number; digest: string; transitions: number }>({ op: 'end' });
        cpu[x] += e.cpuNs;
        digests[kids[x]!.set]!.add(`${e.digest}/${e.transitions}`);
      }
      const c = round(cpu[0]! / n, 1);
      const a = round(cpu[1]! / n, 1);
      per.core!.push(c);
      per.all!.push(a);
      ratios.push(round(a / c, 3));
      loads.push(load()[0]!);
      process.stderr.write(`lockstep rep ${rep + 1}: core ${c} all ${a} ns/line, all/core ${ratios.at(-1)}, load ${loads.at(-1)}\n`);
    }
  } finally {
    for (const k of kids) k.close();
  }
  for (const set of ['core', 'all']) if (digests[set]!.size !== 1) throw new Error(`${set}: passes produced different transitions: ${[...digests[set]!].join(', ')}`);
  return {
    mode: 'lockstep',
    lines,
    reps,
    sliceLines: SLICE_LINES,
    path,
    cpuNsPerLine: { core: spread(per.core!), all: spread(per.all!) },
    allVsCore: { ...spread(ratios, 3), reps: ratios },
    digests: { core: [...digests.core!][0], all: [...digests.all!][0] },
    load1: loads,
  };
}

async function spawnChild(set: string, lines: number, passes: number, path: DecodePath): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SELF, '--child', set, String(lines), String(passes), path], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
}

export const engineIsolatedScenario: Scenario = {
  description: 'all / core throughput, each pattern set in its own process (ABBA pairs of child processes)',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const lines = args.lines ?? 300_000;
    const pairs = args.reps ?? 7;
    const path: DecodePath = args.only?.includes('full') ? 'full' : 'extract';
    // `--only concurrent`: the two children of a pair run at the same time (2+ cores).
    const concurrent = args.only?.includes('concurrent') ?? false;
    if (!concurrent && !(args.only?.includes('sequential') ?? false)) return runLockstep(lines, pairs, path);
    const passes = 2;
    const ratios: number[] = [];
    const per: Record<string, number[]> = { core: [], all: [] };
    const digests: Record<string, Set<string>> = { core: new Set(), all: new Set() };
    const loads: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? ['core', 'all'] : ['all', 'core'];
      const got: Record<string, ChildResult> = {};
      if (concurrent) {
        // Both at once, one per core: they see the same moments of the machine.
        const [x, y] = await Promise.all(order.map((set) => spawnChild(set, lines, passes, path)));
        got[order[0]!] = x!;
        got[order[1]!] = y!;
      } else for (const set of order) got[set] = await spawnChild(set, lines, passes, path);
      loads.push(load()[0]!);
      // Per child: the median of its passes; per pair: all / core.
      const c = median(got.core!.cpuNsPerLine);
      const a = median(got.all!.cpuNsPerLine);
      per.core!.push(c);
      per.all!.push(a);
      ratios.push(round(a / c, 3));
      for (const set of order) digests[set]!.add(`${got[set]!.digest}/${got[set]!.transitions}`);
      process.stderr.write(`pair ${i + 1} (${order.join(' then ')}): core ${c} all ${a} ns/line, all/core ${ratios.at(-1)}, load ${loads.at(-1)}\n`);
    }
    for (const set of ['core', 'all']) if (digests[set]!.size !== 1) throw new Error(`${set}: children produced different transitions: ${[...digests[set]!].join(', ')}`);
    return {
      mode: concurrent ? 'concurrent' : 'sequential',
      lines,
      pairs,
      passesPerChild: passes,
      concurrent,
      path,
      cpuNsPerLine: { core: spread(per.core!), all: spread(per.all!) },
      allVsCore: { ...spread(ratios, 3), reps: ratios },
      digests: { core: [...digests.core!][0], all: [...digests.all!][0] },
      load1: loads,
    };
  },
};

if (process.argv[2] === '--lockstep-child') {
  const [set, lines, path] = process.argv.slice(3);
  await lockstepChild(set!, Number(lines), path as DecodePath);
}

if (process.argv[2] === '--child') {
  const [set, lines, passes, path] = process.argv.slice(3);
  const r = await child(set!, Number(lines), Number(passes), path as DecodePath);
  console.log(JSON.stringify(r));
}
