// Runs the real CLI (`node bin/tripline.js run`) as a child process for service integration tests:
// spawn with an environment, wait for /readyz, collect stdout/stderr, SIGTERM / SIGKILL, restart.
import { spawn } from 'node:child_process';
import { sumMetric } from '../../support/prometheus-text.js';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface TriplineProcessOptions {
  env: Record<string, string>;
  args?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TriplineProcess {
  /** Output of every run so far (restarts append). */
  stdout = '';
  stderr = '';
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> | undefined;
  runs = 0;

  constructor(private readonly opts: TriplineProcessOptions) {}

  /** Starts the process (after a previous run exited). Does not wait for readiness. */
  start(extraEnv: Record<string, string> = {}): this {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) throw new Error('already running');
    this.runs++;
    this.port = 0;
    const child = spawn(process.execPath, ['bin/tripline.js', 'run', ...(this.opts.args ?? [])], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', TRIPLINE_HTTP_PORT: '0', ...this.opts.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let lineBuf = '';
    child.stdout!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.stdout += s;
      lineBuf += s;
      let nl: number;
      while ((nl = lineBuf.indexOf('\n')) >= 0) {
        const line = lineBuf.slice(0, nl);
        lineBuf = lineBuf.slice(nl + 1);
        const m = /"url\.port":(\d+)/.exec(line);
        if (m !== null && line.includes('telemetry HTTP server listening')) this.port = Number(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return this;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitExit(timeoutMs = 60_000): Promise<Exit> {
    if (this.exited === undefined) throw new Error('not started');
    const t = sleep(timeoutMs).then(() => {
      throw new Error(`tripline did not exit within ${timeoutMs} ms\n${this.tail()}`);
    });
    return Promise.race([this.exited, t]);
  }

  tail(n = 40): string {
    return `--- stdout (tail) ---\n${this.stdout.split('\n').slice(-n).join('\n')}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }

  async readyz(): Promise<{ status: number; body: { status?: string; components?: Record<string, { ok: boolean; detail?: string }> } }> {
    const res = await fetch(`http://127.0.0.1:${this.port}/readyz`);
    return { status: res.status, body: (await res.json()) as { status?: string } };
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return res.text();
  }

  /** Sum of a metric's samples whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumMetric(await this.metricsText(), name, labels);
  }

  /** Waits until /readyz answers 200. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    await this.waitUntil('ready', timeoutMs, async () => this.port !== 0 && (await this.readyz()).status === 200);
  }

  async waitUntil(what: string, timeoutMs: number, cond: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited !== undefined && !this.running) throw new Error(`tripline exited while waiting for ${what}\n${this.tail()}`);
      try {
        if (await cond()) return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`);
      await sleep(250);
    }
  }

  async sigterm(timeoutMs = 60_000): Promise<Exit> {
    this.child?.kill('SIGTERM');
    return this.waitExit(timeoutMs);
  }

  async sigkill(): Promise<Exit> {
    this.child?.kill('SIGKILL');
    return this.waitExit(10_000);
  }

  /** Kills the process if it is still running (cleanup). */
  async kill(): Promise<void> {
    if (this.running) await this.sigkill();
  }

  /** Log lines (JSON) of all runs. */
  logLines(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }
}

/** A temp dir with files (patterns, config); `rm()` removes it. */
export function tempDir(files: Record<string, string>): { dir: string; path: (f: string) => string; rm: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-it-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, path: (f) => join(dir, f), rm: () => rmSync(dir, { recursive: true, force: true }) };
}
