/**
 * Scenario `consume` (issue 8, scenario 2): the consume-only ceiling. A kafkajs consumer group
 * with a no-op eachBatch handler drains a 12-partition topic pre-filled with N deterministic
 * ~300-byte lines (test/bench/lib/data.ts; produced acks=1, no compression, not timed). The
 * consumer runs in a child process (clean CPU/RSS figures, no generator buffers) with the
 * consumer settings tripline's KafkaSource uses (maxBytesPerPartition 1 MiB, one partition at a
 * time, sessionTimeout 30 s). Each repetition is a fresh group on the same topic.
 *
 * Needs the real stack: KAFKA_BROKERS (see test/bench/lib/stack.ts).
 */
import { fileURLToPath } from 'node:url';
import { generateBenchData } from './lib/data.js';
import { load, median, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchName, benchStack, deleteBenchTopics, fillTopic, isMain, kafkaFor, procSample, runChild } from './lib/stack.js';

export interface ConsumeResult {
  lines: number;
  bytes: number;
  /** consumer.run() called -> first batch (join + first fetch), ms. */
  joinMs: number;
  /** first batch -> last record, ms (the steady drain). */
  drainMs: number;
  /** consumer.run() -> last record, ms. */
  totalMs: number;
  msgsPerSec: number;
  mbPerSec: number;
  /** Including the group join. */
  msgsPerSecInclJoin: number;
  batches: number;
  /** Consumer process CPU (user+sys, all threads) during the drain, ms, and as cores. */
  cpuMs: number;
  cpuCores: number;
  cpuUsPerMsg: number;
  rssMb: number;
  hwmMb: number;
  heapUsedMb: number;
}

/** Child mode: consume `count` records of `topic` with group `group`, print a ConsumeResult. */
async function child(brokers: string[], topic: string, group: string, count: number, bytes: number): Promise<void> {
  const kafka = kafkaFor(brokers, 'tripline-bench-consume');
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxBytesPerPartition: 1_048_576, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let batches = 0;
  let tFirst = 0;
  let cpuFirst = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let tDone = 0;
  let cpuDone = 0;
  const tRun = performance.now();
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch }) => {
      if (batches++ === 0) {
        tFirst = performance.now();
        cpuFirst = procSample(process.pid).cpuMs;
      }
      seen += batch.messages.length;
      if (seen >= count && tDone === 0) {
        tDone = performance.now();
        cpuDone = procSample(process.pid).cpuMs;
        done();
      }
      return Promise.resolve();
    },
  });
  await finished;
  const ps = procSample(process.pid);
  const heapUsedMb = Math.round(process.memoryUsage().heapUsed / 1048576);
  await consumer.disconnect();
  const drainMs = tDone - tFirst;
  const r: ConsumeResult = {
    lines: seen,
    bytes,
    joinMs: Math.round(tFirst - tRun),
    drainMs: Math.round(drainMs),
    totalMs: Math.round(tDone - tRun),
    msgsPerSec: Math.round(seen / (drainMs / 1000)),
    mbPerSec: round(bytes / 1048576 / (drainMs / 1000), 1),
    msgsPerSecInclJoin: Math.round(seen / ((tDone - tRun) / 1000)),
    batches,
    cpuMs: Math.round(cpuDone - cpuFirst),
    cpuCores: round((cpuDone - cpuFirst) / drainMs, 2),
    cpuUsPerMsg: round(((cpuDone - cpuFirst) * 1000) / seen, 2),
    rssMb: ps.rssMb,
    hwmMb: ps.hwmMb,
    heapUsedMb,
  };
  process.stdout.write(JSON.stringify(r) + '\n');
}

/** Drains `topic` once with a fresh group in a child process. */
export async function consumeOnce(brokers: string[], topic: string, lines: number, bytes: number): Promise<ConsumeResult> {
  const group = benchName('consume');
  try {
    return await runChild<ConsumeResult>(fileURLToPath(import.meta.url), ['--child', brokers.join(','), topic, group, String(lines), String(bytes)]);
  } finally {
    await deleteBenchTopics(kafkaFor(brokers, 'tripline-bench'), [], [group]).catch(() => undefined);
  }
}

export const consumeScenario: Scenario = {
  description: 'consume-only ceiling: kafkajs group, no-op eachBatch, 12 partitions pre-filled with N lines',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const lines = args.lines ?? 300_000;
    const reps = args.reps ?? 3;
    const stack = await benchStack(false);
    const kafka = kafkaFor(stack.brokers, 'tripline-bench');
    const data = generateBenchData({ lines });
    const topic = benchName('consume');
    try {
      const filled = await fillTopic(kafka, topic, data);
      process.stderr.write(`consume: produced ${lines} lines (${round(filled.bytes / 1048576, 1)} MB) to ${topic} in ${filled.produceMs} ms\n`);
      const runs: Array<ConsumeResult & { load1: number }> = [];
      for (let r = 0; r < reps; r++) {
        const res = await consumeOnce(stack.brokers, topic, lines, filled.bytes);
        runs.push({ ...res, load1: load()[0]! });
        process.stderr.write(`consume rep ${r + 1}: ${res.msgsPerSec} msgs/s, ${res.mbPerSec} MB/s, cpu ${res.cpuCores} cores, rss ${res.rssMb} MB, join ${res.joinMs} ms, load ${load().join(' ')}\n`);
      }
      const med = (f: (x: ConsumeResult) => number): number => median(runs.map(f));
      return {
        lines,
        reps,
        avgBytes: data.avgBytes,
        partitions: filled.partitions,
        produceMs: filled.produceMs,
        brokers: stack.brokers,
        median: {
          msgsPerSec: med((x) => x.msgsPerSec),
          mbPerSec: med((x) => x.mbPerSec),
          msgsPerSecInclJoin: med((x) => x.msgsPerSecInclJoin),
          cpuCores: med((x) => x.cpuCores),
          cpuUsPerMsg: med((x) => x.cpuUsPerMsg),
          rssMb: med((x) => x.rssMb),
          hwmMb: med((x) => x.hwmMb),
        },
        runs,
        loadEnd: load(),
      };
    } finally {
      await deleteBenchTopics(kafka, [topic]).catch(() => undefined);
    }
  },
};

if (isMain(import.meta.url) && process.argv[2] === '--child') {
  const [, , , brokers, topic, group, count, bytes] = process.argv;
  await child(brokers!.split(','), topic!, group!, Number(count), Number(bytes));
  // kafkajs can leave a timer behind after disconnect: do not hang the parent.
  setTimeout(() => process.exit(0), 2000).unref();
}
