// Helpers for integration tests against the real stack (see test/integration/global-setup.ts).
// Every name is unique per test, and every resource a test creates is registered with a
// Cleanup so the shared broker and node are left as they were found.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import type { StackInfo } from './context.js';
import { withAdmin } from '../../support/kafka-admin.js';

export type { StackInfo } from './context.js';

export function stackInfo(): StackInfo {
  const info = inject('stack');
  if (info === undefined) throw new Error('integration stack not provided: is globalSetup configured?');
  return info;
}

/** `tripline-it-<prefix>-<time>-<random>`, lower-case (valid as a Kafka topic and an ES index). */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `tripline-it-${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** LIFO list of async cleanup steps; runs all of them even if some fail, then throws the first error. */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<unknown> }> = [];

  add(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }

  async run(): Promise<void> {
    const errors: Error[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (step === undefined) break;
      try {
        await step.fn();
      } catch (err) {
        errors.push(new Error(`cleanup '${step.what}' failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

// ---------------------------------------------------------------- Kafka

export function kafkaClient(clientId = 'tripline-it'): Kafka {
  return new Kafka({
    clientId,
    brokers: stackInfo().kafkaBrokers,
    logLevel: logLevel.WARN,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}

export { withAdmin };

/**
 * Creates a topic and waits until every partition has a leader. `configEntries` e.g.
 * `[{ name: 'retention.ms', value: '-1' }]` for records with old timestamps: the broker's default
 * 7-day time retention would otherwise delete them (whole segments, log start offset advances)
 * within one retention check (5 min), under a consumer that has not read them yet.
 */
export async function createTopic(kafka: Kafka, topic: string, numPartitions: number, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }],
      waitForLeaders: true,
      timeout: 30_000,
    });
    if (!created) throw new Error(`topic ${topic} already exists`);
  });
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  });
}

export async function deleteGroups(kafka: Kafka, groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  await withAdmin(kafka, async (admin) => {
    const { groups } = await admin.listGroups();
    const existing = new Set(groups.map((g) => g.groupId));
    const present = groupIds.filter((g) => existing.has(g));
    if (present.length > 0) await admin.deleteGroups(present);
  });
}

// ---------------------------------------------------------------- Elasticsearch

// Not `require('@elastic/elasticsearch/package.json')`: the 8.x client does not export that subpath.
function readClientVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@elastic/elasticsearch'));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@elastic/elasticsearch' && pkg.version !== undefined) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the version of @elastic/elasticsearch');
    dir = parent;
  }
}
export const esClientVersion = readClientVersion();
export const esClientMajor = Number(esClientVersion.split('.')[0]);

function serverMajor(): number {
  return Number(stackInfo().elasticsearchVersion.split('.')[0]);
}

/**
 * An @elastic/elasticsearch Client for the stack's node.
 *
 * The client sends `compatible-with=<client major>` media types. A server one major *below* the
 * client rejects them with 400, so in that case (only) the headers are set to the server's major.
 * That keeps the tests runnable against the local Elasticsearch 8.19 while package.json still has
 * the 9.x client; with matching majors the client's own headers are used untouched.
 */
export function esClient(): Client {
  const major = serverMajor();
  const compat =
    major < esClientMajor
      ? {
          accept: `application/vnd.elasticsearch+json; compatible-with=${major}`,
          'content-type': `application/vnd.elasticsearch+json; compatible-with=${major}`,
        }
      : undefined;
  return new Client({
    node: stackInfo().elasticsearchUrl,
    requestTimeout: 60_000,
    ...(compat !== undefined ? { headers: compat } : {}),
  });
}

export async function deleteIndices(es: Client, indices: string[]): Promise<void> {
  if (indices.length === 0) return;
  await es.indices.delete({ index: indices, ignore_unavailable: true });
}
