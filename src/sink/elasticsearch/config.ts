/**
 * `elasticsearch:` section. Secrets are referenced by environment variable name
 * (`api_key_env`, `password_env`); a literal key never appears in a file.
 */
import { z } from 'zod';
import { parseSection } from '../config-issues.js';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _)');

export const esAuthSchema = z.union([
  z.strictObject({ api_key_env: envName }),
  z.strictObject({ username: z.string().min(1), password_env: envName }),
]);

export const retrySchema = z
  .strictObject({
    max_attempts: z.int().min(1).max(100).default(8),
    max_time_ms: z.int().min(0).default(120_000),
    min_delay_ms: z.int().min(0).default(200),
    max_delay_ms: z.int().min(1).default(30_000),
  })
  .refine((r) => r.max_delay_ms >= r.min_delay_ms, { message: 'max_delay_ms must be >= min_delay_ms', path: ['max_delay_ms'] });

export const batchSchema = z.strictObject({
  max_items: z.int().min(1).max(10_000).default(500),
  max_bytes: z
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  max_delay_ms: z.int().min(0).default(1000),
});

export const esSinkConfigSchema = z.strictObject({
  node: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  auth: esAuthSchema.optional(),
  /** PEM CA certificate file for TLS. */
  ca_file: z.string().min(1).optional(),
  mode: z.enum(['auto', 'data_stream', 'index']).default('auto'),
  /** Data stream namespace: writes go to `<prefix>-<namespace>`. */
  namespace: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'must be lowercase letters, digits and _')
    .default('default'),
  alerts_prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase index name')
    .default('tripline-alerts'),
  metrics_prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase index name')
    .default('tripline-metrics'),
  /** Install templates (and ILM policies) at start; turn off when ops manage them. */
  manage_templates: z.boolean().default(true),
  request_timeout_ms: z.int().min(100).default(30_000),
  compression: z.boolean().default(false),
  /** `wait_for` makes writes visible to search before acknowledging (tests, demos). */
  refresh: z.enum(['false', 'wait_for']).default('false'),
  batch: batchSchema.default({ max_items: 500, max_bytes: 5 * 1024 * 1024, max_delay_ms: 1000 }),
  retry: retrySchema.default({ max_attempts: 8, max_time_ms: 120_000, min_delay_ms: 200, max_delay_ms: 30_000 }),
});

export type EsSinkConfig = z.output<typeof esSinkConfigSchema>;

export function parseEsSinkConfig(input: unknown, file: string, prefix = 'elasticsearch'): EsSinkConfig {
  return parseSection(esSinkConfigSchema, input, file, prefix);
}
