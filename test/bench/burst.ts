/**
 * Scenario `burst` (issue 8, scenario 6): a 5x burst, and an Elasticsearch outage, on the real
 * service (test/bench/lib/live-run.ts: every bundled pattern plus the incident pattern,
 * Elasticsearch through the recording proxy, the local PagerDuty receiver at 1000 events/min).
 *
 * - `burst`: live-stamped background at `--background` records/s (default 10,000) for 10 s,
 *   5x that for `--seconds` (default 60), then back to 1x until drained.
 * - `outage`: the same steady background; after 10 s the proxy answers 503 to every
 *   Elasticsearch request for `--seconds` (default 60), then forwards again.
 * In both, stamped incidents (`--rate`, default 2/s) are injected from the start until 10 s after
 * the burst / outage: each must end up as exactly one firing alert document.
 *
 * Measured (every 500 ms): records past the group's committed offsets (kafkajs admin; tripline
 * commits after each checkpoint, every commit_interval_ms = 5 s, so this lags by up to ~5 s of
 * traffic), and records produced minus records tripline handled (its decode counter). Time to
 * drain = end of the burst / outage -> first sample with a committed lag <= max(1000,
 * 6 s of background), its steady-state level (one commit interval plus a checkpoint). For the outage also: end ->
 * Elasticsearch acknowledged every incident produced before the end. Proof of no loss, after the
 * load stops: tripline handled every record, the committed group offsets reach the end of the
 * topic, every incident's firing document is in Elasticsearch exactly once (counted by incident
 * id, read from the node directly), no unknown ones, the sink dead-letter topic is empty, no
 * dead-lettered or late records.
 *
 * `--only burst,outage` (default both); `noidle` added: tripline runs with idle_timeout_ms = 24 h
 * (the idle rule, which advances the event clock with wall time when every partition is quiet,
 * then cannot fire while tripline itself stops consuming during an outage).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { incidentDocsInEs, injectIncidents, percentiles } from './lib/incidents.js';
import type { Percentiles } from './lib/incidents.js';
import { produceLoad } from './lib/load-producer.js';
import type { LoadPhase, LoadResult } from './lib/load-producer.js';
import { PARTITIONS, startLiveRun } from './lib/live-run.js';
import type { LiveRun, RunCounters } from './lib/live-run.js';
import { load, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchStack, procSample, sleep } from './lib/stack.js';
import { mainThreadSched, triplineDir, triplineVersion } from './lib/tripline-process.js';

const KINDS = ['burst', 'outage'] as const;
type Kind = (typeof KINDS)[number];

const WARMUP_S = 10;
const INJECT_AFTER_S = 10;
const DRAIN_MAX_S = 300;

interface Sample {
  /** s since the load started. */
  t: number;
  produced: number;
  handled: number;
  /** produced - handled (tripline's decode counter). */
  lag: number;
  /** Records past the group's committed offsets (kafkajs admin). */
  committedLag: number;
  esAcked: number;
  cpuCores: number;
}

export interface BurstResult {
  kind: Kind;
  /** idle_timeout_ms raised to 24 h (`--only ...,noidle`). */
  noIdle: boolean;
  background: number;
  seconds: number;
  incidentRate: number;
  load: LoadResult;
  /** Load start -> burst/outage start and end, s. */
  eventStartS: number;
  eventEndS: number;
  /** Peak committed lag and when (s since the load started). */
  peakLag: number;
  peakLagAtS: number;
  /** Peak of produced - handled. */
  peakHandledLag: number;
  drainThreshold: number;
  /** Burst/outage end -> lag <= threshold, s (null: not within DRAIN_MAX_S). */
  drainS: number | null;
  /** Outage: end -> every incident produced before the end acknowledged by ES, s. */
  esBacklogDrainS: number | null;
  /** Handled records per s while draining (lag > threshold after the event). */
  drainRate: number | null;
  latencyEsMs: Percentiles;
  latencyPdMs: Percentiles;
  proof: {
    produced: number;
    handled: number;
    committedLag: number;
    incidents: number;
    incidentDocs: number;
    missing: number;
    /** Scheduled time (s since the load started) of the first 20 missing incidents. */
    missingAtS: number[];
    duplicated: number;
    unknown: number;
    sinkDlqRecords: number;
    pdTriggersPerIncidentMax: number;
    ok: boolean;
  };
  proxy: LiveRun['proxy']['stats'];
  counters: RunCounters;
  triplineCpuCores: number;
  triplineMainWaitShare: number;
  triplineHwmMb: number;
  timeline: Sample[];
  exit: string;
  loadAvg: number[];
}

async function waitFor(cond: () => Promise<boolean>, ms: number, every = 500): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > end) return false;
    await sleep(every);
  }
}

async function burstOnce(brokers: string[], esUrl: string, kind: Kind, background: number, seconds: number, rate: number, noIdle: boolean): Promise<BurstResult> {
  const run = await startLiveRun({ brokers, esUrl, what: kind, env: noIdle ? { TRIPLINE_IDLE_TIMEOUT_MS: '86400000' } : {} });
  const stopDir = mkdtempSync(join(tmpdir(), 'tripline-bench-stop-'));
  const stopFile = join(stopDir, 'stop');
  try {
    const phases: LoadPhase[] =
      kind === 'burst'
        ? [
            { seconds: WARMUP_S, rate: background },
            { seconds, rate: background * 5 },
            { seconds: DRAIN_MAX_S, rate: background },
          ]
        : [{ seconds: WARMUP_S + seconds + DRAIN_MAX_S, rate: background }];
    const bg = produceLoad(brokers, run.topic, PARTITIONS, phases, stopFile);
    bg.catch(() => undefined);
    // The child needs a few seconds to start (tsx, traffic template): the clock starts with its
    // first records, when its own schedule starts.
    if (!(await waitFor(async () => (await run.produced()) > 0, 120_000, 100))) throw new Error('the background producer did not start within 120 s');
    const cpu0 = procSample(run.tripline.pid);
    const sched0 = mainThreadSched(run.tripline.pid);
    const t0 = performance.now();
    const injected = injectIncidents(run.producer, run.topic, PARTITIONS, run.tracker, rate, WARMUP_S + seconds + INJECT_AFTER_S);
    injected.catch(() => undefined);
    const eventStart = WARMUP_S;
    const eventEnd = WARMUP_S + seconds;
    const tEventEnd = t0 + eventEnd * 1000;
    const timeline: Sample[] = [];
    // Steady state: the committed offsets trail by up to one commit interval (5 s) plus a checkpoint.
    const threshold = Math.max(1000, Math.round(background * 6));
    let outageStarted = false;
    let drainS: number | null = null;
    let prevCpu = cpu0.cpuMs;
    let prevT = t0;
    for (;;) {
      const now = performance.now();
      const t = (now - t0) / 1000;
      if (kind === 'outage' && !outageStarted && t >= eventStart) {
        run.proxy.outage(seconds * 1000);
        outageStarted = true;
      }
      const [produced, handled, committedLag] = await Promise.all([run.produced(), run.handled(), run.committedLag()]);
      const cpu = procSample(run.tripline.pid).cpuMs;
      const tNow = performance.now();
      timeline.push({
        t: round(t, 1),
        produced,
        handled,
        lag: Math.max(0, produced - handled),
        committedLag,
        esAcked: run.tracker.incidents.filter((i) => i.esAck !== undefined).length,
        cpuCores: round((cpu - prevCpu) / (tNow - prevT), 2),
      });
      prevCpu = cpu;
      prevT = tNow;
      if (timeline.length % 20 === 0) {
        const last = timeline[timeline.length - 1]!;
        process.stderr.write(`burst ${kind}: t ${last.t} s, produced ${produced}, handled ${handled}, lag ${last.lag}, committed lag ${committedLag}, incidents acked by ES ${last.esAcked}/${run.tracker.incidents.length}, cpu ${last.cpuCores}\n`);
      }
      if (t >= eventEnd && drainS === null && committedLag <= threshold) drainS = round(t - eventEnd, 1);
      if (drainS !== null && t >= eventEnd + INJECT_AFTER_S + 2) break;
      if (t > eventEnd + DRAIN_MAX_S) break;
      await sleep(Math.max(0, 500 - (performance.now() - now)));
    }
    writeFileSync(stopFile, '');
    const loadRes = await bg;
    await injected;
    const cpu1 = procSample(run.tripline.pid);
    const sched1 = mainThreadSched(run.tripline.pid);
    const elapsed = performance.now() - t0;
    // Everything handled, delivered and committed.
    // (If it did not drain within DRAIN_MAX_S, only a short wait: the proof then fails, as it should.)
    const produced = await run.produced();
    const grace = drainS === null ? 10_000 : 120_000;
    await waitFor(async () => (await run.handled()) >= produced, grace);
    await waitFor(async () => run.tracker.pending(true) === 0, grace, 200);
    const committedOk = await waitFor(async () => (await run.committedLag()) === 0, drainS === null ? 10_000 : 60_000);
    const counters = await run.counters();
    const docs = await incidentDocsInEs(esUrl, `${run.prefix}-alerts`);
    const incs = run.tracker.incidents;
    let missing = 0;
    let duplicated = 0;
    const missingAt: number[] = [];
    for (const i of incs) {
      const n = docs.perId.get(i.id) ?? 0;
      if (n === 0 && missingAt.length < 20) missingAt.push(round((i.sched - t0) / 1000, 2));
      if (n === 0) missing++;
      if (n > 1) duplicated++;
    }
    const known = new Set(incs.map((i) => i.id));
    const unknown = [...docs.perId.keys()].filter((id) => !known.has(id)).length + run.tracker.unknown;
    const sinkDlqRecords = await run.sinkDlqRecords();
    const committedLag = committedOk ? 0 : await run.committedLag();
    const peak = timeline.reduce((a, s) => (s.committedLag > a.committedLag ? s : a), timeline[0]!);
    const drainSamples = timeline.filter((s) => s.t >= eventEnd && (drainS === null || s.t <= eventEnd + drainS));
    const drainRate =
      drainSamples.length >= 2 ? Math.round((drainSamples[drainSamples.length - 1]!.handled - drainSamples[0]!.handled) / (drainSamples[drainSamples.length - 1]!.t - drainSamples[0]!.t)) : null;
    const before = incs.filter((i) => i.sched < tEventEnd);
    const lastAck = Math.max(...before.map((i) => i.esAck ?? Infinity));
    const res: BurstResult = {
      kind,
      noIdle,
      background,
      seconds,
      incidentRate: rate,
      load: loadRes,
      eventStartS: eventStart,
      eventEndS: eventEnd,
      peakLag: peak.committedLag,
      peakLagAtS: peak.t,
      peakHandledLag: Math.max(...timeline.map((x) => x.lag)),
      drainThreshold: threshold,
      drainS,
      esBacklogDrainS: kind === 'outage' && Number.isFinite(lastAck) ? round(Math.max(0, lastAck - tEventEnd) / 1000, 1) : null,
      drainRate,
      latencyEsMs: percentiles(incs.map((i) => (i.esAck === undefined ? undefined : i.esAck - i.sched))),
      latencyPdMs: percentiles(incs.map((i) => (i.pdAt === undefined ? undefined : i.pdAt - i.sched))),
      proof: {
        produced,
        handled: counters.handled,
        committedLag,
        incidents: incs.length,
        incidentDocs: docs.total,
        missing,
        missingAtS: missingAt,
        duplicated,
        unknown,
        sinkDlqRecords,
        pdTriggersPerIncidentMax: Math.max(0, ...incs.map((i) => i.pdTriggers)),
        ok: false,
      },
      proxy: { ...run.proxy.stats },
      counters,
      triplineCpuCores: round((cpu1.cpuMs - cpu0.cpuMs) / elapsed, 2),
      triplineMainWaitShare: round((sched1.waitMs - sched0.waitMs) / elapsed, 2),
      triplineHwmMb: cpu1.hwmMb,
      timeline,
      exit: '',
      loadAvg: load(),
    };
    const p = res.proof;
    p.ok =
      p.handled === p.produced && p.committedLag === 0 && p.missing === 0 && p.duplicated === 0 && p.unknown === 0 && p.incidentDocs === p.incidents &&
      p.sinkDlqRecords === 0 && counters.sinkDeadLettered === 0 && counters.late === 0;
    res.exit = await run.close();
    return res;
  } catch (e) {
    await run.close().catch(() => undefined);
    throw e;
  } finally {
    rmSync(stopDir, { recursive: true, force: true });
  }
}

export const burstScenario: Scenario = {
  description: 'burst and outage: 5x background for N s, and N s of Elasticsearch answering 503; time to drain, proof that nothing was lost',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const seconds = args.seconds ?? 60;
    const background = args.background ?? 10_000;
    const rate = args.rate ?? 2;
    const picked = KINDS.filter((k) => args.only?.includes(k));
    const kinds: Kind[] = picked.length > 0 ? picked : [...KINDS];
    const stack = await benchStack(true);
    const runs: BurstResult[] = [];
    for (let r = 0; r < (args.reps ?? 1); r++) {
      for (const k of kinds) {
        const res = await burstOnce(stack.brokers, stack.elasticsearchUrl!, k, background, seconds, rate, args.only?.includes('noidle') ?? false);
        runs.push(res);
        const ph = res.load.phases.map((x) => `${x.achieved}/s`).join(' ');
        process.stderr.write(
          `burst ${k} rep ${r + 1}: background ${ph} (target ${background}${k === 'burst' ? `, ${background * 5} for ${seconds} s` : ''}), peak lag ${res.peakLag} at ${res.peakLagAtS} s, ` +
            `drain ${res.drainS ?? '>' + DRAIN_MAX_S} s after the ${k} (at ${res.drainRate ?? '?'} records/s)` +
            `${k === 'outage' ? `, ES backlog delivered ${res.esBacklogDrainS ?? '?'} s after` : ''}\n` +
            `  proof ${JSON.stringify(res.proof)}\n  tripline cpu ${res.triplineCpuCores} cores (main waiting ${res.triplineMainWaitShare}), hwm ${res.triplineHwmMb} MB, proxy ${JSON.stringify(res.proxy)}, exit ${res.exit}, load ${res.loadAvg.join(' ')}\n`,
        );
      }
    }
    return { seconds, background, incidentRate: rate, tripline: { dir: triplineDir(), commit: triplineVersion() }, runs, allProofsOk: runs.every((r) => r.proof.ok), loadEnd: load() };
  },
};
