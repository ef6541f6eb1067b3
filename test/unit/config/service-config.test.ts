import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../../src/config/env-config.js';
import {
  ServiceConfigError,
  DEFAULT_PAGERDUTY_EVENTS_URL,
  dlqTopicFor,
  loadServiceConfig,
  serviceConfigSchema,
} from '../../../src/config/service-config.js';
import { isTriplineError } from '../../../src/model/errors.js';

const INVALID = 'test/fixtures/config/invalid';
const BASE_ENV = { KAFKA_BROKERS: 'localhost:9092', KAFKA_TOPICS: 'logs' };

function errorOf(fn: () => unknown): ServiceConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ServiceConfigError) return e;
    throw e;
  }
  throw new Error('expected a ServiceConfigError');
}

function tmpYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-cfg-'));
  const file = join(dir, 'tripline.yaml');
  writeFileSync(file, text);
  return file;
}

describe('invalid fixtures: exact messages', () => {
  const files = readdirSync(INVALID).filter((f) => f.endsWith('.yaml'));
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(15));
  for (const f of files) {
    it(f, () => {
      const file = `${INVALID}/${f}`;
      const header = readFileSync(file, 'utf8').split('\n')[0]!;
      expect(header.startsWith('# expect: ')).toBe(true);
      const expected = header.slice('# expect: '.length).replaceAll('{file}', file);
      const err = errorOf(() => loadServiceConfig({ file, env: {} }));
      expect(err.message).toBe(expected);
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.retriable).toBe(false);
      expect(isTriplineError(err)).toBe(true);
      expect(err.issues).toEqual([expected]);
    });
  }
});

describe('environment', () => {
  it('applies defaults', () => {
    const cfg = loadServiceConfig({ env: BASE_ENV });
    expect(cfg.kafka).toEqual({
      brokers: ['localhost:9092'],
      topics: ['logs'],
      group_id: 'tripline',
      client_id: 'tripline',
      ssl: false,
    });
    expect(cfg.pagerduty.events_url).toBe(DEFAULT_PAGERDUTY_EVENTS_URL);
    expect(cfg.patterns).toBe('patterns/');
    expect(cfg.http.port).toBeUndefined();
    expect(cfg.shutdown_timeout_ms).toBe(30_000);
    expect(cfg.max_message_bytes).toBe(65_536);
    expect(cfg.log_level).toBe('info');
    expect(dlqTopicFor(cfg.kafka!, 'logs')).toBe('logs.dlq');
  });

  it('parses lists, ints and booleans', () => {
    const cfg = loadServiceConfig({
      env: {
        KAFKA_BROKERS: ' a:9092, b:9093 ,',
        KAFKA_TOPICS: 'app,audit',
        KAFKA_SSL: 'true',
        KAFKA_DLQ_TOPIC: 'dead',
        TRIPLINE_HTTP_PORT: '9464',
        TRIPLINE_SHUTDOWN_TIMEOUT_MS: '5000',
        TRIPLINE_LOG_LEVEL: 'debug',
        KIBANA_URL: 'http://kibana:5601',
      },
    });
    expect(cfg.kafka?.brokers).toEqual(['a:9092', 'b:9093']);
    expect(cfg.kafka?.topics).toEqual(['app', 'audit']);
    expect(cfg.kafka?.ssl).toBe(true);
    expect(dlqTopicFor(cfg.kafka!, 'app')).toBe('dead');
    expect(cfg.http.port).toBe(9464);
    expect(cfg.shutdown_timeout_ms).toBe(5000);
    expect(cfg.log_level).toBe('debug');
    expect(cfg.kibana_url).toBe('http://kibana:5601');
  });

  it('env overrides the file', () => {
    const file = tmpYaml('kafka:\n  brokers: [file:9092]\n  topics: [from-file]\n  group_id: g-file\nlog_level: warn\n');
    const cfg = loadServiceConfig({ file, env: { KAFKA_BROKERS: 'env:9092' } });
    expect(cfg.kafka?.brokers).toEqual(['env:9092']);
    expect(cfg.kafka?.topics).toEqual(['from-file']);
    expect(cfg.kafka?.group_id).toBe('g-file');
    expect(cfg.log_level).toBe('warn');
  });

  it('names the environment variable when the bad value came from env', () => {
    const file = tmpYaml('kafka:\n  brokers: [ok:9092]\n  topics: [logs]\n');
    expect(errorOf(() => loadServiceConfig({ file, env: { KAFKA_BROKERS: 'nope' } })).message).toBe(
      'KAFKA_BROKERS: expected a non-empty list of host:port',
    );
    expect(errorOf(() => loadServiceConfig({ env: { ...BASE_ENV, TRIPLINE_HTTP_PORT: 'abc' } })).message).toBe(
      'TRIPLINE_HTTP_PORT: expected an integer between 0 and 65535',
    );
    expect(errorOf(() => loadServiceConfig({ env: { ...BASE_ENV, KAFKA_SSL: 'maybe' } })).message).toBe(
      'KAFKA_SSL: expected true or false',
    );
    expect(errorOf(() => loadServiceConfig({ env: { ...BASE_ENV, KAFKA_SASL_MECHANISM: 'oauthbearer' } })).issues).toContain(
      'KAFKA_SASL_MECHANISM: expected one of plain, scram-sha-256, scram-sha-512',
    );
  });

  it('reports every missing required variable', () => {
    expect(errorOf(() => loadServiceConfig({ env: {} })).issues).toEqual([
      'kafka.brokers: required; set KAFKA_BROKERS or kafka.brokers in the config file',
      'kafka.topics: required; set KAFKA_TOPICS or kafka.topics in the config file',
    ]);
  });

  it('does not need Kafka for offline commands', () => {
    const cfg = loadServiceConfig({ env: {}, requireKafka: false });
    expect(cfg.kafka).toBeUndefined();
  });

  it('reads SASL and Elasticsearch secrets from files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripline-sec-'));
    writeFileSync(join(dir, 'pw'), 's3cret-from-file\n');
    writeFileSync(join(dir, 'es'), 'es-key-from-file');
    const cfg = loadServiceConfig({
      env: {
        ...BASE_ENV,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'tripline',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw'),
        ELASTICSEARCH_URL: 'https://es:9200',
        ELASTICSEARCH_API_KEY_FILE: join(dir, 'es'),
      },
    });
    expect(cfg.kafka?.sasl?.password?.reveal()).toBe('s3cret-from-file');
    expect(cfg.elasticsearch?.api_key?.reveal()).toBe('es-key-from-file');
  });

  it('env password overrides the file password_file; both in env is an error', () => {
    const file = tmpYaml(
      'kafka:\n  brokers: [k:9092]\n  topics: [t]\n  sasl:\n    mechanism: plain\n    username: u\n    password_file: /nonexistent/pw\n',
    );
    const cfg = loadServiceConfig({ file, env: { KAFKA_SASL_PASSWORD: 'from-env' } });
    expect(cfg.kafka?.sasl?.password?.reveal()).toBe('from-env');
    expect(
      errorOf(() =>
        loadServiceConfig({ file, env: { KAFKA_SASL_PASSWORD: 'x', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' } }),
      ).message,
    ).toBe('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE: set only one of them');
  });

  it('rejects both Elasticsearch auth methods and half of basic auth', () => {
    const es = { ...BASE_ENV, ELASTICSEARCH_URL: 'http://es:9200' };
    expect(
      errorOf(() =>
        loadServiceConfig({
          env: { ...es, ELASTICSEARCH_API_KEY: 'k', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'p' },
        }),
      ).message,
    ).toBe('elasticsearch: set either an API key or a username and password, not both');
    expect(errorOf(() => loadServiceConfig({ env: { ...es, ELASTICSEARCH_USERNAME: 'u' } })).message).toBe(
      'elasticsearch.password: required with a username; set ELASTICSEARCH_PASSWORD or ELASTICSEARCH_PASSWORD_FILE',
    );
  });

  it('resolves PagerDuty routing keys from the named variables', () => {
    const file = tmpYaml(
      'pagerduty:\n  routing_keys:\n    payments: { routing_key_env: PD_KEY_PAYMENTS }\n    infra: { routing_key_env: PD_KEY_INFRA }\n',
    );
    const cfg = loadServiceConfig({
      file,
      env: { ...BASE_ENV, PD_KEY_PAYMENTS: 'pd-payments-key', PD_KEY_INFRA: 'pd-infra-key' },
    });
    expect(cfg.pagerduty.routing_keys.payments?.routing_key_env).toBe('PD_KEY_PAYMENTS');
    expect(cfg.pagerduty.routing_keys.payments?.key?.reveal()).toBe('pd-payments-key');
    expect(cfg.pagerduty.routing_keys.infra?.key?.reveal()).toBe('pd-infra-key');
  });

  it('reports an unreadable config file', () => {
    expect(errorOf(() => loadServiceConfig({ file: '/nonexistent/tripline.yaml', env: BASE_ENV })).message).toBe(
      '/nonexistent/tripline.yaml: cannot read config file (ENOENT)',
    );
  });

  it('accepts an empty file', () => {
    const file = tmpYaml('');
    expect(loadServiceConfig({ file, env: BASE_ENV }).kafka?.topics).toEqual(['logs']);
  });
});

describe('schema', () => {
  it('every field carries a description (for the docs generator)', () => {
    const missing: string[] = [];
    const walk = (schema: unknown, path: string, described = false): void => {
      const s = schema as {
        description?: string;
        def?: { type: string; innerType?: unknown; shape?: Record<string, unknown>; valueType?: unknown };
      };
      const def = s.def;
      if (def === undefined) return;
      const has = described || s.description !== undefined;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') {
        walk(def.innerType, path, has);
        return;
      }
      if (path !== '' && !has) missing.push(path);
      if (def.type === 'object') for (const [k, v] of Object.entries(def.shape!)) walk(v, path === '' ? k : `${path}.${k}`);
      if (def.type === 'record') walk(def.valueType, `${path}.*`, true);
    };
    walk(serviceConfigSchema, '');
    expect(missing.filter((p) => !p.endsWith('.*'))).toEqual([]);
  });

  it('every environment variable maps to a schema path', () => {
    for (const spec of ENV_VARS) {
      let s = serviceConfigSchema as unknown as { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } };
      for (const key of spec.path) {
        while (s.def.type !== 'object') s = s.def.innerType as typeof s;
        const next = s.def.shape![key];
        expect(next, `${spec.name} -> ${spec.path.join('.')}`).toBeDefined();
        s = next as typeof s;
      }
    }
  });
});
