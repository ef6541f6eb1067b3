/**
 * Scenario `engine-isolated`: the all ÷ core throughput ratio of scenario `engine` (issue 4), the
 * way a deployment sees it: each pattern set in its own process (one pattern set per service),
 * so the two never share caches, JIT feedback or heap. `engine` interleaves every configuration
 * in one process, which cancels the machine's drift but lets the configurations evict each
 * other's working sets (its ratio depends on how many configurations run: BENCHMARKS.md).
 *
 * Pairs of child processes in ABBA order (core then all, all then core, ...); each child
 * generates the same input, warms up on 200k other lines, then measures `passes` passes of
 * decode -> match -> engine (createDetection, extract path unless --only full) with main-thread
 * on-CPU time. The ratio is taken per pair (adjacent in time), then its median and range.
 * Every child of a set must produce the same transitions digest as scenario `engine`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadPatterns } from '../../src/config/index.js';
import type { DecodePath } from '../../src/decode/fast.js';
import type { AlertTransition } from '../../src/model/transition.js';
import { createDetection } from '../../src/pipeline.js';
import { CORE_FILES } from './engine.js';
import { generateBenchData } from './lib/data.js';
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

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** One child: one pattern set, one decode path. */
async function child(set: string, lines: number, passes: number, path: DecodePath): Promise<ChildResult> {
  const all = await loadPatterns('patterns');
  const coreIds = new Set(CORE_FILES.flatMap((f) => (parse(readFileSync(`patterns/${f}`, 'utf8')) as { id: string }[]).map((p) => p.id)));
  const patterns = set === 'core' ? all.filter((p) => coreIds.has(p.id)) : all;
  const feed = (d: ReturnType<typeof generateBenchData>, onTransitions?: (ts: AlertTransition[]) => void): void => {
    const det = createDetection(patterns, { decodePath: path });
    for (let i = 0; i < d.count; i++) {
      det.push(d.buf.subarray(d.starts[i]!, d.ends[i]!));
      if ((i & 1023) === 1023) onTransitions?.(det.advance());
    }
    onTransitions?.(det.flush());
  };
  feed(generateBenchData({ lines: Math.min(200_000, lines), seed: 7 }));
  const data = generateBenchData({ lines });
  const cpu: number[] = [];
  let h = 2166136261;
  let transitions = 0;
  for (let p = 0; p < passes; p++) {
    let ph = 2166136261;
    let pt = 0;
    const s0 = threadSched().cpuNs;
    feed(data, (ts) => {
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
    const passes = 2;
    // `--only concurrent`: the two children of a pair run at the same time (2+ cores).
    const concurrent = args.only?.includes('concurrent') ?? false;
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

if (process.argv[2] === '--child') {
  const [set, lines, passes, path] = process.argv.slice(3);
  const r = await child(set!, Number(lines), Number(passes), path as DecodePath);
  console.log(JSON.stringify(r));
}
