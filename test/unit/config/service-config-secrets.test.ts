import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MASK, Secret } from '../../../src/config/secret.js';
import { collectSecrets, loadServiceConfig, printConfig } from '../../../src/config/service-config.js';

const SECRETS = {
  kafka: 'kafka-pw-9f8e7d6c5b4a',
  es: 'es-api-key-0a1b2c3d4e5f',
  pd: 'pdroutingkey0123456789abcdefabcd',
  fileKafka: 'file-kafka-pw-77aa88bb',
};

function fullConfig() {
  const file = join(mkdtempSync(join(tmpdir(), 'tripline-secret-')), 'tripline.yaml');
  writeFileSync(file, 'pagerduty:\n  routing_keys:\n    payments: { routing_key_env: PD_KEY_PAYMENTS }\n');
  return loadServiceConfig({
    file,
    env: {
      KAFKA_BROKERS: 'k:9092',
      KAFKA_TOPICS: 'logs',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'tripline',
      KAFKA_SASL_PASSWORD: SECRETS.kafka,
      ELASTICSEARCH_URL: 'https://es:9200',
      ELASTICSEARCH_API_KEY: SECRETS.es,
      PD_KEY_PAYMENTS: SECRETS.pd,
    },
  });
}

describe('Secret', () => {
  const s = new Secret('top-secret-value', 'env X');
  it('masks every string conversion', () => {
    expect(String(s)).toBe(MASK);
    expect(`${s}`).toBe(MASK);
    expect(JSON.stringify({ s })).toBe('{"s":"***"}');
    expect(inspect(s)).toBe(MASK);
    expect(inspect({ nested: { s } }, { depth: 5 })).not.toContain('top-secret-value');
    expect(s.reveal()).toBe('top-secret-value');
    expect(s.origin).toBe('env X');
  });
  it('fromEnv ignores unset and empty values', () => {
    expect(Secret.fromEnv({ A: '' }, 'A')).toBeUndefined();
    expect(Secret.fromEnv({}, 'A')).toBeUndefined();
    expect(Secret.fromEnv({ A: 'v' }, 'A')?.reveal()).toBe('v');
  });
});

describe('no secret leaks', () => {
  it('printConfig masks every secret (yaml and json)', () => {
    const cfg = fullConfig();
    expect(collectSecrets(cfg)).toHaveLength(3);
    for (const format of ['yaml', 'json'] as const) {
      const out = printConfig(cfg, format);
      for (const v of Object.values(SECRETS)) expect(out).not.toContain(v);
      expect(out).toContain('***');
      expect(out).toContain('PD_KEY_PAYMENTS');
    }
    expect(JSON.parse(printConfig(cfg, 'json')).kafka.sasl.password).toBe('***');
    expect(inspect(cfg, { depth: 10 })).not.toContain(SECRETS.kafka);
    expect(JSON.stringify(cfg)).not.toContain(SECRETS.pd);
  });

  it('thrown errors never contain secret values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripline-secret-'));
    const cases: Array<{ yaml?: string; env: Record<string, string> }> = [
      // literal secrets in the file
      { yaml: `kafka:\n  brokers: [k:9092]\n  topics: [t]\n  sasl: { mechanism: plain, username: u, password: ${SECRETS.kafka} }\n`, env: {} },
      { yaml: `pagerduty:\n  routing_keys:\n    p: { routing_key: ${SECRETS.pd} }\n`, env: {} },
      { yaml: `pagerduty:\n  routing_keys:\n    p: { routing_key_env: ${SECRETS.pd} }\n`, env: {} },
      { yaml: `elasticsearch:\n  url: http://es:9200\n  api_key: ${SECRETS.es}\n`, env: {} },
      // a secret in YAML that does not parse
      { yaml: `kafka:\n  brokers: [k:9092\n  password: ${SECRETS.kafka}\n`, env: {} },
      // env secrets next to other invalid settings
      {
        env: {
          KAFKA_BROKERS: 'bad',
          KAFKA_TOPICS: 't',
          KAFKA_SASL_MECHANISM: 'nope',
          KAFKA_SASL_PASSWORD: SECRETS.kafka,
          ELASTICSEARCH_URL: 'not a url',
          ELASTICSEARCH_API_KEY: SECRETS.es,
          ELASTICSEARCH_PASSWORD: SECRETS.fileKafka,
        },
      },
      { env: { KAFKA_BROKERS: 'k:1', KAFKA_TOPICS: 't', KAFKA_SASL_PASSWORD: SECRETS.kafka, KAFKA_SASL_PASSWORD_FILE: '/x' } },
    ];
    let n = 0;
    for (const c of cases) {
      let file: string | undefined;
      if (c.yaml !== undefined) {
        file = join(dir, `case-${n++}.yaml`);
        writeFileSync(file, c.yaml);
      }
      let thrown: unknown;
      try {
        loadServiceConfig({ file, env: { KAFKA_BROKERS: 'k:9092', KAFKA_TOPICS: 't', ...c.env } });
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(c.yaml ?? Object.keys(c.env))).toBeInstanceOf(Error);
      const text = `${(thrown as Error).message}\n${inspect(thrown, { depth: 10 })}\n${JSON.stringify(thrown)}`;
      for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
    }
  });
});
