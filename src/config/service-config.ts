/**
 * Service configuration of `tripline run`: an optional YAML file (`--config`) overlaid with
 * environment variables (env wins), validated with zod. Every error is one sentence that names
 * the YAML key and file, or the environment variable, and never contains a secret value.
 *
 * Secrets (passwords, API keys, PagerDuty routing keys) never come from the file: the file may
 * only name a `*_file` to read or, for routing keys, the environment variable (`routing_key_env`).
 */
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { TriplineError } from '../model/errors.js';
import { ENV_VARS, envVarForPath, overlayEnv } from './env-config.js';
import type { Env } from './env-config.js';
import { Secret } from './secret.js';
import { esSinkOptionsSchema } from '../sink/elasticsearch/config.js';
import { retrySchema } from '../sink/elasticsearch/config.js';
import { routeSchema } from '../sink/pagerduty/config.js';

export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const nonEmpty = (what = 'a non-empty string') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const intBetween = (min: number, max: number) => {
  const error = `expected an integer between ${min} and ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const httpUrl = (what: string) =>
  z.string({ error: `expected ${what}` }).refine((s) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s), {
    error: `expected ${what}`,
  });
const secret = () => z.instanceof(Secret, { error: 'secrets can only come from the environment or a *_file' });

const BROKERS_ERROR = 'expected a non-empty list of host:port';
const brokers = z
  .array(z.string({ error: BROKERS_ERROR }), { error: BROKERS_ERROR })
  .min(1, { error: BROKERS_ERROR })
  .refine((a) => a.every((b) => HOST_PORT.test(b) && Number(HOST_PORT.exec(b)![2]) <= 65535), {
    error: BROKERS_ERROR,
  });
const TOPICS_ERROR = 'expected a non-empty list of topic names';
const topics = z
  .array(z.string({ error: TOPICS_ERROR }).regex(/^[A-Za-z0-9._-]{1,249}$/, { error: TOPICS_ERROR }), {
    error: TOPICS_ERROR,
  })
  .min(1, { error: TOPICS_ERROR });

const routingKeyEnv = z.string({ error: 'expected an environment variable name' }).superRefine((s, ctx) => {
  if (ENV_NAME.test(s)) return;
  // Never echo the value: it may be the literal key someone pasted by mistake.
  const looksLikeKey = s.length >= 20 && /^[A-Za-z0-9+/=_-]+$/.test(s) && /[a-z0-9]/.test(s);
  ctx.addIssue({
    code: 'custom',
    message: looksLikeKey
      ? 'looks like a literal routing key; set it to the name of an environment variable that holds the key'
      : 'expected an environment variable name (A-Z, 0-9, _)',
  });
});

export const kafkaSchema = z
  .strictObject({
    brokers: brokers.describe('Bootstrap brokers, host:port. Env KAFKA_BROKERS (comma-separated).'),
    topics: topics.describe('Topics to consume. Env KAFKA_TOPICS (comma-separated).'),
    group_id: nonEmpty().default('tripline').describe('Consumer group id. Env KAFKA_GROUP_ID.'),
    client_id: nonEmpty().default('tripline').describe('Kafka client id. Env KAFKA_CLIENT_ID.'),
    dlq_topic: nonEmpty().optional().describe('Dead-letter topic; default <topic>.dlq. Env KAFKA_DLQ_TOPIC.'),
    alerts_topic: nonEmpty()
      .optional()
      .describe('Optional topic receiving every alert transition as JSON. Env KAFKA_ALERTS_TOPIC.'),
    state_topic: nonEmpty()
      .optional()
      .describe('Compacted checkpoint topic (window state + offsets); default <group_id>-state. Env KAFKA_STATE_TOPIC.'),
    partials_topic: nonEmpty()
      .optional()
      .describe('Internal repartition topic between the two stages (scale-out); default <group_id>-partials. Env KAFKA_PARTIALS_TOPIC.'),
    partials_partitions: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'Partitions of the partials topic = the most instances that share detection work; fixed once the topic exists; default 12. Env KAFKA_PARTIALS_PARTITIONS.',
      ),
    pagerduty_delivered_topic: nonEmpty()
      .optional()
      .describe(
        'Compacted topic remembering which PagerDuty events were delivered (no second page after a crash); default <group_id>-pagerduty-delivered. Env KAFKA_PAGERDUTY_DELIVERED_TOPIC.',
      ),
    ssl: z.boolean({ error: 'expected true or false' }).default(false).describe('TLS to the brokers. Env KAFKA_SSL.'),
    ssl_ca_file: nonEmpty('a file path').optional().describe('PEM CA bundle; implies ssl. Env KAFKA_SSL_CA_FILE.'),
    sasl: z
      .strictObject({
        mechanism: z
          .enum(SASL_MECHANISMS, { error: `expected one of ${SASL_MECHANISMS.join(', ')}` })
          .describe('SASL mechanism. Env KAFKA_SASL_MECHANISM.'),
        username: nonEmpty().describe('SASL username. Env KAFKA_SASL_USERNAME.'),
        password: secret().optional().describe('SASL password, from env KAFKA_SASL_PASSWORD only.'),
        password_file: nonEmpty('a file path').optional().describe('File with the SASL password. Env KAFKA_SASL_PASSWORD_FILE.'),
      })
      .optional()
      .describe('SASL authentication.'),
  })
  .describe('Kafka input.');

export const elasticsearchSchema = z
  .strictObject({
    url: httpUrl('an http(s) URL').describe('Elasticsearch URL. Env ELASTICSEARCH_URL.'),
    api_key: secret().optional().describe('API key, from env ELASTICSEARCH_API_KEY only.'),
    api_key_file: nonEmpty('a file path').optional().describe('File with the API key. Env ELASTICSEARCH_API_KEY_FILE.'),
    username: nonEmpty().optional().describe('Basic-auth username. Env ELASTICSEARCH_USERNAME.'),
    password: secret().optional().describe('Basic-auth password, from env ELASTICSEARCH_PASSWORD only.'),
    password_file: nonEmpty('a file path').optional().describe('File with the password. Env ELASTICSEARCH_PASSWORD_FILE.'),
    ca_file: nonEmpty('a file path').optional().describe('PEM CA bundle. Env ELASTICSEARCH_CA_FILE.'),
    sink: z
      .preprocess((v) => v ?? {}, esSinkOptionsSchema)
      .describe('Sink tuning (mode, prefixes, namespace, batch, retry, refresh); see src/sink/elasticsearch/config.ts.'),
  })
  .describe('Elasticsearch alert sink.');

export const pagerdutySchema = z
  .strictObject({
    events_url: httpUrl('an http(s) URL')
      .default(DEFAULT_PAGERDUTY_EVENTS_URL)
      .describe('Events API v2 URL. Env PAGERDUTY_EVENTS_URL.'),
    routing_keys: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a route name (letters, digits, _ . -)' }),
        z.strictObject({
          routing_key_env: routingKeyEnv.describe('Name of the environment variable holding the routing key.'),
          key: secret().optional().describe('Resolved at load from routing_key_env; never set in the file.'),
        }),
        { error: 'expected a mapping of route name to {routing_key_env}' },
      )
      .default({})
      .describe('Named PagerDuty routes (receivers); keys are referenced by environment variable name only.'),
    route: routeSchema
      .optional()
      .describe('Routing tree (matchers on pattern, severity, labels); default: every alert to the first routing_keys entry.'),
    source: nonEmpty().max(255).default('tripline').describe('payload.source of the events.'),
    send_repeats: z.boolean().default(true).describe('Re-send trigger on repeat notifications.'),
    rate_limit_per_minute: intBetween(1, 1000).default(120).describe('Events per minute per routing key.'),
    request_timeout_ms: intBetween(100, 600_000).default(10_000).describe('Events API request timeout, ms.'),
    retry: z
      .preprocess((v) => v ?? {}, retrySchema)
      .describe('Retry policy per event (max_attempts, max_time_ms, min_delay_ms, max_delay_ms).'),
  })
  .describe('PagerDuty alert sink.');

export const serviceConfigSchema = z
  .strictObject({
    kafka: kafkaSchema.optional(),
    elasticsearch: elasticsearchSchema.optional(),
    pagerduty: pagerdutySchema.prefault({} as z.input<typeof pagerdutySchema>),
    patterns: nonEmpty('a path').default('patterns/').describe('Pattern file or directory. Env TRIPLINE_PATTERNS.'),
    http: z
      .strictObject({
        port: intBetween(0, 65535).optional().describe('HTTP port; unset = no server. Env TRIPLINE_HTTP_PORT.'),
      })
      .prefault({})
      .describe('Health, readiness and metrics endpoints.'),
    shutdown_timeout_ms: intBetween(1, 3_600_000)
      .default(30_000)
      .describe('Graceful shutdown budget, ms. Env TRIPLINE_SHUTDOWN_TIMEOUT_MS.'),
    metrics_interval_ms: intBetween(100, 3_600_000)
      .default(15_000)
      .describe(
        'Per-window metric documents: event-time interval between emissions (only changed groups), ms; also the lag refresh interval. Env TRIPLINE_METRICS_INTERVAL_MS.',
      ),
    idle_timeout_ms: intBetween(1000, 86_400_000)
      .default(30_000)
      .describe('A partition quiet for this long (wall clock) stops holding the event clock back, so absence fires on a quiet stream, ms. Env TRIPLINE_IDLE_TIMEOUT_MS.'),
    commit_interval_ms: intBetween(100, 3_600_000)
      .default(5_000)
      .describe('Checkpoint + offset commit interval, ms. Env TRIPLINE_COMMIT_INTERVAL_MS.'),
    max_message_bytes: intBetween(1, 100 * 1024 * 1024)
      .default(65_536)
      .describe('Largest accepted record value, bytes. Env TRIPLINE_MAX_MESSAGE_BYTES.'),
    log_level: z
      .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
      .default('info')
      .describe('Log level. Env TRIPLINE_LOG_LEVEL.'),
    kibana_url: httpUrl('an http(s) URL').optional().describe('Kibana base URL for alert links. Env KIBANA_URL.'),
  })
  .describe('tripline service configuration (tripline run).');

export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type KafkaConfig = z.output<typeof kafkaSchema>;
export type ElasticsearchConfig = z.output<typeof elasticsearchSchema>;
export type PagerdutyConfig = z.output<typeof pagerdutySchema>;

export interface LoadServiceConfigOptions {
  /** YAML file path (`--config`), as the user gave it (used verbatim in messages). */
  file?: string;
  /** Environment; default process.env. */
  env?: Env;
  /** `run` needs Kafka (brokers and topics); offline commands don't. Default true. */
  requireKafka?: boolean;
}

/** Thrown for any invalid configuration; `issues` has one sentence per problem. */
export class ServiceConfigError extends TriplineError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('CONFIG_INVALID', issues.join('\n'));
    this.name = 'ServiceConfigError';
    this.issues = issues;
  }
}

/** Keys that would hold a literal secret; rejected anywhere in the file. */
const SECRET_KEY = /^(password|api_key|apikey|routing_key|token|secret|key)$|_(password|token|secret)$/;

function fmtPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

interface Ctx {
  file: string | undefined;
  fromEnv: Map<string, string>;
}

function where(path: readonly PropertyKey[], ctx: Ctx): string {
  for (let i = path.length; i > 0; i--) {
    const env = ctx.fromEnv.get(path.slice(0, i).map(String).join('.'));
    if (env !== undefined) return env;
  }
  return ctx.file === undefined ? fmtPath(path) : `${ctx.file}: ${fmtPath(path)}`;
}

function requiredMessage(path: readonly PropertyKey[], ctx: Ctx): string {
  const p = fmtPath(path);
  const env = envVarForPath(path as (string | number)[]);
  const inFile = `${p} in ${ctx.file ?? 'the config file'}`;
  return `${p}: required; set ${env === undefined ? inFile : `${env} or ${inFile}`}`;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Rejects literal secrets in the file before anything else looks at it. */
function checkNoLiteralSecrets(data: unknown, path: string[], ctx: Ctx, issues: string[]): void {
  if (data === null || typeof data !== 'object') return;
  const entries = Array.isArray(data) ? data.map((v, i) => [i, v] as const) : Object.entries(data);
  for (const [k, val] of entries) {
    if (typeof k === 'string' && SECRET_KEY.test(k) && val !== null && typeof val !== 'object') {
      const p = [...path, k];
      const hint =
        k === 'routing_key' || k === 'key'
          ? 'use routing_key_env with the name of an environment variable'
          : `use ${envVarForPath(p) ?? 'an environment variable'} or ${k}_file`;
      issues.push(`${ctx.file ?? 'config'}: ${fmtPath(p)}: secrets are not allowed in the config file; ${hint}`);
      continue;
    }
    checkNoLiteralSecrets(val, [...path, String(k)], ctx, issues);
  }
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServiceConfigError([`${file}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let data: unknown;
  try {
    data = YAML.parse(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser's own message quotes the source line, which could hold a secret: report position only.
    const offset = (e as { pos?: [number, number] }).pos?.[0];
    const code = (e as { code?: string }).code ?? 'parse error';
    let at = '';
    if (offset !== undefined) {
      const before = text.slice(0, offset).split('\n');
      at = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    }
    throw new ServiceConfigError([`${file}: invalid YAML${at} (${code})`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ServiceConfigError([`${file}: expected a mapping at the top level`]);
  }
  return data as Record<string, unknown>;
}

/** Env overrides file for secrets too: a password from env drops the file's password_file. */
function reconcileSecretSources(merged: Record<string, unknown>, ctx: Ctx, issues: string[]): void {
  const pairs: Array<[string[], string, string]> = [
    [['kafka', 'sasl'], 'password', 'password_file'],
    [['elasticsearch'], 'api_key', 'api_key_file'],
    [['elasticsearch'], 'password', 'password_file'],
  ];
  for (const [parent, direct, fileKey] of pairs) {
    const obj = valueAt(merged, parent);
    if (obj === null || typeof obj !== 'object') continue;
    const o = obj as Record<string, unknown>;
    if (o[direct] === undefined || o[fileKey] === undefined) continue;
    const fileKeyPath = [...parent, fileKey].join('.');
    if (ctx.fromEnv.has(fileKeyPath)) {
      issues.push(
        `${envVarForPath([...parent, direct])} and ${envVarForPath([...parent, fileKey])}: set only one of them`,
      );
    } else {
      delete o[fileKey];
    }
  }
}

/** Cross-field checks and reading of secret files / routing key variables, after the schema. */
function resolve(cfg: ServiceConfig, env: Env, ctx: Ctx, issues: string[]): void {
  const k = cfg.kafka;
  if (k !== undefined) {
    if (k.ssl_ca_file !== undefined) {
      k.ssl = true;
      if (!existsSync(k.ssl_ca_file)) issues.push(`${where(['kafka', 'ssl_ca_file'], ctx)}: file not found`);
    }
    if (k.sasl !== undefined) {
      if (k.sasl.password_file !== undefined) {
        k.sasl.password = readSecretFile(k.sasl.password_file, ['kafka', 'sasl', 'password_file'], ctx, issues);
      }
      if (k.sasl.password === undefined && k.sasl.password_file === undefined) {
        issues.push(
          `kafka.sasl.password: required with kafka.sasl.mechanism; set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE`,
        );
      }
    }
  }
  const es = cfg.elasticsearch;
  if (es !== undefined) {
    if (es.api_key_file !== undefined) {
      es.api_key = readSecretFile(es.api_key_file, ['elasticsearch', 'api_key_file'], ctx, issues);
    }
    if (es.password_file !== undefined) {
      es.password = readSecretFile(es.password_file, ['elasticsearch', 'password_file'], ctx, issues);
    }
    const basic = es.username !== undefined || es.password !== undefined;
    if (es.api_key !== undefined && basic) {
      issues.push('elasticsearch: set either an API key or a username and password, not both');
    } else if (basic && (es.username === undefined || es.password === undefined)) {
      issues.push(
        es.username === undefined
          ? 'elasticsearch.username: required with a password; set ELASTICSEARCH_USERNAME'
          : 'elasticsearch.password: required with a username; set ELASTICSEARCH_PASSWORD or ELASTICSEARCH_PASSWORD_FILE',
      );
    }
    if (es.ca_file !== undefined && !existsSync(es.ca_file)) {
      issues.push(`${where(['elasticsearch', 'ca_file'], ctx)}: file not found`);
    }
  }
  for (const [name, route] of Object.entries(cfg.pagerduty.routing_keys)) {
    const key = Secret.fromEnv(env, route.routing_key_env);
    if (key === undefined) {
      issues.push(
        `${where(['pagerduty', 'routing_keys', name, 'routing_key_env'], ctx)}: environment variable ${route.routing_key_env} is not set`,
      );
    } else {
      route.key = key;
    }
  }
}

function readSecretFile(path: string, key: string[], ctx: Ctx, issues: string[]): Secret | undefined {
  try {
    return Secret.fromFile(path, where(key, ctx));
  } catch (e) {
    issues.push((e as Error).message);
    return undefined;
  }
}

/** Loads, merges and validates the service configuration. Throws ServiceConfigError. */
export function loadServiceConfig(opts: LoadServiceConfigOptions = {}): ServiceConfig {
  const env = opts.env ?? process.env;
  const ctx: Ctx = { file: opts.file, fromEnv: new Map() };
  const issues: string[] = [];
  const fileData = opts.file === undefined ? {} : readYaml(opts.file);
  checkNoLiteralSecrets(fileData, [], ctx, issues);
  if (issues.length > 0) throw new ServiceConfigError(issues);

  const { merged, fromEnv } = overlayEnv(fileData, env);
  ctx.fromEnv = fromEnv;
  if ((opts.requireKafka ?? true) && merged.kafka === undefined) merged.kafka = {};
  reconcileSecretSources(merged, ctx, issues);
  if (issues.length > 0) throw new ServiceConfigError(issues);

  const parsed = serviceConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) issues.push(`${where([...issue.path, key], ctx)}: unknown key`);
      } else if (issue.code === 'invalid_type' && valueAt(merged, issue.path) === undefined) {
        issues.push(requiredMessage(issue.path, ctx));
      } else {
        issues.push(`${where(issue.path, ctx)}: ${issue.message}`);
      }
    }
    throw new ServiceConfigError(issues);
  }
  const cfg = parsed.data;
  resolve(cfg, env, ctx, issues);
  if (issues.length > 0) throw new ServiceConfigError(issues);
  return cfg;
}

/** The dead-letter topic for a source topic. */
export function dlqTopicFor(kafka: Pick<KafkaConfig, 'dlq_topic'>, topic: string): string {
  return kafka.dlq_topic ?? `${topic}.dlq`;
}

/** Every Secret in the config, for log redaction. */
export function collectSecrets(cfg: unknown): Secret[] {
  const out: Secret[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Secret) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(cfg);
  return out;
}

/** The effective configuration with every secret masked (`tripline run --print-config`). */
export function printConfig(cfg: ServiceConfig, format: 'yaml' | 'json' = 'yaml'): string {
  // JSON round trip: Secret.toJSON masks, undefined fields disappear.
  const plain: unknown = JSON.parse(JSON.stringify(cfg));
  return format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : YAML.stringify(plain);
}

export { ENV_VARS };
