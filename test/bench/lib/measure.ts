/**
 * Measurement helpers: wall time (hrtime), GC pauses (perf_hooks 'gc' entries), heap, load.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';

export interface GcTotals {
  count: number;
  /** Sum of GC pause durations, ms. */
  totalMs: number;
  maxMs: number;
  /** By kind: minor (scavenge), major (mark-compact), incremental, weakcb. */
  byKind: Record<string, { count: number; totalMs: number }>;
}

const KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

const entries: GcPause[] = [];
let observer: PerformanceObserver | null = null;

function ensureObserver(): void {
  if (observer !== null) return;
  observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      entries.push({ start: e.startTime, duration: e.duration, kind: KINDS[kind] ?? String(kind) });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** GC entries are delivered asynchronously: yield to the event loop before reading them. */
export async function drainGc(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
}

/**
 * On-CPU and run-queue-wait nanoseconds of the main thread (Linux /proc schedstat; tid = pid).
 * On a shared box wall time includes time the thread was runnable but not running; on-CPU time
 * does not, so it is the steadier figure (GC helper threads are not included; main-thread GC
 * pauses are).
 */
export function threadSched(): { cpuNs: number; waitNs: number } {
  try {
    const [cpu, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { cpuNs: cpu ?? NaN, waitNs: wait ?? NaN };
  } catch {
    return { cpuNs: NaN, waitNs: NaN };
  }
}

export interface Timed<T> {
  /** Wall time. */
  ns: number;
  /** Main-thread on-CPU time. */
  cpuNs: number;
  /** Main-thread time spent runnable but waiting for a CPU (load from other processes). */
  waitNs: number;
  gc: GcTotals;
  heapUsedMb: number;
  value: T;
}

/** Times `fn` (synchronous), attributes GC pauses that started during it. */
export async function timed<T>(fn: () => T): Promise<Timed<T>> {
  ensureObserver();
  await drainGc();
  const startMark = performance.now();
  const s0 = threadSched();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const ns = Number(process.hrtime.bigint() - t0);
  const s1 = threadSched();
  const endMark = performance.now();
  const heapUsedMb = Math.round(process.memoryUsage().heapUsed / 1048576);
  await drainGc();
  const gc = gcTotals(entries.filter((e) => e.start >= startMark && e.start <= endMark));
  entries.length = 0;
  return { ns, cpuNs: s1.cpuNs - s0.cpuNs, waitNs: s1.waitNs - s0.waitNs, gc, heapUsedMb, value };
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** 1/5/15-minute load averages (other engineers share this box). */
export function load(): number[] {
  return loadavg().map((x) => round(x, 2));
}

/** One GC pause (perf_hooks `gc` entry): start on the performance.now() clock, ms. */
export interface GcPause {
  start: number;
  duration: number;
  kind: string;
}

/** Starts collecting GC pauses (for callers that attribute them to their own intervals). */
export function startGcCapture(): void {
  ensureObserver();
  entries.length = 0;
}

/** The GC pauses collected since startGcCapture (after yielding to the event loop), cleared. */
export async function takeGcPauses(): Promise<GcPause[]> {
  await drainGc();
  const out = entries.slice();
  entries.length = 0;
  return out;
}

/** Sums pauses into GcTotals. */
export function gcTotals(pauses: readonly GcPause[]): GcTotals {
  const gc: GcTotals = { count: 0, totalMs: 0, maxMs: 0, byKind: {} };
  for (const e of pauses) {
    gc.count++;
    gc.totalMs += e.duration;
    if (e.duration > gc.maxMs) gc.maxMs = e.duration;
    const k = (gc.byKind[e.kind] ??= { count: 0, totalMs: 0 });
    k.count++;
    k.totalMs += e.duration;
  }
  gc.totalMs = round(gc.totalMs, 1);
  gc.maxMs = round(gc.maxMs, 2);
  for (const k of Object.values(gc.byKind)) k.totalMs = round(k.totalMs, 1);
  return gc;
}

/** Median, min and max. */
export function spread(xs: readonly number[], digits = 1): { median: number; min: number; max: number } {
  return { median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits) };
}
