/**
 * Background load for the latency and burst benchmarks: a child process (so its CPU use does not
 * delay the parent's timestamps) producing the deterministic traffic of test/bench/lib/data.ts to
 * a topic at a scheduled rate, every line re-stamped with the current time (the service judges
 * event time, so live traffic must carry the wall clock to move its watermark).
 *
 * The rate follows `phases` (each `{ seconds, rate }`, in order); the schedule is open-loop: at
 * any moment the target count is the integral of the rate so far, and whatever is behind is sent
 * in the next requests (up to 2,000 records per request, 4 requests in flight, round-robin over
 * the partitions, acks=1, no compression). How far behind it fell is reported.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Message } from 'kafkajs';
import { generateBenchData } from './data.js';
import { isMain, kafkaFor, runChild, sleep } from './stack.js';

export interface LoadPhase {
  seconds: number;
  /** Records per second. */
  rate: number;
}

export interface LoadPhaseResult extends LoadPhase {
  target: number;
  sent: number;
  /** sent / actual phase duration. */
  achieved: number;
}

export interface LoadResult {
  topic: string;
  sent: number;
  elapsedMs: number;
  /** Largest shortfall against the schedule, records and ms of the then rate. */
  maxBehind: number;
  maxBehindMs: number;
  phases: LoadPhaseResult[];
}

/** Offset of the ISO timestamp in every generated line: `{"timestamp":"` is 14 bytes. */
const TS_AT = 14;
const TS_LEN = 24;
const CHUNK = 2_000;
const IN_FLIGHT = 4;

async function child(brokers: string[], topic: string, partitions: number, phases: LoadPhase[], stopFile: string): Promise<void> {
  const template = generateBenchData({ lines: 20_000 });
  if (template.buf.toString('latin1', TS_AT - 14, TS_AT) !== '{"timestamp":"') throw new Error('unexpected line layout');
  const kafka = kafkaFor(brokers, 'tripline-bench-load');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const bounds: number[] = [];
  let acc = 0;
  for (const p of phases) bounds.push((acc += p.seconds * 1000));
  const totalMs = acc;
  /** Scheduled records by `ms` since the start. */
  const target = (ms: number): number => {
    let n = 0;
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const end = bounds[i]!;
      n += (phases[i]!.rate * (Math.min(ms, end) - start)) / 1000;
      if (ms <= end) break;
      start = end;
    }
    return Math.floor(n);
  };
  const phaseOf = (ms: number): number => Math.max(0, bounds.findIndex((b) => ms < b));
  const perPhase = phases.map(() => 0);
  let sent = 0;
  let line = 0;
  let maxBehind = 0;
  let maxBehindMs = 0;
  const inflight = new Set<Promise<unknown>>();
  const t0 = performance.now();
  let lastIso = '';
  let lastMs = 0;
  let checked = 0;
  for (;;) {
    const ms = performance.now() - t0;
    if (ms >= totalMs) break;
    if (stopFile !== '' && ms - checked > 100) {
      checked = ms;
      if (existsSync(stopFile)) break;
    }
    const due = target(ms) - sent;
    const rate = phases[phaseOf(ms)]!.rate;
    if (due > maxBehind + CHUNK * IN_FLIGHT) {
      maxBehind = due;
      maxBehindMs = rate > 0 ? (1000 * due) / rate : 0;
    }
    if (due <= 0 || inflight.size >= IN_FLIGHT) {
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
      else await sleep(2);
      continue;
    }
    const n = Math.min(due, CHUNK);
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    const messages: Message[] = [];
    for (let k = 0; k < n; k++) {
      const i = line++ % template.count;
      const src = template.buf.subarray(template.starts[i]!, template.ends[i]!);
      const value = Buffer.allocUnsafe(src.length);
      src.copy(value);
      value.write(lastIso, TS_AT, TS_LEN, 'latin1');
      messages.push({ partition: (sent + k) % partitions, value });
    }
    sent += n;
    perPhase[phaseOf(ms)]! += n;
    const p = producer.send({ topic, acks: 1, messages }).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  const elapsedMs = performance.now() - t0;
  await producer.disconnect();
  const result: LoadResult = {
    topic,
    sent,
    elapsedMs: Math.round(elapsedMs),
    maxBehind,
    maxBehindMs: Math.round(maxBehindMs),
    phases: phases.map((p, i) => {
      const ran = Math.max(0, Math.min(bounds[i]!, elapsedMs) - (i === 0 ? 0 : bounds[i - 1]!)) / 1000;
      return { ...p, target: Math.round(p.rate * p.seconds), sent: perPhase[i]!, achieved: ran > 0 ? Math.round(perPhase[i]! / ran) : 0 };
    }),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

/**
 * Produces the phases in a child process; resolves when it is done. The child stops early once
 * `stopFile` exists (`achieved` is then over the time each phase really ran).
 */
export function produceLoad(brokers: string[], topic: string, partitions: number, phases: LoadPhase[], stopFile = ''): Promise<LoadResult> {
  return runChild<LoadResult>(fileURLToPath(import.meta.url), ['--child', brokers.join(','), topic, String(partitions), JSON.stringify(phases), stopFile]);
}

if (isMain(import.meta.url) && process.argv[2] === '--child') {
  const [, , , brokers, topic, partitions, phases, stopFile] = process.argv;
  await child(brokers!.split(','), topic!, Number(partitions), JSON.parse(phases!) as LoadPhase[], stopFile ?? '');
  setTimeout(() => process.exit(0), 2000).unref();
}
