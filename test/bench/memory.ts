/**
 * Scenario `memory` (issue 8, scenario 5, short version): memory of the detection path
 * (createDetection, in process) holding G active groups, G = 100,000 and 1,000,000 (targets:
 * RSS <= 150 MB and <= 600 MB). One threshold pattern with `group_by: [user_id]` (window 5m,
 * resolution 10s, max_groups 1,000,000; `--only 1h` adds a window 1h / resolution 1m variant: a
 * group's bucket ring is window/resolution Float64 slots) and G lines whose user ids are all
 * distinct, spread over 2 minutes of event time, so every group is live at the end. Each size runs in its own child process with
 * `--expose-gc`; RSS, VmHWM and heapUsed are read after two forced GCs, before and after.
 *
 * The 30-minute soak of scenario 5 is not part of this.
 */
import { fileURLToPath } from 'node:url';
import { parsePatterns } from '../../src/config/index.js';
import { createDetection } from '../../src/pipeline.js';
import { load, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { isMain, procSample, runChild } from './lib/stack.js';

const pattern = (window: string, resolution: string): string => `
- id: bench-memory-failed-logins
  description: Failed logins per user (memory benchmark)
  match:
    event: login_failed
  group_by: [user_id]
  max_groups: 1000000
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
}

const mb = (b: number): number => round(b / 1048576, 1);

function gcTwice(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('memory: run with node --expose-gc (the scenario spawns its child that way)');
  g();
  g();
}

function child(groups: number, window: string, resolution: string): void {
  const patterns = parsePatterns(pattern(window, resolution), 'bench-memory.yaml');
  const det = createDetection(patterns);
  gcTwice();
  const b = process.memoryUsage();
  const baseline = { rssMb: mb(b.rss), heapUsedMb: mb(b.heapUsed) };
  const t0 = Date.parse('2026-11-20T12:00:00.000Z');
  const spanMs = 2 * 60_000;
  let transitions = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < groups; i++) {
    const ts = new Date(t0 + Math.floor((i * spanMs) / groups)).toISOString();
    const line = `{"timestamp":"${ts}","level":"warning","event":"login_failed","logger":"app.auth","user_id":"user-${String(i).padStart(9, '0')}","client_ip":"10.${i & 255}.${(i >> 8) & 255}.7","reason":"bad_password"}`;
    det.push(Buffer.from(line));
    if ((i & 1023) === 1023) transitions += det.advance().length;
  }
  transitions += det.advance().length;
  const pushNs = Number(process.hrtime.bigint() - start);
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
  };
  // Keep det reachable until after the measurement.
  if (det.counters().read !== groups) throw new Error('memory: not every line was read');
  process.stdout.write(JSON.stringify(r) + '\n');
}

export const memoryScenario: Scenario = {
  description: 'RSS / heap of the detection path at 100k and 1M active groups (threshold, group_by), forced GC',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const sizes = args.lines !== undefined ? [args.lines] : [100_000, 1_000_000];
    const targets: Record<number, number> = { 100_000: 150, 1_000_000: 600 };
    const results: Array<MemoryResult & { targetRssMb: number | undefined; withinTarget: boolean | undefined; load1: number }> = [];
    const variants: Array<[string, string]> = [['5m', '10s'], ...(args.only?.includes('1h') ? [['1h', '1m'] as [string, string]] : [])];
    for (const [window, resolution] of variants) for (const g of sizes) {
      const r = await runChild<MemoryResult>(fileURLToPath(import.meta.url), ['--child', String(g), window, resolution], ['--expose-gc']);
      if (r.activeGroups !== g) process.stderr.write(`memory: expected ${g} active groups, engine reports ${r.activeGroups}\n`);
      const target = targets[g];
      results.push({ ...r, targetRssMb: target, withinTarget: target === undefined ? undefined : r.after.rssMb <= target, load1: load()[0]! });
      process.stderr.write(`memory ${g} groups (${window}/${resolution}): rss ${r.after.rssMb} MB (hwm ${r.after.hwmMb}), heapUsed ${r.after.heapUsedMb} MB, ${r.heapBytesPerGroup} heap B/group, active ${r.activeGroups}\n`);
    }
    return { soak: 'not run (30-minute soak of scenario 5 is out of scope here)', results, loadEnd: load() };
  },
};

if (isMain(import.meta.url) && process.argv[2] === '--child') child(Number(process.argv[3]), process.argv[4] ?? '5m', process.argv[5] ?? '10s');
