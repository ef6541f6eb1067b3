/**
 * Shared pieces of the benchmarks that need the real stack (consume, e2e): where the stack is
 * (KAFKA_BROKERS / ELASTICSEARCH_URL, required, checked), a 12-partition topic pre-filled with the
 * deterministic traffic (test/bench/lib/data.ts), per-process CPU and RSS from /proc, and a helper
 * to run part of a scenario in a child Node process (clean RSS, `--expose-gc`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import type { Message } from 'kafkajs';
import type { BenchData } from './data.js';
import { withAdmin } from '../../support/kafka-admin.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface BenchStack {
  brokers: string[];
  /** Undefined unless required. */
  elasticsearchUrl: string | undefined;
}

const STACK_HINT =
  'start the local stack (see docs/local-stack.md; `npm run stack:up` prints the endpoints) and export KAFKA_BROKERS=host:port[,...]' +
  ' (and ELASTICSEARCH_URL=http://host:port for e2e)';

/** Reads KAFKA_BROKERS (and ELASTICSEARCH_URL when `needEs`), then checks both answer. Throws a clear error otherwise. */
export async function benchStack(needEs: boolean): Promise<BenchStack> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (brokers.length === 0) throw new Error(`KAFKA_BROKERS is not set: ${STACK_HINT}`);
  const esUrl = process.env.ELASTICSEARCH_URL?.trim();
  if (needEs && (esUrl === undefined || esUrl === '')) throw new Error(`ELASTICSEARCH_URL is not set: ${STACK_HINT}`);
  const admin = new Kafka({ clientId: 'tripline-bench-check', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 1, initialRetryTime: 200 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (e) {
    throw new Error(`Kafka at KAFKA_BROKERS=${brokers.join(',')} is not reachable (${(e as Error).message}): ${STACK_HINT}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (needEs) {
    try {
      const res = await fetch(`${esUrl!.replace(/\/$/, '')}/_cluster/health`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      throw new Error(`Elasticsearch at ELASTICSEARCH_URL=${esUrl} is not reachable (${(e as Error).message}): ${STACK_HINT}`);
    }
  }
  return { brokers, elasticsearchUrl: needEs ? esUrl : undefined };
}

export function kafkaFor(brokers: string[], clientId: string, retry: { retries: number } = { retries: 5 }): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, retry: { ...retry, initialRetryTime: 200 } });
}

export { withAdmin };

/** `tripline-bench-<what>-<time>-<random>` (valid topic / group / index name). */
export function benchName(what: string): string {
  return `tripline-bench-${what}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface FilledTopic {
  topic: string;
  partitions: number;
  lines: number;
  bytes: number;
  produceMs: number;
}

/**
 * Creates `topic` (retention.ms=-1: the traffic's event times are days old) and produces every
 * line of `d`, round-robin over the partitions, acks=1, no compression, ~1 MB requests, a few in
 * flight. Not a measured phase.
 */
export async function fillTopic(kafka: Kafka, topic: string, d: BenchData, partitions = 12): Promise<FilledTopic> {
  await withAdmin(kafka, async (admin) => {
    const ok = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }],
      waitForLeaders: true,
      timeout: 30_000,
    });
    if (!ok) throw new Error(`topic ${topic} already exists`);
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const t0 = Date.now();
  const chunk = 3_000; // ~0.9 MB per request, ~75 KB per partition
  const inFlight = 4;
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < d.count; i += chunk) {
      const messages: Message[] = [];
      const end = Math.min(d.count, i + chunk);
      for (let k = i; k < end; k++) messages.push({ partition: k % partitions, value: d.buf.subarray(d.starts[k]!, d.ends[k]!) });
      sends.push(producer.send({ topic, acks: 1, messages }));
      if (sends.length >= inFlight) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  const produceMs = Date.now() - t0;
  const total = await topicSize(kafka, topic);
  if (total !== d.count) throw new Error(`topic ${topic} holds ${total} records, expected ${d.count}`);
  let bytes = 0;
  for (let k = 0; k < d.count; k++) bytes += d.ends[k]! - d.starts[k]!;
  return { topic, partitions, lines: d.count, bytes, produceMs };
}

/** Sum over partitions of (high watermark - low). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  });
}

export async function deleteBenchTopics(kafka: Kafka, topics: string[], groups: string[] = []): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  });
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface ProcSample {
  /** user + system CPU of the whole process (all threads), ms. */
  cpuMs: number;
  userMs: number;
  sysMs: number;
  rssMb: number;
  /** Peak RSS (VmHWM), MB. */
  hwmMb: number;
}

/** CPU (/proc/<pid>/stat utime+stime) and RSS (/proc/<pid>/status VmRSS, VmHWM) of a process. */
export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of comm: state is field 3; utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = ticksPerSecond();
  const userMs = (Number(rest[11]) * 1000) / hz;
  const sysMs = (Number(rest[12]) * 1000) / hz;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuMs: userMs + sysMs, userMs, sysMs, rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}

/**
 * Runs `file` (a test/bench .ts module) in a child Node process through tsx with `nodeFlags`
 * and `args`; stderr is passed through, the last stdout line is parsed as the JSON result.
 */
export function runChild<T>(file: string, args: string[], nodeFlags: string[] = [], env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${file} exited with ${code ?? signal}; stdout tail: ${out.slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${file}: no JSON result on stdout; tail: ${out.slice(-2000)}`));
      }
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether this module is the process entry point (child mode of a scenario file). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(metaUrl) === entry;
}
