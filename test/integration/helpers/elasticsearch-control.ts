// Stopping and restarting the shared local Elasticsearch node (deploy/local/lib/elasticsearch.sh)
// for outage tests. The node is shared by every integration test in this checkout: whoever stops it
// must call `ensureElasticsearchUp()` in a `finally`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './tripline-process.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `<cache>/stack/elasticsearch/es.pid` (the directory may be a symlink; reading follows it). */
export function esPidFile(): string {
  return join(process.env.TRIPLINE_CACHE_DIR ?? join(repoRoot, '.cache'), 'stack', 'elasticsearch', 'es.pid');
}

function esPid(): number {
  const pid = Number(readFileSync(esPidFile(), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no Elasticsearch pid in ${esPidFile()}`);
  // Only ever kill our own node: the stack's java started with -Dtripline.stack=<cache dir>.
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (!cmdline.includes('org.elasticsearch') || !cmdline.includes('-Dtripline.stack=')) throw new Error(`pid ${pid} is not the local stack's Elasticsearch`);
  return pid;
}

export async function elasticsearchHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: string };
    return body.status === 'green' || body.status === 'yellow';
  } catch {
    return false;
  }
}

/** SIGKILLs the node and waits until its HTTP port refuses connections. */
export async function killElasticsearch(url: string): Promise<number> {
  const pid = esPid();
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await sleep(100);
  }
  for (let i = 0; i < 50 && (await elasticsearchHealthy(url)); i++) await sleep(100);
  return pid;
}

/** `bash deploy/local/stack.sh up` (idempotent, locked; waits for health) unless already healthy, then waits for health. */
export async function ensureElasticsearchUp(url: string, timeoutMs = 240_000): Promise<void> {
  if (await elasticsearchHealthy(url)) return;
  const started = Date.now();
  try {
    await execFileAsync('bash', ['deploy/local/stack.sh', 'up'], { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`stack.sh up failed while restoring Elasticsearch: ${err.message}\n${(err.stderr ?? '').split('\n').slice(-20).join('\n')}`);
  }
  while (!(await elasticsearchHealthy(url))) {
    if (Date.now() - started > timeoutMs) throw new Error(`Elasticsearch at ${url} not healthy ${timeoutMs} ms after stack.sh up`);
    await sleep(500);
  }
}
