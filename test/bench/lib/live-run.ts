/**
 * One live run of the service for the latency and burst benchmarks: a fresh 12-partition topic
 * (plus its DLQ), the Elasticsearch proxy (test/bench/lib/es-proxy.ts) in front of the real node,
 * the local PagerDuty receiver, the incident tracker, and `tripline run` (every bundled pattern
 * plus the incident pattern) reading the topic with a unique group, writing to unique index
 * prefixes through the proxy. `close()` stops everything and deletes what the run created.
 * TRIPLINE_BENCH_PROF=<dir>: tripline runs with --cpu-prof (profile written there at exit).
 */
import { rmSync } from 'node:fs';
import type { Kafka, Producer } from 'kafkajs';
import { PagerDutyReceiver } from '../../support/pagerduty-receiver.js';
import { sumMetric } from '../../support/prometheus-text.js';
import { EsProxy } from './es-proxy.js';
import { IncidentTracker, INCIDENT_PATTERN, patternsWithIncident } from './incidents.js';
import { benchName, deleteBenchTopics, kafkaFor, sleep, topicSize, withAdmin } from './stack.js';
import { byLabel, committedLag, deleteEsPrefix, startTripline } from './tripline-process.js';
import type { TriplineProcess } from './tripline-process.js';

const PD_KEY = 'R0UT1NGK3YBENCHa1b2c3d4e5f6a7b8c';
export const PARTITIONS = 12;

export interface LiveRunOptions {
  brokers: string[];
  esUrl: string;
  what: string;
  /** elasticsearch.sink.batch.max_delay_ms (default: tripline's, 1000). */
  esMaxDelayMs?: number;
  /** PagerDuty sink (rate_limit_per_minute 1000, the schema maximum), default true. */
  pagerduty?: boolean;
  /** Extra environment for tripline (e.g. TRIPLINE_COMMIT_INTERVAL_MS). */
  env?: Record<string, string>;
}

export interface LiveRun {
  kafka: Kafka;
  topic: string;
  group: string;
  prefix: string;
  proxy: EsProxy;
  pd: PagerDutyReceiver;
  tracker: IncidentTracker;
  tripline: TriplineProcess;
  /** Failed starts before this one (see startLiveRun). */
  startFailures: number;
  producer: Producer;
  /** Records in the topic (sum of end offsets; the topic starts empty). */
  produced(): Promise<number>;
  /** Records tripline pushed through decode (its /metrics). */
  handled(): Promise<number>;
  /** Counters of interest from /metrics. */
  counters(): Promise<RunCounters>;
  committedLag(): Promise<number>;
  /** Records in the sink dead-letter topic `<group>-sink.dlq` (0 when absent). */
  sinkDlqRecords(): Promise<number>;
  close(): Promise<string>;
}

export interface RunCounters {
  handled: number;
  late: number;
  invalid: number;
  transitions: number;
  incidentTransitions: number;
  sinkErrors: Record<string, number>;
  sinkStageErrors: Record<string, number>;
  sinkDeadLettered: number;
  sinkItemsSent: number;
  pausedPartitions: number;
}

export async function startLiveRun(o: LiveRunOptions): Promise<LiveRun> {
  const kafka = kafkaFor(o.brokers, 'tripline-bench');
  const topic = benchName(o.what);
  const group = topic;
  const prefix = topic;
  const tracker = new IncidentTracker(topic.slice(-6));
  const proxy = await new EsProxy(o.esUrl, tracker.onEsAck, INCIDENT_PATTERN).start();
  const pd = await new PagerDutyReceiver().start();
  tracker.hookPagerDuty(pd);
  const patterns = patternsWithIncident();
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      topics: [
        { topic, numPartitions: PARTITIONS, replicationFactor: 1 },
        { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
      timeout: 30_000,
    }),
  );
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const yaml = `elasticsearch:
  url: ${proxy.url}
  sink:
    mode: index
    alerts_prefix: ${prefix}-alerts
    metrics_prefix: ${prefix}-metrics
${o.esMaxDelayMs === undefined ? '' : `    batch:\n      max_delay_ms: ${o.esMaxDelayMs}\n`}${
    o.pagerduty === false
      ? ''
      : `pagerduty:
  routing_keys:
    default: { routing_key_env: TRIPLINE_BENCH_PD_KEY }
  rate_limit_per_minute: 1000
`
  }patterns: ${patterns}
`;
  let tripline: TriplineProcess | undefined;
  let startFailures = 0;
  const profDir = process.env.TRIPLINE_BENCH_PROF?.trim();
  const start = (): Promise<TriplineProcess> =>
    startTripline({
      nodeFlags: profDir === undefined || profDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
      yaml,
      env: {
        KAFKA_BROKERS: o.brokers.join(','),
        KAFKA_TOPICS: topic,
        KAFKA_GROUP_ID: group,
        PAGERDUTY_EVENTS_URL: pd.url,
        TRIPLINE_BENCH_PD_KEY: PD_KEY,
        TRIPLINE_LOG_LEVEL: 'warn',
        ...o.env,
      },
    });
  try {
    // tripline exits at start when Kafka answers "does not host this topic-partition" right after
    // it created its state / delivered topics (metadata not yet propagated on the loaded box):
    // retried here, counted in `startFailures`.
    for (;;) {
      try {
        tripline = await start();
        break;
      } catch (e) {
        if (++startFailures >= 3 || !/does not host this topic-partition|not ready|unavailable/i.test(String(e))) throw e;
        process.stderr.write(`tripline failed to start (${String(e).split('\n')[0]}); retrying\n`);
        await sleep(2000);
      }
    }
  } catch (e) {
    await producer.disconnect();
    await proxy.stop();
    await pd.stop();
    rmSync(patterns, { recursive: true, force: true });
    await deleteBenchTopics(kafka, [topic, `${topic}.dlq`], [group]).catch(() => undefined);
    throw e;
  }
  const counters = async (): Promise<RunCounters> => {
    const text = await tripline.metricsText();
    return {
      handled: sumMetric(text, 'tripline_component_received_events_total', { stage: 'decode' }),
      late: sumMetric(text, 'tripline_records_late_total'),
      invalid: sumMetric(text, 'tripline_records_invalid_total'),
      transitions: sumMetric(text, 'tripline_alert_transitions_total'),
      incidentTransitions: sumMetric(text, 'tripline_alert_transitions_total', { pattern: INCIDENT_PATTERN }),
      sinkErrors: byLabel(text, 'tripline_sink_errors_total', 'sink'),
      sinkStageErrors: byLabel(text, 'tripline_component_errors_total', 'error_type', 'stage="sink"'),
      sinkDeadLettered: sumMetric(text, 'tripline_sink_dead_lettered_total'),
      sinkItemsSent: sumMetric(text, 'tripline_component_sent_events_total', { stage: 'sink' }),
      pausedPartitions: sumMetric(text, 'tripline_kafka_paused_partitions'),
    };
  };
  return {
    kafka,
    topic,
    group,
    prefix,
    proxy,
    pd,
    tracker,
    tripline,
    startFailures,
    producer,
    produced: () => topicSize(kafka, topic),
    handled: async () => sumMetric(await tripline.metricsText(), 'tripline_component_received_events_total', { stage: 'decode' }),
    counters,
    committedLag: () => committedLag(kafka, group, topic),
    sinkDlqRecords: async () => {
      const dlq = `${group}-sink.dlq`;
      const exists = await withAdmin(kafka, async (admin) => (await admin.listTopics()).includes(dlq));
      return exists ? topicSize(kafka, dlq) : 0;
    },
    async close(): Promise<string> {
      const exit = await tripline.stop();
      await producer.disconnect().catch(() => undefined);
      await proxy.stop();
      await pd.stop();
      rmSync(patterns, { recursive: true, force: true });
      await deleteBenchTopics(kafka, [topic, `${topic}.dlq`, `${group}-state`, `${group}-sink.dlq`, `${group}-pagerduty-delivered`], [group]).catch(() => undefined);
      await deleteEsPrefix(o.esUrl, prefix).catch((e: unknown) => process.stderr.write(`could not delete indices ${prefix}-*: ${String(e)}\n`));
      return exit;
    },
  };
}
