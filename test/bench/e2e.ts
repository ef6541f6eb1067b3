/**
 * Scenario `e2e` (issue 8, scenario 3): end-to-end steady state. The real service
 * (`node bin/tripline.js run`, a child process) with every bundled pattern, Elasticsearch sinks
 * (index mode, unique prefixes) and a local PagerDuty receiver (test/support/pagerduty-receiver.ts),
 * drains a 12-partition topic pre-filled with N deterministic ~300-byte lines (not timed).
 *
 * Measured: from the first record handled to the last one (records pushed through
 * decode -> match -> engine, tripline_component_received_events_total{stage="decode"}, reaching N
 * on /metrics, polled every 100 ms), and until the
 * committed group offsets equal the topic's end offsets (kafkajs admin fetchOffsets; tripline
 * commits after each checkpoint, every commit_interval_ms). The consume-only ceiling (scenario
 * `consume`, same topic, fresh group, same consumer settings) is measured in the same run, so
 * the ratio compares like with like. CPU and RSS of the tripline process from /proc/<pid>.
 *
 * `--only pd,pd1000,nopd` picks PagerDuty set-ups (VARIANTS; default pd); `--only prof`: the first
 * tripline of the run gets --cpu-prof (profile in .cache/prof-e2e/).
 * Needs the real stack: KAFKA_BROKERS and ELASTICSEARCH_URL (see test/bench/lib/stack.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PagerDutyReceiver } from '../support/pagerduty-receiver.js';
import { sumMetric } from '../support/prometheus-text.js';
import { consumeOnce } from './consume.js';
import type { ConsumeResult } from './consume.js';
import { generateBenchData } from './lib/data.js';
import { load, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchName, benchStack, deleteBenchTopics, fillTopic, kafkaFor, procSample, repoRoot, sleep, withAdmin } from './lib/stack.js';
import { byLabel, committedLag, deleteEsPrefix, startTripline } from './lib/tripline-process.js';
import type { TriplineProcess } from './lib/tripline-process.js';

const PD_KEY = 'R0UT1NGK3YBENCHa1b2c3d4e5f6a7b8c';

export interface E2eResult {
  variant: Variant;
  lines: number;
  /** spawn -> /readyz 200, ms. */
  startMs: number;
  /** spawn -> first record handled (join included), ms. */
  firstMs: number;
  /** last observation of 0 handled -> first of N handled (decode + match + engine), ms. */
  drainMs: number;
  /** Steady rate: first non-zero observation -> N handled. */
  msgsPerSec: number;
  /** lines / drainMs (conservative: the bracket includes up to one poll gap). */
  msgsPerSecBracket: number;
  observations: { lastZeroMs: number; firstNonZeroMs: number; firstNonZero: number; doneMs: number };
  mbPerSec: number;
  /** all handled -> committed lag 0, ms (checkpoint + commit, every commit_interval_ms). */
  commitAfterMs: number;
  /** first record -> committed lag 0. */
  drainToCommittedMs: number;
  cpuMs: number;
  cpuCores: number;
  cpuUsPerMsg: number;
  rssMb: number;
  hwmMb: number;
  /** RSS and heap reported by tripline's own metrics at the end. */
  heapUsedMb: number;
  sinkErrors: Record<string, number>;
  sinkDeadLettered: number;
  /** Only the DLQ writers count requests (tripline_sink_requests_total); see sinkItemsSent. */
  sinkRequests: Record<string, number>;
  /** Items the delivery queues got acknowledged (component_sent_events_total{stage="sink"}). */
  sinkItemsSent: number;
  /** component_errors_total{stage="sink"} by error_type (where ES/PagerDuty errors land). */
  sinkStageErrors: Record<string, number>;
  recordsInvalid: number;
  recordsLate: number;
  alertTransitions: number;
  pagerDutyRequests: number;
  pagerDutyIncidents: number;
  activeGroups: number;
  exit: string;
}

/**
 * PagerDuty set-up: `pd` = the receiver with the default rate limit (120 events/min per routing
 * key), `pd1000` = the same at the schema's maximum (1000/min), `nopd` = no PagerDuty sink.
 */
export const VARIANTS = ['pd', 'pd1000', 'nopd'] as const;
export type Variant = (typeof VARIANTS)[number];

async function e2eOnce(brokers: string[], esUrl: string, topic: string, lines: number, bytes: number, prof: boolean, variant: Variant): Promise<E2eResult> {
  const kafka = kafkaFor(brokers, 'tripline-bench');
  const group = benchName('e2e');
  const prefix = group;
  const pd = await new PagerDutyReceiver().start();
  // (the receiver runs for every variant; with nopd nothing is sent to it)
  const yaml = `elasticsearch:
  url: ${esUrl}
  sink:
    mode: index
    alerts_prefix: ${prefix}-alerts
    metrics_prefix: ${prefix}-metrics
${
      variant === 'nopd'
        ? ''
        : `pagerduty:
  routing_keys:
    default: { routing_key_env: TRIPLINE_BENCH_PD_KEY }
${variant === 'pd1000' ? '  rate_limit_per_minute: 1000\n' : ''}`
    }patterns: ${join(repoRoot, 'patterns')}
`;
  const profDir = join(repoRoot, '.cache', 'prof-e2e');
  if (prof) mkdirSync(profDir, { recursive: true });
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPICS: topic,
    KAFKA_GROUP_ID: group,
    ELASTICSEARCH_URL: esUrl,
    PAGERDUTY_EVENTS_URL: pd.url,
    TRIPLINE_BENCH_PD_KEY: PD_KEY,
    TRIPLINE_LOG_LEVEL: 'info',
  };
  const t0 = performance.now();
  let proc: TriplineProcess | undefined;
  try {
    proc = await startTripline({ yaml, env, nodeFlags: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
    const { pid, tail, metricsText, alive } = proc;
    const startMs = proc.startMs;
    // Poll the handled count. A /metrics answer waits while tripline is busy with a batch, so
    // observations are irregular: the drain is bracketed by the last observation of 0 (start) and
    // the first of N (end), and the steady rate is taken between the first non-zero observation
    // and the end.
    let prev = { t: performance.now(), h: 0, cpu: procSample(pid) };
    let zero: typeof prev | undefined;
    let first: typeof prev | undefined;
    let done: typeof prev | undefined;
    const deadline = performance.now() + 15 * 60_000;
    for (;;) {
      if (!alive()) throw new Error(`tripline exited during the drain\n${tail()}`);
      const text = await metricsText();
      const obs = { t: performance.now(), h: sumMetric(text, 'tripline_component_received_events_total', { stage: 'decode' }), cpu: procSample(pid) };
      if (first === undefined && obs.h > 0) {
        zero = prev;
        first = obs;
      }
      if (obs.h >= lines) {
        done = obs;
        break;
      }
      if (obs.t > deadline) throw new Error(`tripline handled ${obs.h}/${lines} records in 15 min\n${tail()}`);
      prev = obs;
      await sleep(100);
    }
    const tFirst = zero!.t;
    const tDone = done.t;
    const cpuFirst = zero!.cpu;
    const cpuDone = done.cpu;
    // Committed lag -> 0.
    let tCommitted = 0;
    for (;;) {
      if ((await committedLag(kafka, group, topic)) === 0) {
        tCommitted = performance.now();
        break;
      }
      if (performance.now() - tDone > 60_000) throw new Error(`committed lag not 0 within 60 s after the drain\n${tail()}`);
      await sleep(200);
    }
    // Let the sinks deliver what the drain produced, then read the counters.
    await sleep(2000);
    const text = await metricsText();
    const end = procSample(pid);
    const drainMs = tDone - tFirst;
    const cpuMs = cpuDone.cpuMs - cpuFirst.cpuMs;
    const steady = first!.h < lines * 0.9 ? (lines - first!.h) / ((tDone - first!.t) / 1000) : lines / (drainMs / 1000);
    const res: E2eResult = {
      variant,
      lines,
      startMs: Math.round(startMs),
      firstMs: Math.round(tFirst - t0),
      drainMs: Math.round(drainMs),
      msgsPerSec: Math.round(steady),
      msgsPerSecBracket: Math.round(lines / (drainMs / 1000)),
      mbPerSec: round((steady * bytes) / lines / 1048576, 1),
      observations: { lastZeroMs: Math.round(zero!.t - t0), firstNonZeroMs: Math.round(first!.t - t0), firstNonZero: first!.h, doneMs: Math.round(tDone - t0) },
      commitAfterMs: Math.round(tCommitted - tDone),
      drainToCommittedMs: Math.round(tCommitted - tFirst),
      cpuMs: Math.round(cpuMs),
      cpuCores: round(cpuMs / drainMs, 2),
      cpuUsPerMsg: round((cpuMs * 1000) / lines, 2),
      rssMb: cpuDone.rssMb,
      hwmMb: end.hwmMb,
      heapUsedMb: Math.round(sumMetric(text, 'tripline_nodejs_heap_size_used_bytes') / 1048576),
      sinkErrors: byLabel(text, 'tripline_sink_errors_total', 'sink'),
      sinkDeadLettered: sumMetric(text, 'tripline_sink_dead_lettered_total'),
      sinkRequests: byLabel(text, 'tripline_sink_requests_total', 'sink'),
      sinkItemsSent: sumMetric(text, 'tripline_component_sent_events_total', { stage: 'sink' }),
      sinkStageErrors: byLabel(text, 'tripline_component_errors_total', 'error_type', 'stage="sink"'),
      recordsInvalid: sumMetric(text, 'tripline_records_invalid_total'),
      recordsLate: sumMetric(text, 'tripline_records_late_total'),
      alertTransitions: sumMetric(text, 'tripline_alert_transitions_total'),
      pagerDutyRequests: pd.received.length,
      pagerDutyIncidents: pd.incidents.length,
      activeGroups: sumMetric(text, 'tripline_active_groups'),
      exit: '',
    };
    res.exit = await proc.stop();
    if (res.exit !== '0') process.stderr.write(`e2e: tripline exit ${res.exit}\n${tail()}\n`);
    return res;
  } finally {
    if (proc?.alive() === true) await proc.stop();
    await pd.stop();
    await deleteBenchTopics(
      kafka,
      [`${topic}.dlq`, `${group}-state`, `${group}-sink.dlq`, `${group}-pagerduty-delivered`, `${group}-partials`],
      [group, `${group}-partials`],
    ).catch(() => undefined);
    await deleteEsPrefix(esUrl, prefix).catch((e: unknown) => process.stderr.write(`e2e: could not delete indices ${prefix}-*: ${String(e)}\n`));
  }
}

export const e2eScenario: Scenario = {
  description: 'end to end: the real `tripline run` (all patterns, ES + PagerDuty sinks) drains N lines from 12 partitions, vs the consume-only ceiling',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const lines = args.lines ?? 300_000;
    const reps = args.reps ?? 1;
    const prof = args.only?.includes('prof') ?? false;
    const picked = VARIANTS.filter((v) => args.only?.includes(v));
    const variants: Variant[] = picked.length > 0 ? picked : ['pd'];
    const stack = await benchStack(true);
    const kafka = kafkaFor(stack.brokers, 'tripline-bench');
    const data = generateBenchData({ lines });
    const topic = benchName('e2e');
    try {
      const filled = await fillTopic(kafka, topic, data);
      await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }));
      process.stderr.write(`e2e: produced ${lines} lines (${round(filled.bytes / 1048576, 1)} MB) to ${topic} in ${filled.produceMs} ms\n`);
      const consume: Array<ConsumeResult & { load1: number }> = [];
      const e2e: Array<E2eResult & { load1: number }> = [];
      for (let r = 0; r < reps; r++) {
        const c = await consumeOnce(stack.brokers, topic, lines, filled.bytes);
        consume.push({ ...c, load1: load()[0]! });
        process.stderr.write(`e2e rep ${r + 1}: consume-only ${c.msgsPerSec} msgs/s (cpu ${c.cpuCores} cores), load ${load().join(' ')}\n`);
        for (const v of variants) {
        const e = await e2eOnce(stack.brokers, stack.elasticsearchUrl!, topic, lines, filled.bytes, prof && r === 0, v);
        e2e.push({ ...e, load1: load()[0]! });
        process.stderr.write(`e2e rep ${r + 1} ${v}: tripline ${e.msgsPerSec} msgs/s = ${round((100 * e.msgsPerSec) / c.msgsPerSec)}% of consume-only, cpu ${e.cpuCores} cores, rss ${e.rssMb} MB, sink errors ${JSON.stringify(e.sinkErrors)}, PagerDuty ${e.pagerDutyRequests}, load ${load().join(' ')}\n`);
        }
      }
      const ratios = e2e.map((e, i) => ({ variant: e.variant, percent: round((100 * e.msgsPerSec) / consume[Math.floor(i / variants.length)]!.msgsPerSec, 1) }));
      return {
        lines,
        reps,
        avgBytes: data.avgBytes,
        partitions: filled.partitions,
        brokers: stack.brokers,
        elasticsearchUrl: stack.elasticsearchUrl,
        percentOfConsumeOnly: ratios,
        targetPercent: 90,
        consume,
        e2e,
        profile: prof ? '.cache/prof-e2e/' : undefined,
        loadEnd: load(),
      };
    } finally {
      await deleteBenchTopics(kafka, [topic, `${topic}.dlq`]).catch(() => undefined);
    }
  },
};
