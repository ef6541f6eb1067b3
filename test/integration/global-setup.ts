// Global setup of the `integration` vitest project: makes sure a real Kafka and a real
// Elasticsearch are reachable and hands their endpoints to the tests via provide/inject.
//
// - KAFKA_BROKERS and ELASTICSEARCH_URL set (as .ci/run does): use them as they are.
// - Otherwise: run `bash deploy/local/stack.sh up` (idempotent, locked) and use the endpoints it
//   prints. The stack is left running for the next run (other test runs in the same checkout may
//   share it); `npm run stack:down` stops it. TRIPLINE_STOP_STACK=1 stops it at teardown when
//   this setup was the one that started it.
// If the stack cannot be reached, setup THROWS: integration tests fail, they never skip.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { TestProject } from 'vitest/node';
import type { KafkaSaslInfo, StackInfo } from './helpers/context.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const stackScript = 'deploy/local/stack.sh';

async function runStack(cmd: 'up' | 'down' | 'status'): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [stackScript, cmd], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  // eslint-disable-next-line no-control-regex -- strip ANSI escapes a tool may have printed
  for (const line of text.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

function pinnedVersions(): Record<string, string> {
  return parseEnvLines(readFileSync(new URL('../../deploy/local/versions.env', import.meta.url), 'utf8'));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`${what} not reachable after ${timeoutMs / 1000}s: ${reason}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function elasticsearchVersion(url: string): Promise<string> {
  // The integ-test-zip has no root `GET /` handler, so client.info() fails; _nodes works.
  const health = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`);
  if (!health.ok) throw new Error(`_cluster/health answered ${health.status}`);
  const body = (await health.json()) as { status?: string };
  if (body.status !== 'green' && body.status !== 'yellow') throw new Error(`cluster status ${body.status}`);
  const res = await fetch(`${url}/_nodes/_local/version?filter_path=nodes.*.version`);
  if (!res.ok) throw new Error(`_nodes answered ${res.status}`);
  const nodes = (await res.json()) as { nodes?: Record<string, { version?: string }> };
  const version = Object.values(nodes.nodes ?? {})[0]?.version;
  if (version === undefined) throw new Error('_nodes reported no version');
  return version;
}

async function describeKafka(brokers: string[]): Promise<string> {
  const kafka = new Kafka({ clientId: 'tripline-it-setup', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return `cluster ${cluster.clusterId}, controller ${cluster.controller}, ${cluster.brokers.length} broker(s)`;
  } finally {
    await admin.disconnect();
  }
}

/** The SASL_SSL listener from stack.sh output (KAFKA_SASL_* lines), or why there is none. */
function saslFrom(env: Record<string, string>): { info?: KafkaSaslInfo; missing?: string } {
  const { KAFKA_SASL_BROKERS: b, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password, KAFKA_SSL_CA_FILE: caFile } = env;
  if (!b || !mechanism || !username || !password || !caFile) {
    return {
      missing:
        'the stack has no SASL_SSL listener (deploy/local/stack.sh printed no KAFKA_SASL_* endpoints). It is on by default ' +
        '(TRIPLINE_KAFKA_SASL unset or 1); a broker started before that, or with TRIPLINE_KAFKA_SASL=0, needs a restart: ' +
        'npm run stack:down && npm run stack:up',
    };
  }
  return { info: { brokers: b.split(',').map((x) => x.trim()).filter((x) => x !== ''), mechanism, username, password, caFile } };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let brokers = process.env.KAFKA_BROKERS;
  let esUrl = process.env.ELASTICSEARCH_URL;
  let kafkaVersion = process.env.KAFKA_VERSION;
  let startedHere = false;
  let stackEnv: Record<string, string> = {};

  if (!brokers || !esUrl) {
    const before = await runStack('status');
    console.log('[integration] KAFKA_BROKERS/ELASTICSEARCH_URL not set: running deploy/local/stack.sh up');
    const up = await runStack('up');
    if (up.code !== 0) {
      throw new Error(
        `deploy/local/stack.sh up failed (exit ${up.code}); the integration tests need a real Kafka and Elasticsearch.\n` +
          up.stderr.split('\n').slice(-30).join('\n'),
      );
    }
    startedHere = before.code !== 0;
    const env = parseEnvLines(up.stdout);
    stackEnv = env;
    brokers = env.KAFKA_BROKERS;
    esUrl = env.ELASTICSEARCH_URL;
    if (!brokers || !esUrl) throw new Error(`stack.sh up printed no endpoints:\n${up.stdout}`);
    kafkaVersion ??= `${pinnedVersions().KAFKA_VERSION ?? 'unknown'} (deploy/local)`;
    if (startedHere && process.env.TRIPLINE_STOP_STACK !== '1') {
      console.log('[integration] local stack started; it stays up after the tests (npm run stack:down stops it)');
    }
  }
  kafkaVersion ??= 'unknown (external broker; set KAFKA_VERSION)';
  // Endpoints given (.ci/run): the SASL listener, if any, is the local stack's; `status` prints it.
  if (stackEnv.KAFKA_SASL_BROKERS === undefined) stackEnv = parseEnvLines((await runStack('status')).stdout);
  const sasl = saslFrom(stackEnv);

  const kafkaBrokers = brokers.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
  const elasticsearchUrl = esUrl.replace(/\/+$/, '');
  const [kafkaDesc, esVersion] = await Promise.all([
    waitFor(`Kafka at ${kafkaBrokers.join(',')}`, 60_000, () => describeKafka(kafkaBrokers)),
    waitFor(`Elasticsearch at ${elasticsearchUrl}`, 60_000, () => elasticsearchVersion(elasticsearchUrl)),
  ]);
  console.log(`[integration] Kafka ${kafkaVersion} at ${kafkaBrokers.join(',')} (${kafkaDesc})`);
  console.log(`[integration] Elasticsearch ${esVersion} at ${elasticsearchUrl}`);

  if (sasl.info !== undefined) console.log(`[integration] Kafka SASL_SSL at ${sasl.info.brokers.join(',')} (${sasl.info.mechanism})`);
  const info: StackInfo = { kafkaBrokers, elasticsearchUrl, kafkaVersion, elasticsearchVersion: esVersion, kafkaSasl: sasl.info, kafkaSaslMissing: sasl.missing };
  project.provide('stack', info);

  return async () => {
    if (startedHere && process.env.TRIPLINE_STOP_STACK === '1') {
      const down = await runStack('down');
      if (down.code !== 0) console.error(`[integration] stack.sh down failed:\n${down.stderr}`);
    }
  };
}
