// Shared fixture of the `tripline run` integration tests: a small pattern set, a multi-partition
// log stream with known incidents over event time, the service config, expected output computed
// with the same pure code the service runs (createDetection + MetricEmitter), and cleanup.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '@elastic/elasticsearch';
import type { Kafka } from 'kafkajs';
import { loadPatterns } from '../../../src/config/load-patterns.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { createDetection } from '../../../src/pipeline.js';
import { alertCodec, metricCodec } from '../../../src/sink/elasticsearch/documents.js';
import type { MetricRecord } from '../../../src/sink/elasticsearch/documents.js';
import { MetricEmitter } from '../../../src/sink/metric-emitter.js';
import { Cleanup, createTopic, deleteGroups, deleteIndices, deleteTopics, esClient, kafkaClient, stackInfo, uniqueName } from '../helpers/stack.js';
import { TriplineProcess, repoRoot, tempDir } from '../helpers/tripline-process.js';
import { PagerDutyReceiver } from '../../support/pagerduty-receiver.js';

const execFileAsync = promisify(execFile);

export const T0 = Date.parse('2026-03-02T10:00:00.000Z');
export const SERVICES = ['api', 'web', 'db'] as const;
export const METRICS_INTERVAL_MS = 60_000;
/** A fake routing key (the receiver accepts any 32-char key); must never appear in output. */
export const PD_KEY = 'R0UT1NGK3YSECRETa1b2c3d4e5f6a7b8';

export const PATTERNS_YAML = `
- id: svc-errors
  description: Request failures per service
  match:
    event: request_failed
  group_by: [service]
  detect:
    type: threshold
    window: 1m
    resolution: 10s
    op: '>='
    value: 3
  resolve_after: 30s
  severity: error
  labels: { team: it }
  summary: "{{value}} failures on {{group.service}} in 1 minute"
`;

export interface Line {
  partition: number;
  value: string;
}

/** Event-time seconds of the incidents per service: [start, end). */
export const INCIDENTS: Record<(typeof SERVICES)[number], [number, number]> = {
  api: [300, 420],
  web: [900, 1020],
  db: [1320, 1440],
};

/** Heartbeats every 5 s on every partition plus failures every 10 s during incidents. */
export function buildStream(durationS = 1800, malformedEvery = 0): Line[] {
  const out: Line[] = [];
  let n = 0;
  for (let s = 0; s < durationS; s += 5) {
    SERVICES.forEach((service, partition) => {
      const iso = new Date(T0 + s * 1000).toISOString();
      out.push({ partition, value: JSON.stringify({ '@timestamp': iso, event: 'heartbeat', service }) });
      const [a, b] = INCIDENTS[service];
      if (s >= a && s < b && s % 10 === 0) {
        out.push({ partition, value: JSON.stringify({ '@timestamp': iso, event: 'request_failed', service, status: 503 }) });
      }
      if (malformedEvery > 0 && ++n % malformedEvery === 0) out.push({ partition, value: n % 2 === 0 ? '{"broken": ' : 'plain text, not json' });
    });
  }
  return out;
}

export interface Expected {
  transitions: AlertTransition[];
  metrics: MetricRecord[];
}

/** What the service must produce for `lines`: the pure pipeline, partitions interleaved as produced. */
export async function expected(patternsDir: string, lines: readonly Line[]): Promise<Expected> {
  const patterns = await loadPatterns(patternsDir);
  const emitter = new MetricEmitter({ intervalMs: METRICS_INTERVAL_MS });
  const det = createDetection(patterns, { engine: { onEvaluate: emitter.onEvaluate } });
  const transitions: AlertTransition[] = [];
  for (const l of lines) {
    det.push(l.value, T0, l.partition);
    transitions.push(...det.advance());
  }
  return { transitions, metrics: emitter.drain() };
}

export const alertId = (t: AlertTransition): string => alertCodec.id(t);
export const metricId = (m: MetricRecord): string => metricCodec.id(m);

export class ServiceScenario {
  readonly cleanup = new Cleanup();
  readonly name: string;
  readonly topic: string;
  readonly group: string;
  readonly prefix: string;
  readonly kafka: Kafka;
  readonly es: Client;
  readonly pd = new PagerDutyReceiver();
  readonly files: ReturnType<typeof tempDir>;
  procs: TriplineProcess[] = [];

  constructor(name: string) {
    this.name = uniqueName(name);
    this.topic = this.name;
    this.group = `${this.name}-g`;
    this.prefix = this.name;
    this.kafka = kafkaClient();
    this.es = esClient();
    this.files = tempDir({ 'patterns/patterns.yaml': PATTERNS_YAML });
  }

  get patternsDir(): string {
    return this.files.path('patterns');
  }

  get alertsIndex(): string {
    return `${this.prefix}-alerts-*`;
  }

  get metricsIndex(): string {
    return `${this.prefix}-metrics-*`;
  }

  async setup(partitions = SERVICES.length, extraConfig = ''): Promise<void> {
    await this.pd.start();
    this.cleanup.add('pd receiver', () => this.pd.stop());
    this.cleanup.add('temp dir', async () => this.files.rm());
    // The stream's record timestamps are in 2026-03 (T0): without retention.ms=-1 the broker's
    // 7-day time retention deletes the records (log start offset jumps past them) at its next
    // check, possibly before a paused or restarted tripline has read them.
    const keep = [{ name: 'retention.ms', value: '-1' }];
    await createTopic(this.kafka, this.topic, partitions, keep);
    await createTopic(this.kafka, `${this.topic}.dlq`, 1, keep);
    this.cleanup.add('topics', () => deleteTopics(this.kafka, [this.topic, `${this.topic}.dlq`, `${this.group}-state`, `${this.group}-sink.dlq`, `${this.group}-pagerduty-delivered`]));
    // A SIGKILLed member stays in the group until its session times out: best effort.
    this.cleanup.add('groups', () => deleteGroups(this.kafka, [this.group]).catch(() => undefined));
    this.cleanup.add('indices', async () => {
      const got = await this.es.indices.get({ index: [this.alertsIndex, this.metricsIndex], ignore_unavailable: true, allow_no_indices: true });
      await deleteIndices(this.es, Object.keys(got));
      for (const t of [`${this.prefix}-alerts`, `${this.prefix}-metrics`]) await this.es.indices.deleteIndexTemplate({ name: t }).catch(() => undefined);
    });
    const yaml = `kafka:
  group_id: ${this.group}
elasticsearch:
  url: ${stackInfo().elasticsearchUrl}
  sink:
    mode: index
    alerts_prefix: ${this.prefix}-alerts
    metrics_prefix: ${this.prefix}-metrics
    refresh: wait_for
    retry: { max_attempts: 3, max_time_ms: 3000, min_delay_ms: 100, max_delay_ms: 1000 }
pagerduty:
  events_url: ${this.pd.url}
  routing_keys:
    default: { routing_key_env: TRIPLINE_IT_PD_KEY }
  retry: { max_attempts: 3, max_time_ms: 3000, min_delay_ms: 50, max_delay_ms: 500 }
patterns: ${this.patternsDir}
metrics_interval_ms: ${METRICS_INTERVAL_MS}
commit_interval_ms: 1000
${extraConfig}`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(this.files.path('tripline.yaml'), yaml);
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      KAFKA_BROKERS: stackInfo().kafkaBrokers.join(','),
      KAFKA_TOPICS: this.topic,
      TRIPLINE_IT_PD_KEY: PD_KEY,
      TRIPLINE_LOG_LEVEL: 'info',
      TRIPLINE_SHUTDOWN_TIMEOUT_MS: '30000',
      ...extra,
    };
  }

  process(extraEnv: Record<string, string> = {}): TriplineProcess {
    const p = new TriplineProcess({ env: this.env(extraEnv), args: ['--config', this.files.path('tripline.yaml')] });
    this.procs.push(p);
    this.cleanup.add('tripline process', () => p.kill());
    return p;
  }

  async produce(lines: readonly Line[], chunk = 500): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < lines.length; i += chunk) {
        const part = lines.slice(i, i + chunk);
        await producer.send({ topic: this.topic, acks: -1, messages: part.map((l) => ({ partition: l.partition, value: l.value, timestamp: String(T0) })) });
      }
    } finally {
      await producer.disconnect();
    }
  }

  async writeStreamFile(lines: readonly Line[]): Promise<string> {
    const { writeFileSync } = await import('node:fs');
    const f = this.files.path('stream.ndjson');
    writeFileSync(f, lines.map((l) => l.value).join('\n') + '\n');
    return f;
  }

  /** `tripline replay FILE --format ndjson` with the scenario's patterns. */
  async replayCli(file: string): Promise<AlertTransition[]> {
    const { stdout } = await execFileAsync(process.execPath, ['bin/tripline.js', 'replay', file, '--patterns', this.patternsDir, '--format', 'ndjson'], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AlertTransition);
  }

  async esDocs<T>(index: string): Promise<Array<{ _id: string; _source: T }>> {
    await this.es.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
    const res = await this.es.search<T>({ index, size: 10_000, query: { match_all: {} }, ignore_unavailable: true, allow_no_indices: true });
    return res.hits.hits.map((h) => ({ _id: h._id!, _source: h._source! }));
  }

  async esCount(index: string): Promise<number> {
    await this.es.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
    return (await this.es.count({ index, ignore_unavailable: true, allow_no_indices: true })).count;
  }

  /** Every output in every run's stdout/stderr, for secret checks. */
  allOutput(): string {
    return this.procs.map((p) => p.stdout + p.stderr).join('\n');
  }
}
