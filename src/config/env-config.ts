/**
 * The environment variables of `tripline run` and where each lands in the service config.
 * Environment overrides the YAML file. This table is also the source for the docs generator.
 */
import { Secret } from './secret.js';

export type EnvKind = 'string' | 'list' | 'int' | 'bool' | 'secret';

export interface EnvVarSpec {
  readonly name: string;
  /** Path in the service config (same keys as the YAML file). */
  readonly path: readonly string[];
  readonly kind: EnvKind;
  readonly description: string;
}

const v = (name: string, path: string, kind: EnvKind, description: string): EnvVarSpec => ({
  name,
  path: path.split('.'),
  kind,
  description,
});

export const ENV_VARS: readonly EnvVarSpec[] = [
  v('KAFKA_BROKERS', 'kafka.brokers', 'list', 'Kafka bootstrap brokers, comma-separated host:port (required for run).'),
  v('KAFKA_TOPICS', 'kafka.topics', 'list', 'Topics to consume, comma-separated (required for run).'),
  v('KAFKA_GROUP_ID', 'kafka.group_id', 'string', 'Consumer group id (default tripline).'),
  v('KAFKA_CLIENT_ID', 'kafka.client_id', 'string', 'Kafka client id (default tripline).'),
  v('KAFKA_DLQ_TOPIC', 'kafka.dlq_topic', 'string', 'Dead-letter topic (default <topic>.dlq).'),
  v('KAFKA_ALERTS_TOPIC', 'kafka.alerts_topic', 'string', 'Optional topic that receives every alert transition as JSON.'),
  v('KAFKA_STATE_TOPIC', 'kafka.state_topic', 'string', 'Compacted checkpoint topic (default <group id>-state).'),
  v('KAFKA_PARTIALS_TOPIC', 'kafka.partials_topic', 'string', 'Internal repartition topic between the two stages (default <group id>-partials).'),
  v('KAFKA_PARTIALS_PARTITIONS', 'kafka.partials_partitions', 'int', 'Partitions of the partials topic: the most instances that share detection work (default 12).'),
  v('KAFKA_PAGERDUTY_DELIVERED_TOPIC', 'kafka.pagerduty_delivered_topic', 'string', 'Compacted topic of delivered PagerDuty events (default <group id>-pagerduty-delivered).'),
  v('KAFKA_SSL', 'kafka.ssl', 'bool', 'Use TLS to the brokers (true/false).'),
  v('KAFKA_SSL_CA_FILE', 'kafka.ssl_ca_file', 'string', 'PEM CA bundle for the brokers; implies KAFKA_SSL.'),
  v('KAFKA_SASL_MECHANISM', 'kafka.sasl.mechanism', 'string', 'SASL mechanism: plain, scram-sha-256 or scram-sha-512.'),
  v('KAFKA_SASL_USERNAME', 'kafka.sasl.username', 'string', 'SASL username.'),
  v('KAFKA_SASL_PASSWORD', 'kafka.sasl.password', 'secret', 'SASL password (secret).'),
  v('KAFKA_SASL_PASSWORD_FILE', 'kafka.sasl.password_file', 'string', 'File holding the SASL password.'),
  v('ELASTICSEARCH_URL', 'elasticsearch.url', 'string', 'Elasticsearch URL for the alert sink.'),
  v('ELASTICSEARCH_API_KEY', 'elasticsearch.api_key', 'secret', 'Elasticsearch API key (secret).'),
  v('ELASTICSEARCH_API_KEY_FILE', 'elasticsearch.api_key_file', 'string', 'File holding the Elasticsearch API key.'),
  v('ELASTICSEARCH_USERNAME', 'elasticsearch.username', 'string', 'Elasticsearch basic-auth username.'),
  v('ELASTICSEARCH_PASSWORD', 'elasticsearch.password', 'secret', 'Elasticsearch basic-auth password (secret).'),
  v('ELASTICSEARCH_PASSWORD_FILE', 'elasticsearch.password_file', 'string', 'File holding the Elasticsearch password.'),
  v('ELASTICSEARCH_CA_FILE', 'elasticsearch.ca_file', 'string', 'PEM CA bundle for Elasticsearch.'),
  v('PAGERDUTY_EVENTS_URL', 'pagerduty.events_url', 'string', 'PagerDuty Events API v2 URL.'),
  v('TRIPLINE_PATTERNS', 'patterns', 'string', 'Pattern file or directory (default patterns/).'),
  v('TRIPLINE_HTTP_PORT', 'http.port', 'int', 'Port of /healthz, /readyz, /metrics (unset = no HTTP server).'),
  v('TRIPLINE_SHUTDOWN_TIMEOUT_MS', 'shutdown_timeout_ms', 'int', 'Graceful shutdown budget, ms (default 30000).'),
  v('TRIPLINE_METRICS_INTERVAL_MS', 'metrics_interval_ms', 'int', 'Event-time interval of per-window metric documents (changed groups only), and of the lag refresh, ms (default 15000).'),
  v('TRIPLINE_IDLE_TIMEOUT_MS', 'idle_timeout_ms', 'int', 'Wall-clock idle timeout of a quiet partition, ms (default 30000).'),
  v('TRIPLINE_COMMIT_INTERVAL_MS', 'commit_interval_ms', 'int', 'Checkpoint and offset commit interval, ms (default 5000).'),
  v('TRIPLINE_MAX_MESSAGE_BYTES', 'max_message_bytes', 'int', 'Largest accepted record value, bytes (default 65536).'),
  v('TRIPLINE_LOG_LEVEL', 'log_level', 'string', 'Log level: fatal, error, warn, info, debug, trace, silent.'),
  v('KIBANA_URL', 'kibana_url', 'string', 'Kibana base URL for links in alerts.'),
];

const BY_PATH = new Map(ENV_VARS.map((s) => [s.path.join('.'), s.name]));

/** The environment variable that sets a config path, if any. */
export function envVarForPath(path: readonly (string | number)[]): string | undefined {
  return BY_PATH.get(path.join('.'));
}

export type Env = Readonly<Record<string, string | undefined>>;

function parseValue(spec: EnvVarSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'string':
      return raw.trim();
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'int':
      // Non-integers stay strings so that validation reports them with the variable name.
      return /^\s*\d+\s*$/.test(raw) ? Number(raw.trim()) : raw;
    case 'bool': {
      const t = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(t)) return false;
      return raw;
    }
    case 'secret':
      return new Secret(raw, `env ${spec.name}`);
  }
}

/**
 * Overlays the set environment variables on `base` (a plain object from YAML, not mutated).
 * Returns the merged object and, for each overridden path, the variable that set it.
 */
export function overlayEnv(
  base: Record<string, unknown>,
  env: Env,
): { merged: Record<string, unknown>; fromEnv: Map<string, string> } {
  const merged = structuredCloneSafe(base);
  const fromEnv = new Map<string, string>();
  for (const spec of ENV_VARS) {
    const raw = env[spec.name];
    if (raw === undefined || (raw === '' && spec.kind !== 'bool')) continue;
    let obj = merged;
    for (const key of spec.path.slice(0, -1)) {
      const next = obj[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) obj[key] = {};
      obj = obj[key] as Record<string, unknown>;
    }
    obj[spec.path[spec.path.length - 1]!] = parseValue(spec, raw);
    fromEnv.set(spec.path.join('.'), spec.name);
  }
  return { merged, fromEnv };
}

/** Deep copy of plain YAML data (objects, arrays, scalars). */
function structuredCloneSafe(x: Record<string, unknown>): Record<string, unknown> {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v !== null && typeof v === 'object' && !(v instanceof Secret)) {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) out[k] = copy(val);
      return out;
    }
    return v;
  };
  return copy(x) as Record<string, unknown>;
}
