/**
 * Scenario `scale` (issue 6, "Scaling benchmark"): throughput of the real `tripline run` with 1, 2
 * and 3 instances in ONE consumer group on a 12-partition topic of the bench traffic
 * (test/bench/lib/data.ts, null keys, round-robin), all bundled patterns, Elasticsearch sinks,
 * no PagerDuty (its rate limit would measure PagerDuty, see the e2e scenario).
 *
 * Per run: a fresh topic and group; the N instances start on the EMPTY topic and the run waits
 * until all N are members of a stable group (so the input is really split N ways, not read by
 * whichever instance joined first); then every line is produced (acks=1, ~1 MB requests, 4 in
 * flight) and the clock runs from the first acknowledged produce request to the moment the
 * committed offsets of stage 1 (group `<group>`) cover the raw topic AND those of stage 2 (group
 * `<group>-partials`) cover the internal `<group>-partials` topic (stage 2 commits after its
 * alerts were delivered and its tasks checkpointed). msgs/s = lines / that interval.
 *
 * Where it saturates: per-process CPU (/proc/<pid>/stat) of every instance, the broker and
 * Elasticsearch (found by their listening ports), this process (the producer), and the whole
 * machine's busy cores (/proc/stat) over the same interval, plus load averages. `--only 1,3`
 * picks instance counts, `--lines N`, `--reps R`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import { sumMetric } from '../support/prometheus-text.js';
import type { BenchData } from './lib/data.js';
import { generateBenchData } from './lib/data.js';
import { load, median, round } from './lib/measure.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { benchName, benchStack, kafkaFor, procSample, repoRoot, sleep, withAdmin } from './lib/stack.js';
import type { ProcSample } from './lib/stack.js';
import { deleteEsPrefix, startTripline } from './lib/tripline-process.js';
import type { TriplineProcess } from './lib/tripline-process.js';

const PARTITIONS = 12;

/** Pid of the process listening on a TCP port (ss -ltnp), undefined when not visible. */
function listenerPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const m = /pid=(\d+)/.exec(out);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

interface Progress {
  lag: number;
  committedPartitions: number;
}

async function progress(kafka: Kafka, group: string, topic: string): Promise<Progress | undefined> {
  return withAdmin(kafka, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const ends = await admin.fetchTopicOffsets(topic);
    const [got] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map((got?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    let committedPartitions = 0;
    for (const e of ends) {
      const c = at.get(e.partition) ?? -1;
      if (c >= 0) committedPartitions++;
      lag += Number(e.high) - (c < 0 ? Number(e.low) : c);
    }
    return { lag, committedPartitions };
  });
}

export interface ScaleResult {
  instances: number;
  lines: number;
  /** Lines / (first produce ack -> committed raw + partials). */
  msgsPerSec: number;
  firstAckToDoneMs: number;
  produceMs: number;
  /** Last produce ack -> done (what was still queued when the producer finished). */
  afterProduceMs: number;
  /** CPU over the measured interval, ms, and in cores (cpuMs / interval). */
  cpu: {
    instances: Array<{ cpuMs: number; cores: number; rssMb: number; hwmMb: number }>;
    instancesTotalCores: number;
    broker: number | undefined;
    elasticsearch: number | undefined;
    producer: number;
    machineBusyCores: number;
  };
  /** Sum over instances of tripline_alert_transitions_total (same data: should not depend on N). */
  alertTransitions: number;
  partialsCommitted: boolean;
  load: number[];
  exits: string[];
}

async function produceAll(kafka: Kafka, topic: string, d: BenchData): Promise<{ firstAck: number; lastAck: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const chunk = 3_000;
  let firstAck = 0;
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < d.count; i += chunk) {
      const messages: Message[] = [];
      const end = Math.min(d.count, i + chunk);
      for (let k = i; k < end; k++) messages.push({ partition: k % PARTITIONS, value: d.buf.subarray(d.starts[k]!, d.ends[k]!) });
      sends.push(
        producer.send({ topic, acks: 1, messages }).then(() => {
          if (firstAck === 0) firstAck = performance.now();
        }),
      );
      if (sends.length >= 4) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  return { firstAck, lastAck: performance.now() };
}

async function scaleOnce(brokers: string[], esUrl: string, d: BenchData, n: number): Promise<ScaleResult> {
  const kafka = kafkaFor(brokers, 'tripline-bench-scale');
  const topic = benchName(`scale${n}`);
  const group = `${topic}-g`;
  const yaml = `kafka:
  group_id: ${group}
elasticsearch:
  url: ${esUrl}
  sink:
    mode: index
    alerts_prefix: ${group}-alerts
    metrics_prefix: ${group}-metrics
patterns: ${join(repoRoot, 'patterns')}
commit_interval_ms: 1000
`;
  const instances: TriplineProcess[] = [];
  try {
    await withAdmin(kafka, async (admin) => {
      await admin.createTopics({
        topics: [
          { topic, numPartitions: PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] },
          { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 },
        ],
        waitForLeaders: true,
        timeout: 30_000,
      });
    });
    const env = { KAFKA_BROKERS: brokers.join(','), KAFKA_TOPICS: topic, TRIPLINE_LOG_LEVEL: 'warn' };
    const started = await Promise.allSettled(Array.from({ length: n }, () => startTripline({ yaml, env })));
    for (const r of started) if (r.status === 'fulfilled') instances.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    // All ready, all in the group.
    const t0 = performance.now();
    for (;;) {
      for (const i of instances) if (!i.alive()) throw new Error(`an instance exited during start\n${i.tail()}`);
      const g = await withAdmin(kafka, async (admin) => (await admin.describeGroups([group])).groups[0]);
      if (g?.state === 'Stable' && g.members.length >= n) break;
      if (performance.now() - t0 > 180_000) throw new Error(`${n} instances not ready and in a stable group after 180 s (group ${g?.state}, ${g?.members.length} members)`);
      await sleep(250);
    }
    const brokerPid = listenerPid(Number(brokers[0]!.split(':').pop()));
    const esPid = listenerPid(Number(new URL(esUrl).port));
    const sample = (pid: number | undefined): ProcSample | undefined => {
      try {
        return pid === undefined ? undefined : procSample(pid);
      } catch {
        return undefined;
      }
    };
    const tBefore = performance.now();
    const before = { inst: instances.map((i) => procSample(i.pid)), broker: sample(brokerPid), es: sample(esPid), me: procSample(process.pid), machine: machineJiffies() };
    const { firstAck, lastAck } = await produceAll(kafka, topic, d);
    let done = 0;
    let partialsCommitted = false;
    const deadline = performance.now() + 15 * 60_000;
    for (;;) {
      for (const i of instances) if (!i.alive()) throw new Error(`an instance exited during the drain\n${i.tail()}`);
      const raw = await progress(kafka, group, topic);
      const partials = await progress(kafka, `${group}-partials`, `${group}-partials`);
      partialsCommitted = partials !== undefined && partials.committedPartitions > 0;
      if (raw?.lag === 0 && (partials === undefined || partials.lag === 0)) {
        done = performance.now();
        break;
      }
      if (performance.now() > deadline) throw new Error(`not drained in 15 min: raw lag ${raw?.lag}, partials lag ${partials?.lag}`);
      await sleep(200);
    }
    const after = { inst: instances.map((i) => procSample(i.pid)), broker: sample(brokerPid), es: sample(esPid), me: procSample(process.pid), machine: machineJiffies() };
    const interval = done - firstAck;
    // CPU in cores over the sampled interval (produce start -> done; the instances are idle before).
    const cpuSpan = done - tBefore;
    const cores = (a: ProcSample | undefined, b: ProcSample | undefined): number | undefined => (a === undefined || b === undefined ? undefined : round((b.cpuMs - a.cpuMs) / cpuSpan, 2));
    let transitions = 0;
    for (const i of instances) {
      try {
        transitions += sumMetric(await i.metricsText(), 'tripline_alert_transitions_total');
      } catch {
        // metrics unavailable: reported as what was read
      }
    }
    const inst = instances.map((_, k) => {
      const cpuMs = after.inst[k]!.cpuMs - before.inst[k]!.cpuMs;
      return { cpuMs: Math.round(cpuMs), cores: round(cpuMs / cpuSpan, 2), rssMb: after.inst[k]!.rssMb, hwmMb: after.inst[k]!.hwmMb };
    });
    const exits = await Promise.all(instances.map((i) => i.stop()));
    const mj = after.machine.busy - before.machine.busy;
    const mt = after.machine.total - before.machine.total;
    return {
      instances: n,
      lines: d.count,
      msgsPerSec: Math.round(d.count / (interval / 1000)),
      firstAckToDoneMs: Math.round(interval),
      produceMs: Math.round(lastAck - firstAck),
      afterProduceMs: Math.round(done - lastAck),
      cpu: {
        instances: inst,
        instancesTotalCores: round(inst.reduce((s, x) => s + x.cores, 0), 2),
        broker: cores(before.broker, after.broker),
        elasticsearch: cores(before.es, after.es),
        producer: cores(before.me, after.me)!,
        // /proc/stat counts all cores: busy share of the interval times the core count.
        machineBusyCores: round((mj / mt) * (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 1), 2),
      },
      alertTransitions: transitions,
      partialsCommitted,
      load: load(),
      exits,
    };
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await withAdmin(kafka, async (admin) => {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(topic));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
      await admin.deleteGroups([group, `${group}-partials`]).catch(() => undefined);
    }).catch((e: unknown) => process.stderr.write(`scale: cleanup of ${topic}*: ${String(e)}\n`));
    await deleteEsPrefix(esUrl, group).catch(() => undefined);
  }
}

export const scaleScenario: Scenario = {
  description: 'throughput of `tripline run` with 1, 2 and 3 instances in one group (12 partitions, all patterns, ES sinks), with per-process and machine CPU',
  async run(args: ScenarioArgs): Promise<Record<string, unknown>> {
    const lines = args.lines ?? 200_000;
    const reps = args.reps ?? 1;
    const counts = args.only !== undefined ? args.only.map(Number) : [1, 2, 3];
    const stack = await benchStack(true);
    const data = generateBenchData({ lines });
    const runs: ScaleResult[] = [];
    for (let r = 0; r < reps; r++) {
      for (const n of counts) {
        const res = await scaleOnce(stack.brokers, stack.elasticsearchUrl!, data, n);
        runs.push(res);
        process.stderr.write(
          `scale rep ${r + 1}, ${n} instance(s): ${res.msgsPerSec} msgs/s (${res.firstAckToDoneMs} ms, produce ${res.produceMs} ms), instances ${res.cpu.instances.map((x) => x.cores).join('+')} cores, ` +
            `broker ${res.cpu.broker}, ES ${res.cpu.elasticsearch}, producer ${res.cpu.producer}, machine busy ${res.cpu.machineBusyCores} cores, transitions ${res.alertTransitions}, load ${res.load.join(' ')}\n`,
        );
      }
    }
    const summary = counts.map((n) => {
      const mine = runs.filter((x) => x.instances === n);
      return { instances: n, medianMsgsPerSec: Math.round(median(mine.map((x) => x.msgsPerSec))), medianMachineBusyCores: round(median(mine.map((x) => x.cpu.machineBusyCores)), 2), alertTransitions: mine.map((x) => x.alertTransitions) };
    });
    return { lines, reps, partitions: PARTITIONS, avgBytes: data.avgBytes, brokers: stack.brokers, elasticsearchUrl: stack.elasticsearchUrl, summary, runs, loadEnd: load() };
  },
};
