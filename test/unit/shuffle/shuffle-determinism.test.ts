import { describe, expect, it } from 'vitest';
import { generateDemoSample, prng } from '../../../src/cli/demo-sample.js';
import { loadPatterns } from '../../../src/config/index.js';
import type { Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { createDetection } from '../../../src/pipeline.js';
import { Combiner } from '../../../src/shuffle/combiner.js';
import { decodeBatch, encodeBatch } from '../../../src/shuffle/partial.js';
import type { PartialBatch } from '../../../src/shuffle/partial.js';
import { ShuffleTask } from '../../../src/shuffle/shuffle-task.js';

const SOURCES = 6;
const PARTIALS = 4;

/** What must be identical: id, state, severity, repeat, event time, value. */
function key(t: AlertTransition): string {
  return `${t['@timestamp']} ${t.pattern.id} ${t.alert.id} ${t.alert.state} ${t.alert.severity} ${t.alert.repeat} ${t.value}`;
}

/**
 * Runs the two-stage path over `lines` split round-robin into SOURCES source partitions, with
 * `instances` stage-1 combiners each owning some sources, flushing at random points, and the
 * batches of different combiners delivered to the tasks in a random interleaving.
 */
function runShuffled(patterns: readonly Pattern[], lines: readonly string[], seed: number, instances: number, restoreEvery = 0): string[] {
  const rnd = prng(seed);
  const combiners = Array.from({ length: instances }, () => {
    const c = new Combiner(patterns, { partitions: PARTIALS });
    c.sourceCount = SOURCES;
    return c;
  });
  const queues: PartialBatch[][][] = combiners.map(() => []); // per combiner: list of flushes (one batch per partition)
  const perSource: string[][] = Array.from({ length: SOURCES }, () => []);
  lines.forEach((l, i) => perSource[i % SOURCES]!.push(l));
  const cursor = new Array<number>(SOURCES).fill(0);
  // Each combiner reads its sources in random-sized chunks and flushes at random points.
  let remaining = lines.length;
  while (remaining > 0) {
    const s = Math.floor(rnd() * SOURCES);
    const c = s % instances;
    const n = 1 + Math.floor(rnd() * 400);
    for (let k = 0; k < n && cursor[s]! < perSource[s]!.length; k++) {
      const off = cursor[s]!;
      combiners[c]!.push(perSource[s]![off]!, undefined, s, off);
      cursor[s] = off + 1;
      remaining--;
    }
    if (rnd() < 0.3) queues[c]!.push(combiners[c]!.drain().map((b) => decodeBatch(encodeBatch(b))));
  }
  combiners.forEach((c, i) => queues[i]!.push(c.drain()));
  const newTask = (partition: number) => new ShuffleTask(patterns, { partition, partitions: PARTIALS });
  const tasks = Array.from({ length: PARTIALS }, (_, partition) => newTask(partition));
  let delivered = 0;
  const out: AlertTransition[] = [];
  // Deliver flushes: random interleaving across combiners, in order within one combiner.
  const next = new Array<number>(instances).fill(0);
  for (;;) {
    const live = queues.map((q, i) => (next[i]! < q.length ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) break;
    const c = live[Math.floor(rnd() * live.length)]!;
    const flush = queues[c]![next[c]!++]!;
    flush.forEach((b, p) => out.push(...tasks[p]!.apply(b, 0)));
    // Crash/rebalance: every task moves to a new owner that restores its JSON checkpoint.
    if (restoreEvery > 0 && ++delivered % restoreEvery === 0) {
      tasks.forEach((t, p) => {
        const moved = newTask(p);
        moved.restore(JSON.parse(JSON.stringify(t.snapshot())) as ReturnType<ShuffleTask['snapshot']>);
        tasks[p] = moved;
      });
    }
  }
  return out.map(key).sort();
}

describe('scale-out shuffle (combiner -> partials -> tasks)', () => {
  it('gives identical transitions for 1, 2 and 3 stage-1 instances and any batching or interleaving', async () => {
    const patterns = await loadPatterns('patterns');
    const lines = generateDemoSample({ seed: 7, rate: 0.5 });
    const one = runShuffled(patterns, lines, 1, 1);
    expect(one.length).toBeGreaterThan(20);
    expect(runShuffled(patterns, lines, 2, 2)).toEqual(one);
    expect(runShuffled(patterns, lines, 3, 3)).toEqual(one);
  }, 120_000);

  it('a task restored from its JSON checkpoint at any point continues with identical transitions', async () => {
    const patterns = await loadPatterns('patterns');
    const lines = generateDemoSample({ seed: 11, rate: 0.25 });
    const straight = runShuffled(patterns, lines, 9, 2);
    expect(straight.length).toBeGreaterThan(10);
    expect(runShuffled(patterns, lines, 9, 2, 7)).toEqual(straight);
  }, 120_000);

  it('matches the single engine on in-order input', async () => {
    const patterns = await loadPatterns('patterns');
    const lines = generateDemoSample({ seed: 7, rate: 0.5 });
    const det = createDetection(patterns);
    const single: AlertTransition[] = [];
    lines.forEach((l, i) => {
      det.push(l, undefined, i % SOURCES);
      if (i % 1024 === 1023) single.push(...det.advance());
    });
    single.push(...det.advance());
    const shuffled = new Set(runShuffled(patterns, lines, 5, 2));
    const singleKeys = single.map(key);
    const missing = singleKeys.filter((k) => !shuffled.has(k));
    const extra = [...shuffled].filter((k) => !singleKeys.includes(k));
    expect(singleKeys.length).toBeGreaterThan(15);
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  }, 120_000);
});
