import { Writable } from 'node:stream';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';

// kafkajs's .d.ts declares these constructors without arguments; the runtime takes a message.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error;
import { Secret } from '../../../src/config/secret.js';
import type { KafkaConfig } from '../../../src/config/service-config.js';
import { buildKafkaJsConfig, kafkaLogCreator, mapKafkaError } from '../../../src/source/kafka-client.js';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.js';

const PW = 'kafka-pw-0123456789';
const base: KafkaConfig = { brokers: ['k1:9092', 'k2:9092'], topics: ['logs'], group_id: 'g', client_id: 'c', ssl: false };
const withSasl: KafkaConfig = {
  ...base,
  sasl: { mechanism: 'scram-sha-512', username: 'tripline', password: new Secret(PW, 'env KAFKA_SASL_PASSWORD') },
};

describe('buildKafkaJsConfig', () => {
  it('maps brokers, client id, log level, no TLS', () => {
    const c = buildKafkaJsConfig(base, silentLogger());
    expect(c.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.clientId).toBe('c');
    expect(c.ssl).toBeUndefined();
    expect(c.sasl).toBeUndefined();
    expect(c.logLevel).toBe(logLevel.WARN);
  });
  it('TLS with and without CA file', () => {
    expect(buildKafkaJsConfig({ ...base, ssl: true }, silentLogger()).ssl).toBe(true);
    const c = buildKafkaJsConfig({ ...base, ssl: true, ssl_ca_file: 'package.json' }, silentLogger());
    expect((c.ssl as { ca: string[] }).ca[0]).toContain('tripline');
    expect(() => buildKafkaJsConfig({ ...base, ssl_ca_file: '/nonexistent/ca.pem' }, silentLogger())).toThrow(
      'kafka.ssl_ca_file: cannot read /nonexistent/ca.pem (ENOENT)',
    );
  });
  it('SASL reveals the password only into the kafkajs config', () => {
    const c = buildKafkaJsConfig(withSasl, silentLogger());
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'tripline', password: PW });
  });
});

describe('mapKafkaError', () => {
  it('SASL failure -> KAFKA_AUTH, not retriable, no secret', () => {
    const e = new SaslError(`SASL SCRAM SHA512 authentication failed: bad password ${PW}`);
    const err = mapKafkaError(e, 'connecting consumer group g', withSasl);
    expect(err.code).toBe('KAFKA_AUTH');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('as user tripline (scram-sha-512); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    expect(err.message).not.toContain(PW);
    expect(JSON.stringify(err.cause)).not.toContain(PW);
  });
  it('wrapped SASL failure and authorization errors -> KAFKA_AUTH', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(new SaslError('SASL PLAIN: bad'), { retryCount: 5, retryTime: 1 });
    expect(mapKafkaError(wrapped, 'x').code).toBe('KAFKA_AUTH');
    const authz = Object.assign(new KafkaJSProtocolError('Not authorized to access topics'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    const err = mapKafkaError(authz, 'consuming logs');
    expect(err.code).toBe('KAFKA_AUTH');
    expect(err.message).toBe('Kafka refused consuming logs: not authorized (TOPIC_AUTHORIZATION_FAILED)');
  });
  it('connection errors -> KAFKA_UNAVAILABLE, retriable', () => {
    const err = mapKafkaError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'), 'connecting');
    expect(err.code).toBe('KAFKA_UNAVAILABLE');
    expect(err.retriable).toBe(true);
    expect(err.message).toBe('Kafka unavailable while connecting: Connection error: ECONNREFUSED');
  });
});

describe('kafkaLogCreator', () => {
  it('routes to pino with the namespace and scrubs secrets', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c.toString());
        cb();
      },
    });
    const logger = createLogger({ destination, level: 'debug' });
    const log = kafkaLogCreator(logger, [PW])(logLevel.WARN);
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', message: `failed with ${PW}`, broker: 'k1:9092', sasl: { password: PW } } });
    log({ namespace: 'Runner', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', message: 'ok' } });
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ 'log.level': 'error', 'log.logger': 'kafkajs.Connection', kafka: { broker: 'k1:9092' } });
    expect(lines[1]).toMatchObject({ 'log.level': 'info', message: 'ok' });
    expect(chunks.join('')).not.toContain(PW);
  });
});
