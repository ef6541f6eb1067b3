/**
 * Scenario `memory` (issue 8, scenario 5, short version): memory of the detection path
 * (createDetection, in process) holding G active groups, G = 100,000 and 1,000,000 (targets:
 * RSS <= 150 MB and <= 600 MB). One threshold pattern with `group_by: [user_id]` (window 5m,
 * resolution 10s, max_groups 1,000,000; `--only 1h` adds a window 1h / resolution 1m variant: a
 * group's bucket ring is window/resolution Float64 slots) and G lines whose user ids are all
 * distinct, spread over 2 minutes of event time, so every group is live at the end. Each size runs in its own child process with
 * `--expose-gc`; RSS, VmHWM and heapUsed are read after two forced GCs, before and after.
 *
 * The soak of scenario 5 (`--only soak[,minutes=30][,groups=1000000]`, instead of the sizes):
 * the same pattern fed flat out with churn so that ~`groups` groups stay live while old keys go
 * idle and are evicted: 80% of lines open a new key, 19% repeat a key opened up to ~50 s of event
 * time before, 1% go to 1,000 hot keys (renamed every 10 minutes of event time, so their alerts
 * fire, resolve and their groups are evicted too). Event time advances 0.303 ms per line: a
 * group lives ~356 s of event time (5m window, 30 s grace, up to two 10 s buckets, repeats),
 * which holds 0.8 x 356 s / 0.303 ms = ~940,000 new keys, swinging by ~3% with each 10 s
 * boundary, under max_groups (1,000,000; no key should reach the overflow group). RSS and heapUsed are sampled (no forced GC)
 * every 30 s of wall time; the result has the RSS and heapUsed slopes (least squares, MB/min) over
 * the last 20 minutes (the last two thirds of a shorter run).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { parsePatterns } from '../../src/config/index.js';
import { createDetection } from '../../src/pipeline.js';
import { load, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { isMain, procSample, runChild } from './lib/stack.js';

const pattern = (window: string, resolution: string, maxGroups = 1_000_000): string => `
- id: bench-memory-failed-logins
  description: Failed logins per user (memory benchmark)
  match:
    event: login_failed
  group_by: [user_id]
  max_groups: ${maxGroups}
  detect:
    type: threshold
    window: ${window}
    resolution: ${resolution}
    op: '>='
    value: 5
  severity: warning
  summary: "{{group.user_id}} failed to log in {{value}} times"
`;

interface MemoryResult {
  groups: number;
  window: string;
  resolution: string;
  activeGroups: number;
  transitions: number;
  baseline: { rssMb: number; heapUsedMb: number };
  after: { rssMb: number; hwmMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number };
  /** (heapUsed after - baseline) / groups. */
  heapBytesPerGroup: number;
  rssBytesPerGroup: number;
  pushNsPerLine: number;
  /** On-CPU time (user + system, this process) per line while pushing: robust to a loaded box. */
  pushCpuNsPerLine: number;
  /** Number and total duration of GC pauses while pushing (PerformanceObserver). */
  gcCount: number;
  gcMs: number;
}

const mb = (b: number): number => round(b / 1048576, 1);

function gcTwice(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('memory: run with node --expose-gc (the scenario spawns its child that way)');
  g();
  g();
}

async function child(groups: number, window: string, resolution: string, snapDir?: string): Promise<void> {
  const patterns = parsePatterns(pattern(window, resolution), 'bench-memory.yaml');
  const det = createDetection(patterns);
  gcTwice();
  const b = process.memoryUsage();
  if (snapDir !== undefined) writeHeapSnapshot(join(snapDir, 'before.heapsnapshot'));
  const baseline = { rssMb: mb(b.rss), heapUsedMb: mb(b.heapUsed) };
  const t0 = Date.parse('2026-11-20T12:00:00.000Z');
  const spanMs = 2 * 60_000;
  let transitions = 0;
  let gcCount = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < groups; i++) {
    const ts = new Date(t0 + Math.floor((i * spanMs) / groups)).toISOString();
    const line = `{"timestamp":"${ts}","level":"warning","event":"login_failed","logger":"app.auth","user_id":"user-${String(i).padStart(9, '0')}","client_ip":"10.${i & 255}.${(i >> 8) & 255}.7","reason":"bad_password"}`;
    det.push(Buffer.from(line));
    if ((i & 1023) === 1023) {
      transitions += det.advance().length;
      // Lets the PerformanceObserver receive its GC entries.
      if ((i & 16383) === 16383) await new Promise((r) => setImmediate(r));
    }
  }
  transitions += det.advance().length;
  const pushNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  gcTwice();
  const a = process.memoryUsage();
  const ps = procSample(process.pid);
  let active = 0;
  for (const p of det.engineStats().patterns) active += p.activeGroups;
  const r: MemoryResult = {
    groups,
    window,
    resolution,
    activeGroups: active,
    transitions,
    baseline,
    after: { rssMb: mb(a.rss), hwmMb: ps.hwmMb, heapUsedMb: mb(a.heapUsed), heapTotalMb: mb(a.heapTotal), externalMb: mb(a.external) },
    heapBytesPerGroup: Math.round((a.heapUsed - b.heapUsed) / groups),
    rssBytesPerGroup: Math.round((a.rss - b.rss) / groups),
    pushNsPerLine: Math.round(pushNs / groups),
    pushCpuNsPerLine: Math.round(((cpu.user + cpu.system) * 1000) / groups),
    gcCount,
    gcMs: Math.round(gcMs),
  };
  if (snapDir !== undefined) writeHeapSnapshot(join(snapDir, 'after.heapsnapshot'));
  // Keep det reachable until after the measurement.
  if (det.counters().read !== groups) throw new Error('memory: not every line was read');
  process.stdout.write(JSON.stringify(r) + '\n');
}

interface HeapRow {
  /** V8 node type and constructor; plain objects/arrays by their first property names; strings by length. */
  what: string;
  objectsPerGroup: number;
  bytesPerGroup: number;
}

/** Self sizes of a .heapsnapshot aggregated by kind (see HeapRow.what). */
function heapKinds(file: string): Map<string, [number, number]> {
  interface Snap {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  }
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snap;
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const [ti, ni, si, eci] = ['type', 'name', 'self_size', 'edge_count'].map((f) => m.node_fields.indexOf(f)) as [number, number, number, number];
  const types = m.node_types[0];
  const etypes = m.edge_types[0];
  const out = new Map<string, [number, number]>();
  let ei = 0;
  for (let i = 0; i < s.nodes.length; i += nf) {
    const t = types[s.nodes[i + ti]!]!;
    const name = s.strings[s.nodes[i + ni]!]!;
    const ec = s.nodes[i + eci]!;
    let k: string;
    if (t === 'string') k = `string (length ~${name.length < 64 ? Math.round(name.length / 8) * 8 : Math.round(name.length / 64) * 64})`;
    else if (t === 'object' && (name === 'Object' || name === 'Array')) {
      const props: string[] = [];
      for (let j = 0; j < ec && props.length < 4; j++) if (etypes[s.edges[ei + j * ef]!] === 'property') props.push(s.strings[s.edges[ei + j * ef + 1]!]!);
      k = `${name}{${props.join(',')}}`;
    } else k = `${t}:${name.slice(0, 50)}`;
    const e = out.get(k) ?? [0, 0];
    e[0]++;
    e[1] += s.nodes[i + si]!;
    out.set(k, e);
    ei += ec * ef;
  }
  return out;
}

/** `--only heap[,groups=20000]`: heap snapshots before/after G groups, the per-group difference by kind. */
async function heapBreakdown(groups: number): Promise<{ groups: number; memory: MemoryResult; rows: HeapRow[]; totalBytesPerGroup: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-heap-'));
  try {
    const memory = await runChild<MemoryResult>(fileURLToPath(import.meta.url), ['--child', String(groups), '5m', '10s', dir], ['--expose-gc']);
    const a = heapKinds(join(dir, 'before.heapsnapshot'));
    const b = heapKinds(join(dir, 'after.heapsnapshot'));
    const rows: HeapRow[] = [];
    let total = 0;
    for (const [k, [c, sz]] of b) {
      const [c0, s0] = a.get(k) ?? [0, 0];
      total += sz - s0;
      rows.push({ what: k, objectsPerGroup: round((c - c0) / groups, 2), bytesPerGroup: round((sz - s0) / groups, 1) });
    }
    rows.sort((x, y) => y.bytesPerGroup - x.bytesPerGroup);
    return { groups, memory, rows: rows.filter((r) => Math.abs(r.bytesPerGroup) >= 4), totalBytesPerGroup: round(total / groups, 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface SoakSample {
  atS: number;
  rssMb: number;
  heapUsedMb: number;
  activeGroups: number;
  evictedGroups: number;
  lines: number;
  eventTimeMin: number;
  load1: number;
  /** Every 5 minutes: RSS and heapUsed right after two forced full GCs (live size). */
  gc?: { rssMb: number; heapUsedMb: number };
}

interface SoakResult {
  minutes: number;
  targetGroups: number;
  samples: SoakSample[];
  slopeWindowMin: number;
  rssSlopeMbPerMin: number;
  heapUsedSlopeMbPerMin: number;
  /** Slopes of the forced-GC samples (every 5 min) over the same window. */
  gcRssSlopeMbPerMin: number;
  gcHeapUsedSlopeMbPerMin: number;
  /** Events folded into the overflow group (0 expected). */
  overflowEvents: number;
  activeGroupsMin: number;
  activeGroupsMax: number;
  evictedGroups: number;
  lines: number;
  transitions: number;
  linesPerS: number;
  hwmMb: number;
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function soakChild(minutes: number, groups: number): void {
  // max_groups above the live count (config maximum 1,000,000): the soak measures eviction,
  // not the overflow group (`overflowEvents` in the result says whether any key overflowed).
  const patterns = parsePatterns(pattern('5m', '10s', Math.min(1_000_000, 2 * groups)), 'bench-memory.yaml');
  const det = createDetection(patterns);
  const rand = rng(8);
  const t0 = Date.parse('2026-11-20T12:00:00.000Z');
  // New keys per line 0.8; a group lives ~356 s of event time after its first event (5m window,
  // 30 s grace before its boundaries are evaluated, up to two 10 s buckets, ~6 s more on average
  // from repeats). Aim at 94% of `groups` on average: the live count swings by one 10 s bucket
  // of keys (~3%) around it and must stay under max_groups.
  const stepMs = (0.8 * 356_000) / (0.94 * groups);
  const recentSpan = Math.max(1, Math.round(50_000 / stepMs));
  const hotEveryMs = 10 * 60_000;
  const start = Date.now();
  const endAt = start + minutes * 60_000;
  const sampleEveryMs = 30_000;
  const gcEveryMs = 5 * 60_000;
  let nextSample = start + sampleEveryMs;
  let nextGc = start + gcEveryMs;
  const samples: SoakSample[] = [];
  let lines = 0;
  let newKeys = 0;
  let transitions = 0;
  const stats = (): { active: number; evicted: number } => {
    let active = 0;
    let evicted = 0;
    for (const p of det.engineStats().patterns) {
      active += p.activeGroups;
      evicted += p.evictedGroups;
    }
    return { active, evicted };
  };
  for (;;) {
    for (let k = 0; k < 1024; k++, lines++) {
      const time = t0 + lines * stepMs;
      const r = rand();
      let user: string;
      if (r < 0.8 || newKeys === 0) user = `user-${String(newKeys++).padStart(10, '0')}`;
      else if (r < 0.99) user = `user-${String(Math.max(0, newKeys - 1 - Math.floor(rand() * recentSpan))).padStart(10, '0')}`;
      else user = `hot-${Math.floor((time - t0) / hotEveryMs)}-${Math.floor(rand() * 1000)}`;
      const line = `{"timestamp":"${new Date(time).toISOString()}","level":"warning","event":"login_failed","logger":"app.auth","user_id":"${user}","client_ip":"10.${lines & 255}.${(lines >> 8) & 255}.7","reason":"bad_password"}`;
      det.push(Buffer.from(line));
    }
    transitions += det.advance().length;
    const now = Date.now();
    if (now >= nextSample) {
      nextSample += sampleEveryMs;
      const m = process.memoryUsage();
      const st = stats();
      const s: SoakSample = {
        atS: Math.round((now - start) / 1000),
        rssMb: mb(m.rss),
        heapUsedMb: mb(m.heapUsed),
        activeGroups: st.active,
        evictedGroups: st.evicted,
        lines,
        eventTimeMin: round((lines * stepMs) / 60_000, 1),
        load1: load()[0]!,
      };
      if (now >= nextGc || now >= endAt) {
        nextGc += gcEveryMs;
        gcTwice();
        const g = process.memoryUsage();
        s.gc = { rssMb: mb(g.rss), heapUsedMb: mb(g.heapUsed) };
        process.stderr.write(`soak ${s.atS}s after forced GC: rss ${s.gc.rssMb} MB, heapUsed ${s.gc.heapUsedMb} MB\n`);
      }
      samples.push(s);
      process.stderr.write(`soak ${s.atS}s: rss ${s.rssMb} MB, heapUsed ${s.heapUsedMb} MB, active ${s.activeGroups}, evicted ${s.evictedGroups}, lines ${lines}, event time +${s.eventTimeMin} min, load ${s.load1}\n`);
    }
    if (now >= endAt && samples.at(-1)?.gc !== undefined) break;
    if (now >= endAt) nextSample = now;
  }
  const windowMin = minutes >= 30 ? 20 : (minutes * 2) / 3;
  const tail = samples.filter((x) => x.atS >= minutes * 60 - windowMin * 60);
  const xs = tail.map((x) => x.atS / 60);
  const gcTail = tail.filter((x) => x.gc !== undefined);
  const gxs = gcTail.map((x) => x.atS / 60);
  const active = tail.map((x) => x.activeGroups);
  const r: SoakResult = {
    minutes,
    targetGroups: groups,
    samples,
    slopeWindowMin: round(windowMin, 1),
    rssSlopeMbPerMin: round(slope(xs, tail.map((x) => x.rssMb)), 2),
    heapUsedSlopeMbPerMin: round(slope(xs, tail.map((x) => x.heapUsedMb)), 2),
    gcRssSlopeMbPerMin: round(slope(gxs, gcTail.map((x) => x.gc!.rssMb)), 2),
    gcHeapUsedSlopeMbPerMin: round(slope(gxs, gcTail.map((x) => x.gc!.heapUsedMb)), 2),
    overflowEvents: det.engineStats().patterns.reduce((a, p) => a + p.overflow, 0),
    activeGroupsMin: Math.min(...active),
    activeGroupsMax: Math.max(...active),
    evictedGroups: stats().evicted,
    lines,
    transitions,
    linesPerS: Math.round(lines / ((Date.now() - start) / 1000)),
    hwmMb: procSample(process.pid).hwmMb,
  };
  process.stdout.write(JSON.stringify(r) + '\n');
}

/** `--only soak,minutes=3,groups=100000`: the soak's options from the `--only` list. */
function soakOptions(only: readonly string[]): { minutes: number; groups: number } {
  const num = (k: string, d: number): number => {
    const v = only.find((o) => o.startsWith(`${k}=`));
    const n = v === undefined ? d : Number(v.slice(k.length + 1));
    if (!(n > 0)) throw new Error(`memory soak: bad ${k} in --only (${v})`);
    return n;
  };
  return { minutes: num('minutes', 30), groups: num('groups', 1_000_000) };
}

export const memoryScenario: Scenario = {
  description: 'RSS / heap of the detection path at 100k and 1M active groups (threshold, group_by), forced GC',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    if (args.only?.includes('heap')) {
      const g = Number(args.only.find((o) => o.startsWith('groups='))?.slice(7) ?? 20_000);
      const h = await heapBreakdown(g);
      for (const r of h.rows.slice(0, 16)) process.stderr.write(`${String(r.bytesPerGroup).padStart(8)} B/group ${String(r.objectsPerGroup).padStart(6)} objects/group  ${r.what}\n`);
      process.stderr.write(`heap snapshot difference: ${h.totalBytesPerGroup} B/group over ${g} groups\n`);
      return { heap: h, loadEnd: load() };
    }
    if (args.only?.includes('soak')) {
      const o = soakOptions(args.only);
      const soak = await runChild<SoakResult>(fileURLToPath(import.meta.url), ['--soak', String(o.minutes), String(o.groups)], ['--expose-gc']);
      const target = soak.targetGroups === 1_000_000 ? 600 : undefined;
      const lastRss = soak.samples.at(-1)?.rssMb;
      process.stderr.write(
        `memory soak ${o.minutes} min, ${o.groups} groups: rss slope ${soak.rssSlopeMbPerMin} MB/min, heapUsed slope ${soak.heapUsedSlopeMbPerMin} MB/min (after forced GC: ${soak.gcRssSlopeMbPerMin}, ${soak.gcHeapUsedSlopeMbPerMin}) over the last ${soak.slopeWindowMin} min; active ${soak.activeGroupsMin}-${soak.activeGroupsMax}; last rss ${lastRss} MB (hwm ${soak.hwmMb})\n`,
      );
      return { soak: { ...soak, targetRssMb: target, lastRssMb: lastRss, hwmWithinTarget: target === undefined ? undefined : soak.hwmMb <= target }, loadEnd: load() };
    }
    const sizes = args.lines !== undefined ? [args.lines] : [100_000, 1_000_000];
    const targets: Record<number, number> = { 100_000: 150, 1_000_000: 600 };
    const results: Array<MemoryResult & { targetRssMb: number | undefined; withinTarget: boolean | undefined; load1: number }> = [];
    const variants: Array<[string, string]> = [['5m', '10s'], ...(args.only?.includes('1h') ? [['1h', '1m'] as [string, string]] : [])];
    for (const [window, resolution] of variants) for (const g of sizes) {
      const r = await runChild<MemoryResult>(fileURLToPath(import.meta.url), ['--child', String(g), window, resolution], ['--expose-gc']);
      if (r.activeGroups !== g) process.stderr.write(`memory: expected ${g} active groups, engine reports ${r.activeGroups}\n`);
      const target = targets[g];
      results.push({ ...r, targetRssMb: target, withinTarget: target === undefined ? undefined : r.after.rssMb <= target, load1: load()[0]! });
      process.stderr.write(`memory ${g} groups (${window}/${resolution}): rss ${r.after.rssMb} MB (hwm ${r.after.hwmMb}), heapUsed ${r.after.heapUsedMb} MB, ${r.heapBytesPerGroup} heap B/group, active ${r.activeGroups}, ${r.pushCpuNsPerLine} CPU ns/line (GC ${r.gcCount} x, ${r.gcMs} ms)\n`);
    }
    return { soak: 'not run here: npm run bench -- memory --only soak[,minutes=30][,groups=1000000]', results, loadEnd: load() };
  },
};

if (isMain(import.meta.url) && process.argv[2] === '--child') await child(Number(process.argv[3]), process.argv[4] ?? '5m', process.argv[5] ?? '10s', process.argv[6]);
if (isMain(import.meta.url) && process.argv[2] === '--soak') soakChild(Number(process.argv[3]), Number(process.argv[4]));
