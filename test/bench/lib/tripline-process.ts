/**
 * The real service as a child process for the stack benchmarks (e2e, latency, burst): the
 * `node bin/tripline.js run` CLI with a temporary YAML file plus environment, like an operator
 * runs it, and helpers around it (/readyz, /metrics, committed consumer-group lag, clean-up of the
 * Elasticsearch indices of a run).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { repoRoot, sleep, withAdmin } from './stack.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Sum of the samples of `name` per value of `label` (only lines containing `only`). */
export function byLabel(text: string, name: string, label: string, only?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (m === null || m[1] !== name || (only !== undefined && !m[2]!.includes(only))) continue;
    const v = new RegExp(`${label}="([^"]*)"`).exec(m[2]!)?.[1] ?? '';
    out[v] = (out[v] ?? 0) + Number(m[3]);
  }
  return out;
}

/** Records between the committed offsets of `group` and the end of `topic` (uncommitted = from low). */
export async function committedLag(kafka: Kafka, group: string, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    for (const e of ends) {
      const c = at.get(e.partition) ?? -1;
      lag += Number(e.high) - (c < 0 ? Number(e.low) : c);
    }
    return lag;
  });
}

/** Deletes the indices and index templates of `prefix` (by name: wildcard deletes may be refused). */
export async function deleteEsPrefix(esUrl: string, prefix: string): Promise<void> {
  const base = esUrl.replace(/\/$/, '');
  const res = await fetch(`${base}/_cat/indices/${prefix}-*?format=json&h=index`);
  const rows = res.ok ? ((await res.json()) as Array<{ index: string }>) : [];
  for (const r of rows) await fetch(`${base}/${encodeURIComponent(r.index)}`, { method: 'DELETE' });
  for (const t of [`${prefix}-alerts`, `${prefix}-metrics`]) await fetch(`${base}/_index_template/${t}`, { method: 'DELETE' });
}

/**
 * Where `bin/tripline.js` is run from: TRIPLINE_BENCH_TRIPLINE_DIR if set (e.g. an extracted
 * `git archive` of one commit with node_modules linked in, so a run measures a known commit while
 * the working tree changes), else this checkout.
 */
export function triplineDir(): string {
  const d = process.env.TRIPLINE_BENCH_TRIPLINE_DIR?.trim();
  return d === undefined || d === '' ? repoRoot : d;
}

export interface TriplineOptions {
  /** YAML of the config file. */
  yaml: string;
  /** Environment (PATH is added; TRIPLINE_HTTP_PORT is set to a free port). */
  env: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

export interface TriplineProcess {
  readonly pid: number;
  readonly port: number;
  /** spawn -> /readyz 200, ms. */
  readonly startMs: number;
  alive(): boolean;
  metricsText(): Promise<string>;
  /** Last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** SIGTERM, then the exit code or signal ('timeout' after 45 s, then SIGKILL). */
  stop(): Promise<string>;
}

/** Starts `node bin/tripline.js run --config <tmp>` and waits for /readyz (at most 120 s). */
export async function startTripline(o: TriplineOptions): Promise<TriplineProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-bench-'));
  const cfgFile = join(dir, 'tripline.yaml');
  writeFileSync(cfgFile, o.yaml);
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeFlags ?? []), 'bin/tripline.js', 'run', '--config', cfgFile], {
    cwd: triplineDir(),
    env: { PATH: process.env.PATH ?? '', ...o.env, TRIPLINE_HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 4_000_000) stdout = stdout.slice(-1_000_000);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  // Do not leave the service running if the bench process exits early.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const tail = (): string => `--- tripline stdout (tail) ---\n${stdout.split('\n').slice(-30).join('\n')}\n--- stderr ---\n${stderr.slice(-3000)}`;
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const stop = async (): Promise<string> => {
    if (!alive()) {
      cleanup();
      return exited;
    }
    child.kill('SIGTERM');
    const r = await Promise.race([exited, sleep(45_000).then(() => 'timeout')]);
    if (alive()) {
      child.kill('SIGKILL');
      await exited;
    }
    cleanup();
    return r;
  };
  try {
    for (;;) {
      if (!alive()) throw new Error(`tripline exited during start\n${tail()}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) break;
      } catch {
        // not yet
      }
      if (performance.now() - t0 > 120_000) throw new Error(`tripline not ready after 120 s\n${tail()}`);
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: child.pid!,
    port,
    startMs: Math.round(performance.now() - t0),
    alive,
    metricsText: async () => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text(),
    tail,
    stop,
  };
}

/**
 * Main-thread on-CPU and run-queue wait of another process, ms (/proc/<pid>/task/<pid>/schedstat):
 * on this shared box, how long tripline was runnable but waiting for a CPU.
 */
export function mainThreadSched(pid: number): { cpuMs: number; waitMs: number } {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { cpuMs: (cpu ?? NaN) / 1e6, waitMs: (wait ?? NaN) / 1e6 };
  } catch {
    return { cpuMs: NaN, waitMs: NaN };
  }
}

/** The commit `triplineDir()` runs: its COMMIT file, else this checkout's HEAD (+ whether src/ has uncommitted changes). */
export function triplineVersion(): string {
  const dir = triplineDir();
  try {
    return readFileSync(join(dir, 'COMMIT'), 'utf8').trim();
  } catch {
    try {
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', 'src', 'bin'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
      return dirty ? `${head}+uncommitted src changes` : head;
    } catch {
      return 'unknown';
    }
  }
}
