/**
 * Scenario `latency` (issue 8, scenario 4): detection latency under background load. The real
 * service (test/bench/lib/live-run.ts: every bundled pattern plus a dedicated incident pattern,
 * Elasticsearch through a recording proxy, the local PagerDuty receiver) reads a 12-partition
 * topic that a child process fills with live-stamped background traffic at `--background`
 * records/s (default: 50% of the consume-only ceiling of bench-results/consume.json, else 100,000);
 * after a warm-up, stamped incidents are injected open-loop at `--rate` per second (default 10) for
 * `--seconds` (default 60). Each incident becomes one firing alert.
 *
 * Latency per incident, from its *scheduled* send time (test/bench/lib/incidents.ts) to:
 * - `es`: the end of the Elasticsearch `_bulk` response carrying its alert document (the proxy);
 * - `pagerduty`: the arrival of its trigger at the PagerDuty receiver.
 * Components: `send` (scheduled -> Kafka ack), `boundary` (event time -> the next 1 s boundary,
 * when the `any` detector can evaluate it), `afterBoundary` (that boundary -> ES ack).
 * Incidents never acknowledged within 30 s after the last one count as +infinity (`missing`).
 *
 * `--only default,nodelay,nopd`: ES batch max_delay 1000 ms (tripline's default) with PagerDuty,
 * max_delay 0 with PagerDuty, default without PagerDuty. Default: default,nodelay.
 */
import { existsSync, readFileSync } from 'node:fs';
import { produceLoad } from './lib/load-producer.js';
import type { LoadResult } from './lib/load-producer.js';
import { injectIncidents, percentiles } from './lib/incidents.js';
import type { Incident, Percentiles } from './lib/incidents.js';
import { PARTITIONS, startLiveRun } from './lib/live-run.js';
import type { RunCounters } from './lib/live-run.js';
import { load, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchStack, procSample, sleep } from './lib/stack.js';
import { mainThreadSched, triplineDir, triplineVersion } from './lib/tripline-process.js';

export const LATENCY_VARIANTS = {
  default: { esMaxDelayMs: undefined, pagerduty: true },
  nodelay: { esMaxDelayMs: 0, pagerduty: true },
  nopd: { esMaxDelayMs: undefined, pagerduty: false },
} as const;
type Variant = keyof typeof LATENCY_VARIANTS;

const WARMUP_S = 8;
const SETTLE_S = 30;

/** Half of the consume-only ceiling measured by the `consume` scenario, else 100,000/s. */
export function defaultBackground(): { rate: number; from: string } {
  const f = 'bench-results/consume.json';
  if (existsSync(f)) {
    try {
      const r = JSON.parse(readFileSync(f, 'utf8')) as { median?: { msgsPerSec?: number } };
      const m = r.median?.msgsPerSec;
      if (m !== undefined && m > 0) return { rate: Math.round(m / 2), from: `${f} median ${m}/2` };
    } catch {
      // fall through
    }
  }
  return { rate: 100_000, from: 'default 100000 (50% of ~200k, BENCHMARKS.md consume)' };
}

export interface LatencyResult {
  variant: Variant;
  backgroundTarget: number;
  background: LoadResult;
  incidentRate: number;
  seconds: number;
  incidents: number;
  latencyMs: { es: Percentiles; pagerduty: Percentiles | undefined };
  componentsMs: { send: Percentiles; boundary: Percentiles; afterBoundary: Percentiles; esToPd: Percentiles | undefined };
  /** Records produced but not yet handled by tripline, sampled every second during injection. */
  lagDuringInjection: { max: number; last: number };
  triplineCpuCores: number;
  /** Share of the injection time tripline's main thread was runnable but waiting for a CPU. */
  triplineMainWaitShare: number;
  triplineRssMb: number;
  /** Scheduled time (s since injection started) of the first 20 incidents ES never acknowledged. */
  missingAtS: number[];
  esDuplicateAcks: number;
  unknownAlerts: number;
  counters: RunCounters;
  exit: string;
  load: number[];
}

async function latencyOnce(brokers: string[], esUrl: string, variant: Variant, background: number, rate: number, seconds: number): Promise<LatencyResult> {
  const v = LATENCY_VARIANTS[variant];
  const run = await startLiveRun({ brokers, esUrl, what: 'latency', esMaxDelayMs: v.esMaxDelayMs, pagerduty: v.pagerduty });
  try {
    const bgSeconds = WARMUP_S + seconds + SETTLE_S;
    const bg = produceLoad(brokers, run.topic, PARTITIONS, [{ seconds: bgSeconds, rate: background }]);
    bg.catch(() => undefined);
    await sleep(WARMUP_S * 1000);
    const lagSamples: number[] = [];
    const cpu0 = procSample(run.tripline.pid);
    const sched0 = mainThreadSched(run.tripline.pid);
    const t0 = performance.now();
    let injecting = true;
    const sampler = (async () => {
      while (injecting) {
        await sleep(1000);
        const [p, h] = await Promise.all([run.produced(), run.handled()]);
        lagSamples.push(Math.max(0, p - h));
      }
    })();
    await injectIncidents(run.producer, run.topic, PARTITIONS, run.tracker, rate, seconds);
    injecting = false;
    await sampler;
    const cpu1 = procSample(run.tripline.pid);
    const sched1 = mainThreadSched(run.tripline.pid);
    const cpuCores = round((cpu1.cpuMs - cpu0.cpuMs) / (performance.now() - t0), 2);
    const waitShare = round((sched1.waitMs - sched0.waitMs) / (performance.now() - t0), 2);
    const deadline = performance.now() + SETTLE_S * 1000;
    while (run.tracker.pending(v.pagerduty) > 0 && performance.now() < deadline) await sleep(200);
    const counters = await run.counters();
    const background_ = await bg;
    const incs = run.tracker.incidents;
    const wall = (t: number): number => t + run.tracker.wallOffset;
    const boundaryOf = (i: Incident): number => (Math.floor(i.eventMs! / 1000) + 1) * 1000;
    const res: LatencyResult = {
      variant,
      backgroundTarget: background,
      background: background_,
      incidentRate: rate,
      seconds,
      incidents: incs.length,
      latencyMs: {
        es: percentiles(incs.map((i) => (i.esAck === undefined ? undefined : i.esAck - i.sched))),
        pagerduty: v.pagerduty ? percentiles(incs.map((i) => (i.pdAt === undefined ? undefined : i.pdAt - i.sched))) : undefined,
      },
      componentsMs: {
        send: percentiles(incs.map((i) => (i.produced === undefined ? undefined : i.produced - i.sched))),
        boundary: percentiles(incs.map((i) => boundaryOf(i) - i.eventMs!)),
        afterBoundary: percentiles(incs.map((i) => (i.esAck === undefined ? undefined : wall(i.esAck) - boundaryOf(i)))),
        esToPd: v.pagerduty ? percentiles(incs.map((i) => (i.pdAt === undefined || i.esAck === undefined ? undefined : i.pdAt - i.esAck))) : undefined,
      },
      lagDuringInjection: { max: Math.max(0, ...lagSamples), last: lagSamples[lagSamples.length - 1] ?? 0 },
      triplineCpuCores: cpuCores,
      triplineMainWaitShare: waitShare,
      triplineRssMb: cpu1.rssMb,
      missingAtS: incs.filter((i) => i.esAck === undefined).slice(0, 20).map((i) => round((i.sched - t0) / 1000, 2)),
      esDuplicateAcks: incs.reduce((s, i) => s + Math.max(0, i.esAcks - 1), 0),
      unknownAlerts: run.tracker.unknown,
      counters,
      exit: '',
      load: load(),
    };
    res.exit = await run.close();
    return res;
  } catch (e) {
    await run.close().catch(() => undefined);
    throw e;
  }
}

const fmt = (p: Percentiles | undefined): string =>
  p === undefined ? '-' : `p50 ${p.p50 ?? 'inf'} p90 ${p.p90 ?? 'inf'} p99 ${p.p99 ?? 'inf'} max ${p.max ?? 'inf'} ms (n=${p.count}, missing ${p.missing})`;

export const latencyScenario: Scenario = {
  description: 'detection latency: stamped incidents (open loop) on live background load, produce -> ES bulk ack and -> PagerDuty request',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const seconds = args.seconds ?? 60;
    const rate = args.rate ?? 10;
    const bgDefault = defaultBackground();
    const background = args.background ?? bgDefault.rate;
    const reps = args.reps ?? 1;
    const picked = (Object.keys(LATENCY_VARIANTS) as Variant[]).filter((v) => args.only?.includes(v));
    const variants: Variant[] = picked.length > 0 ? picked : ['default', 'nodelay'];
    const stack = await benchStack(true);
    const runs: LatencyResult[] = [];
    for (let r = 0; r < reps; r++) {
      for (const v of variants) {
        const res = await latencyOnce(stack.brokers, stack.elasticsearchUrl!, v, background, rate, seconds);
        runs.push(res);
        process.stderr.write(
          `latency ${v} rep ${r + 1}: background ${res.background.phases[0]!.achieved}/s (target ${background}), ${res.incidents} incidents\n` +
            `  ES        ${fmt(res.latencyMs.es)}\n  PagerDuty ${fmt(res.latencyMs.pagerduty)}\n` +
            `  send ${fmt(res.componentsMs.send)}\n  boundary ${fmt(res.componentsMs.boundary)}\n  after boundary ${fmt(res.componentsMs.afterBoundary)}\n` +
            `  lag max ${res.lagDuringInjection.max}, tripline cpu ${res.triplineCpuCores} cores (main thread waiting for a CPU ${res.triplineMainWaitShare} of the time), late ${res.counters.late}, exit ${res.exit}, load ${res.load.join(' ')}\n`,
        );
      }
    }
    return {
      seconds,
      incidentRate: rate,
      background,
      backgroundFrom: args.background === undefined ? bgDefault.from : '--background',
      tripline: { dir: triplineDir(), commit: triplineVersion() },
      targetsMs: { p50: 20, p99: 100 },
      runs,
      loadEnd: load(),
    };
  },
};
