/**
 * Scenario `restore` (issue 6, "Restore cost"): what a checkpoint of G live groups costs to write
 * and to bring back, against the real broker. The service checkpoints engine state as gzip JSON to
 * a compacted topic (src/source/checkpoint-store.ts); a restarted or newly assigned instance must
 * load + restore it before it emits anything.
 *
 * Per size G (default 1k, 10k, 100k; `--only 1k,10k,100k,1m`), in a child process (clean heap):
 * an engine (createDetection, the service's detection path) with G live groups in EACH of
 * - `restore-heartbeat-10m`: absence, after 10m, group_by worker (the runbook's heartbeat rule),
 * - `restore-freshness-24h`: absence, after 24h, group_by dataset (backup/freshness rule),
 * - `restore-errors-10m`: threshold, window 10m / resolution 10s (a 60-slot bucket ring per group),
 * G lines per pattern spread over 2 minutes of event time. Then: snapshot() (on-CPU), gzip JSON
 * (encodeCheckpoint, on-CPU; raw and gzip bytes), CheckpointStore.save() to a fresh compacted topic
 * (wall), and `reps` times: a fresh CheckpointStore.load() (wall: Kafka fetch including the
 * throwaway consumer group's join, plus gunzip + JSON.parse; on-CPU of the main thread),
 * decodeCheckpoint alone (on-CPU) and engine.restore() into a new detection (on-CPU). The restored
 * engine is checked to hold the same groups and to produce an identical snapshot. Then the
 * scale-out layout: the same state split into 12 per-task checkpoints (groups hashed to partials
 * partitions like stage 2 does), loaded with one CheckpointStore.loadAll() and restored task by task.
 */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parsePatterns } from '../../src/config/index.js';
import { createDetection } from '../../src/pipeline.js';
import type { EngineSnapshot } from '../../src/engine/engine.js';
import { partialsPartition } from '../../src/shuffle/partial.js';
import { CheckpointStore, decodeCheckpoint, encodeCheckpoint } from '../../src/source/checkpoint-store.js';
import { load, median, round, threadSched } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchName, benchStack, deleteBenchTopics, isMain, kafkaFor, procSample, runChild } from './lib/stack.js';

const PATTERNS = `
- id: restore-heartbeat-10m
  description: No heartbeat from a worker for 10 minutes (restore benchmark)
  match: { event: job_heartbeat }
  group_by: [worker]
  max_groups: 1000000
  detect: { type: absence, after: 10m }
  severity: critical
  summary: "No heartbeat from {{group.worker}}"
- id: restore-freshness-24h
  description: No successful load of a dataset for 24 hours (restore benchmark)
  match: { event: dataset_loaded }
  group_by: [dataset]
  max_groups: 1000000
  detect: { type: absence, after: 24h }
  severity: warning
  summary: "{{group.dataset}} not refreshed for {{value}}"
- id: restore-errors-10m
  description: Errors per host in 10 minutes (restore benchmark)
  match: { event: request_failed }
  group_by: [host]
  max_groups: 1000000
  detect: { type: threshold, window: 10m, resolution: 10s, op: '>=', value: 50 }
  severity: warning
  summary: "{{value}} errors on {{group.host}}"
`;

/** Stage-2 tasks = partials partitions (default KAFKA_PARTIALS_PARTITIONS). */
const TASKS = 12;

/** The part of an engine snapshot a stage-2 task owns: groups hashed to partials partition `task`. */
function taskSnapshot(s: EngineSnapshot, task: number): EngineSnapshot {
  return {
    ...s,
    patterns: s.patterns.map((ps) => ({
      ...ps,
      seqs: ps.seqs.filter(([k]) => partialsPartition(ps.id, k, TASKS) === task),
      groups: ps.groups.filter((g) => partialsPartition(ps.id, g.key, TASKS) === task),
    })),
  };
}

const SIZES: Record<string, number> = { '1k': 1_000, '10k': 10_000, '100k': 100_000, '1m': 1_000_000 };

interface RestoreResult {
  groupsPerPattern: number;
  groups: number;
  /** JSON.stringify(snapshot) length, bytes. */
  jsonBytes: number;
  /** gzip(JSON) = the stored checkpoint record, bytes. */
  gzipBytes: number;
  buildMs: number;
  snapshotCpuMs: number;
  encodeCpuMs: number;
  saveWallMs: number;
  /** save(): main-thread on-CPU (gzip + produce) and run-queue wait. */
  save: { cpuMs: number; waitMs: number };
  /** Medians over reps. */
  loadWallMs: number;
  loadCpuMs: number;
  decodeCpuMs: number;
  restoreCpuMs: number;
  restoreWallMs: number;
  /** decode + restore on-CPU: the part that grows with state (load wall minus this is mostly Kafka). */
  cpuTotalMs: number;
  reps: number;
  /** Main thread runnable but not running during load (other processes' load), median. */
  loadWaitMs: number;
  runs: Array<{ loadWallMs: number; loadCpuMs: number; loadWaitMs: number; decodeCpuMs: number; restoreCpuMs: number; restoreWallMs: number }>;
  /**
   * The scale-out layout: the same groups split over TASKS per-task checkpoints (keys
   * <prefix><task>, as stage 2 writes them), all loaded with one CheckpointStore.loadAll() (what
   * an instance assigned every task does at start) and restored task by task. Medians over reps.
   */
  tasks: {
    count: number;
    totalGzipBytes: number;
    largestGzipBytes: number;
    loadAllWallMs: number;
    loadAllCpuMs: number;
    /** Sum over tasks. */
    restoreCpuMs: number;
    /** restore() of ONE task (what a new owner does after a rebalance), on-CPU, median over the tasks of the first rep. */
    oneTaskRestoreCpuMs: number;
  };
  rssMb: number;
  hwmMb: number;
  identical: boolean;
}

const ms = (ns: number): number => round(ns / 1e6, 1);

function onCpu<T>(fn: () => T): { value: T; cpuMs: number; wallMs: number } {
  const s0 = threadSched();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const wall = Number(process.hrtime.bigint() - t0);
  return { value, cpuMs: ms(threadSched().cpuNs - s0.cpuNs), wallMs: ms(wall) };
}

async function child(groups: number, reps: number): Promise<void> {
  const stack = await benchStack(false);
  const kafka = kafkaFor(stack.brokers, 'tripline-bench-restore');
  const logger = pino({ level: 'silent' });
  const patterns = parsePatterns(PATTERNS, 'bench-restore.yaml');
  const det = createDetection(patterns);
  const t0 = Date.parse('2026-11-20T12:00:00.000Z');
  const span = 2 * 60_000;
  const b0 = process.hrtime.bigint();
  for (let i = 0; i < groups; i++) {
    const ts = new Date(t0 + Math.floor((i * span) / groups)).toISOString();
    const id = String(i).padStart(7, '0');
    det.push(`{"timestamp":"${ts}","event":"job_heartbeat","worker":"worker-${id}"}`, undefined, 0);
    det.push(`{"timestamp":"${ts}","event":"dataset_loaded","dataset":"dataset-${id}"}`, undefined, 0);
    det.push(`{"timestamp":"${ts}","event":"request_failed","host":"host-${id}.internal","status":503}`, undefined, 0);
    if ((i & 1023) === 1023) det.advance();
  }
  det.advance();
  const buildMs = ms(Number(process.hrtime.bigint() - b0));
  const active = (d: typeof det): number[] => d.engineStats().patterns.map((p) => p.activeGroups);
  const want = active(det);
  if (want.some((g) => g !== groups)) throw new Error(`restore: expected ${groups} live groups per pattern, engine has ${want.join(', ')}`);

  const snap = onCpu(() => det.engine.snapshot());
  const json = JSON.stringify(snap.value);
  const enc = onCpu(() => encodeCheckpoint(snap.value));
  const topic = benchName('restore');
  const key = `${topic}-task-0`;
  const writer = new CheckpointStore({ kafka, topic, key, logger });
  try {
    await writer.ensureTopic();
    const s0 = process.hrtime.bigint();
    const w0 = threadSched();
    await writer.save(snap.value);
    const saveWallMs = ms(Number(process.hrtime.bigint() - s0));
    const w1 = threadSched();
    const save = { cpuMs: ms(w1.cpuNs - w0.cpuNs), waitMs: ms(w1.waitNs - w0.waitNs) };
    await writer.close();
    const runs: RestoreResult['runs'] = [];
    let identical = true;
    for (let r = 0; r < reps; r++) {
      const reader = new CheckpointStore({ kafka, topic, key, logger });
      const c0 = threadSched();
      const l0 = process.hrtime.bigint();
      const loaded = await reader.load();
      const loadWallMs = ms(Number(process.hrtime.bigint() - l0));
      const c1 = threadSched();
      const loadCpuMs = ms(c1.cpuNs - c0.cpuNs);
      const loadWaitMs = ms(c1.waitNs - c0.waitNs);
      await reader.close();
      if (loaded === undefined) throw new Error('restore: checkpoint not found on load');
      const dec = onCpu(() => decodeCheckpoint(enc.value));
      const fresh = createDetection(patterns);
      const res = onCpu(() => fresh.engine.restore(loaded as ReturnType<typeof det.engine.snapshot>));
      if (active(fresh).join() !== want.join()) identical = false;
      if (r === 0 && JSON.stringify(fresh.engine.snapshot()) !== json) identical = false;
      void dec.value;
      runs.push({ loadWallMs, loadCpuMs, loadWaitMs, decodeCpuMs: dec.cpuMs, restoreCpuMs: res.cpuMs, restoreWallMs: res.wallMs });
    }
    // Per-task layout.
    const taskWriter = new CheckpointStore({ kafka, topic, key, logger });
    const prefix = `${topic}/partials/`;
    const sizes: number[] = [];
    for (let t = 0; t < TASKS; t++) {
      const ts = taskSnapshot(snap.value, t);
      sizes.push(encodeCheckpoint(ts).length);
      await taskWriter.save(ts, `${prefix}${t}`);
    }
    await taskWriter.close();
    const taskRuns: Array<{ wall: number; cpu: number; restore: number; perTask: number[] }> = [];
    for (let r = 0; r < reps; r++) {
      const reader = new CheckpointStore({ kafka, topic, key, logger });
      const c0 = threadSched();
      const l0 = process.hrtime.bigint();
      const all = await reader.loadAll(prefix);
      const wall = ms(Number(process.hrtime.bigint() - l0));
      const cpu = ms(threadSched().cpuNs - c0.cpuNs);
      await reader.close();
      if (all.size !== TASKS) throw new Error(`restore: loadAll returned ${all.size} task checkpoints, expected ${TASKS}`);
      const perTask: number[] = [];
      let restored = 0;
      for (const v of all.values()) {
        const fresh = createDetection(patterns);
        perTask.push(onCpu(() => fresh.engine.restore(v as EngineSnapshot)).cpuMs);
        restored += active(fresh).reduce((x, y) => x + y, 0);
      }
      if (restored !== want.reduce((x, y) => x + y, 0)) identical = false;
      taskRuns.push({ wall, cpu, restore: round(perTask.reduce((x, y) => x + y, 0), 1), perTask });
    }
    const ps = procSample(process.pid);
    const med = (f: (x: RestoreResult['runs'][number]) => number): number => round(median(runs.map(f)), 1);
    const result: RestoreResult = {
      groupsPerPattern: groups,
      groups: groups * patterns.length,
      jsonBytes: Buffer.byteLength(json),
      gzipBytes: enc.value.length,
      buildMs,
      snapshotCpuMs: snap.cpuMs,
      encodeCpuMs: enc.cpuMs,
      saveWallMs,
      save,
      loadWallMs: med((x) => x.loadWallMs),
      loadCpuMs: med((x) => x.loadCpuMs),
      loadWaitMs: med((x) => x.loadWaitMs),
      decodeCpuMs: med((x) => x.decodeCpuMs),
      restoreCpuMs: med((x) => x.restoreCpuMs),
      restoreWallMs: med((x) => x.restoreWallMs),
      cpuTotalMs: round(med((x) => x.decodeCpuMs) + med((x) => x.restoreCpuMs), 1),
      reps,
      runs,
      tasks: {
        count: TASKS,
        totalGzipBytes: sizes.reduce((x, y) => x + y, 0),
        largestGzipBytes: Math.max(...sizes),
        loadAllWallMs: round(median(taskRuns.map((x) => x.wall)), 1),
        loadAllCpuMs: round(median(taskRuns.map((x) => x.cpu)), 1),
        restoreCpuMs: round(median(taskRuns.map((x) => x.restore)), 1),
        oneTaskRestoreCpuMs: round(median(taskRuns[0]!.perTask), 1),
      },
      rssMb: ps.rssMb,
      hwmMb: ps.hwmMb,
      identical,
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await deleteBenchTopics(kafka, [topic]).catch(() => undefined);
  }
}

export const restoreScenario: Scenario = {
  description: 'checkpoint size vs load + restore time (gzip JSON in a compacted topic) for 1k/10k/100k live groups of 10m absence, 24h absence and 10m threshold patterns',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const names = args.only ?? ['1k', '10k', '100k'];
    const reps = args.reps ?? 3;
    const stack = await benchStack(false);
    const results: Array<RestoreResult & { load1: number }> = [];
    for (const n of names) {
      const g = SIZES[n] ?? Number(n);
      if (!(g > 0)) throw new Error(`restore: unknown size "${n}" (known: ${Object.keys(SIZES).join(', ')} or a number)`);
      const r = await runChild<RestoreResult>(fileURLToPath(import.meta.url), ['--child', String(g), String(reps)], ['--max-old-space-size=4096']);
      results.push({ ...r, load1: load()[0]! });
      process.stderr.write(
        `restore ${r.groups} groups: gzip ${round(r.gzipBytes / 1048576, 2)} MB (json ${round(r.jsonBytes / 1048576, 1)} MB), save ${r.saveWallMs} ms, ` +
          `load ${r.loadWallMs} ms wall (${r.loadCpuMs} ms cpu, ${r.loadWaitMs} ms waiting for a CPU), decode ${r.decodeCpuMs} ms cpu, restore ${r.restoreCpuMs} ms cpu; ` +
          `${r.tasks.count} tasks: loadAll ${r.tasks.loadAllWallMs} ms wall (${r.tasks.loadAllCpuMs} cpu), restore ${r.tasks.restoreCpuMs} ms cpu; identical ${r.identical}, load ${load().join(' ')}\n`,
      );
    }
    return { brokers: stack.brokers, reps, results, loadEnd: load() };
  },
};

if (isMain(import.meta.url) && process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4] ?? 3)).then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`restore child: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
