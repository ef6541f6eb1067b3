/**
 * Elasticsearch sink settings: the connection comes from the service config (secrets as Secret
 * objects resolved from env / files there); the sink tuning below has defaults for everything.
 */
import { z } from 'zod';
import { parseSection } from '../config-issues.js';

export const retrySchema = z
  .strictObject({
    max_attempts: z.int().min(1).max(100).default(8).describe('Attempts per request, the first included.'),
    max_time_ms: z.int().min(0).default(120_000).describe('Stop retrying after this long, ms.'),
    min_delay_ms: z.int().min(0).default(200).describe('First backoff delay, ms (jittered, doubling).'),
    max_delay_ms: z.int().min(1).default(30_000).describe('Largest backoff delay, ms; must be >= min_delay_ms.'),
  })
  .refine((r) => r.max_delay_ms >= r.min_delay_ms, { message: 'max_delay_ms must be >= min_delay_ms', path: ['max_delay_ms'] });

export const batchSchema = z.strictObject({
  max_items: z.int().min(1).max(10_000).default(500).describe('Documents per bulk request.'),
  max_bytes: z
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024)
    .describe('Bytes per bulk request.'),
  max_delay_ms: z.int().min(0).default(1000).describe('Longest wait before a partial batch is sent, ms.'),
});

/**
 * Connection (node URL, credentials, CA) as resolved by the service config
 * (src/config/service-config.ts `elasticsearch:` — its ElasticsearchConfig is assignable to this).
 * Secrets arrive as Secret objects (`reveal()`), never as text from a file.
 */
export interface SecretLike {
  reveal(): string;
}

export interface EsConnectionConfig {
  readonly url: string;
  readonly api_key?: SecretLike | undefined;
  readonly username?: string | undefined;
  readonly password?: SecretLike | undefined;
  readonly ca_file?: string | undefined;
}

/** Sink tuning (no secrets): every field has a default, so `{}` is valid. */
export const esSinkOptionsSchema = z.strictObject({
  mode: z
    .enum(['auto', 'data_stream', 'index'])
    .default('auto')
    .describe('Write to data streams, to plain indices, or auto (data streams when the cluster supports them).'),
  /** Data stream namespace: writes go to `<prefix>-<namespace>`. */
  namespace: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'must be lowercase letters, digits and _')
    .default('default')
    .describe('Data stream namespace: writes go to <prefix>-<namespace>.'),
  alerts_prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase index name')
    .default('tripline-alerts')
    .describe('Name prefix of the alert data stream / indices.'),
  metrics_prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase index name')
    .default('tripline-metrics')
    .describe('Name prefix of the per-window metric data stream / indices.'),
  /** Install templates (and ILM policies) at start; turn off when ops manage them. */
  manage_templates: z.boolean().default(true).describe('Install index templates (and ILM policies) at start; turn off when ops manage them.'),
  request_timeout_ms: z.int().min(100).default(30_000).describe('Elasticsearch request timeout, ms.'),
  compression: z.boolean().default(false).describe('gzip request bodies.'),
  /**
   * Server major for the `compatible-with` media type. Leave unset with a 9.x node; set 8 to talk to
   * an 8.x node with the 9.x client (an 8.x node answers 400 to `compatible-with=9`).
   */
  compatible_with: z
    .union([z.literal(8), z.literal(9)])
    .optional()
    .describe('Server major for the compatible-with media type: leave unset with a 9.x node, 8 for an 8.x node.'),
  /** `wait_for` makes writes visible to search before acknowledging (tests, demos). */
  refresh: z.enum(['false', 'wait_for']).default('false').describe('wait_for makes writes visible to search before acknowledging (tests, demos).'),
  batch: batchSchema
    .default({ max_items: 500, max_bytes: 5 * 1024 * 1024, max_delay_ms: 1000 })
    .describe('Bulk batching.'),
  retry: retrySchema
    .default({ max_attempts: 8, max_time_ms: 120_000, min_delay_ms: 200, max_delay_ms: 30_000 })
    .describe('Retry policy per bulk request.'),
});

export type EsSinkOptions = z.output<typeof esSinkOptionsSchema>;

export function parseEsSinkOptions(input: unknown, file: string, prefix = 'elasticsearch.sink'): EsSinkOptions {
  return parseSection(esSinkOptionsSchema, input ?? {}, file, prefix);
}
