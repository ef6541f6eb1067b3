/**
 * Builds the kafkajs client from the service config (brokers, client id, TLS with a CA file,
 * SASL plain / scram-sha-256 / scram-sha-512 with the password from a Secret), routes kafkajs
 * logs to pino (warn by default, secrets scrubbed), and maps kafkajs errors into the catalog.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { KafkaConfig as KafkaJsConfig, LogEntry, logCreator as LogCreator, SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { LevelWithSilent } from 'pino';
import type { KafkaConfig } from '../config/service-config.js';
import { TriplineError } from '../model/errors.js';
import { redactDeep, redactSecrets, secretValues } from '../telemetry/redact.js';

export interface KafkaClientOptions {
  /** Minimum level of kafkajs's own logs. Default `warn` (kafkajs is chatty at info). */
  logLevel?: LevelWithSilent;
  /** Connection timeout, ms (default 10000). */
  connectionTimeout?: number;
  /** Retries of kafkajs's internal retrier (default 5). */
  retries?: number;
}

const TO_KAFKA_LEVEL: Record<LevelWithSilent, KafkaLogLevel> = {
  silent: KafkaLogLevel.NOTHING,
  fatal: KafkaLogLevel.ERROR,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
  trace: KafkaLogLevel.DEBUG,
};

/** Secret values of a Kafka config, for redaction. */
export function kafkaSecrets(cfg: KafkaConfig): string[] {
  return secretValues([cfg.sasl?.password]);
}

/** kafkajs log entries -> pino, `log.logger: kafkajs.<namespace>`, secrets scrubbed. */
export function kafkaLogCreator(logger: Logger, secrets: readonly string[]): LogCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const fields = { 'log.logger': `kafkajs${namespace === '' ? '' : `.${namespace}`}`, kafka: redactDeep(extra, secrets) };
      const text = redactSecrets(String(message), secrets);
      switch (level) {
        case KafkaLogLevel.ERROR:
          logger.error(fields, text);
          break;
        case KafkaLogLevel.WARN:
          logger.warn(fields, text);
          break;
        case KafkaLogLevel.INFO:
          logger.info(fields, text);
          break;
        default:
          logger.debug(fields, text);
      }
    };
}

/** The kafkajs configuration for a service config. Pure except for reading the CA file. */
export function buildKafkaJsConfig(cfg: KafkaConfig, logger: Logger, opts: KafkaClientOptions = {}): KafkaJsConfig {
  const out: KafkaJsConfig = {
    clientId: cfg.client_id,
    brokers: [...cfg.brokers],
    connectionTimeout: opts.connectionTimeout ?? 10_000,
    retry: { retries: opts.retries ?? 5, initialRetryTime: 300, maxRetryTime: 30_000 },
    logLevel: TO_KAFKA_LEVEL[opts.logLevel ?? 'warn'],
    logCreator: kafkaLogCreator(logger, kafkaSecrets(cfg)),
  };
  if (cfg.ssl_ca_file !== undefined) {
    let ca: string;
    try {
      ca = readFileSync(cfg.ssl_ca_file, 'utf8');
    } catch (e) {
      throw new TriplineError(
        'CONFIG_INVALID',
        `kafka.ssl_ca_file: cannot read ${cfg.ssl_ca_file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    out.ssl = { ca: [ca] };
  } else if (cfg.ssl) {
    out.ssl = true;
  }
  if (cfg.sasl !== undefined) {
    const password = cfg.sasl.password;
    if (password === undefined) {
      throw new TriplineError('CONFIG_INVALID', 'kafka.sasl.password: required with kafka.sasl.mechanism');
    }
    // The one place the password is revealed: the SASL handshake needs it.
    const sasl: SASLOptions = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password: password.reveal() };
    out.sasl = sasl;
  }
  return out;
}

export function createKafka(cfg: KafkaConfig, logger: Logger, opts: KafkaClientOptions = {}): Kafka {
  return new Kafka(buildKafkaJsConfig(cfg, logger, opts));
}

const AUTH_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

function chain(e: unknown): Array<{ name?: string; type?: string; message?: string; retriable?: boolean }> {
  const out: Array<{ name?: string; type?: string; message?: string; retriable?: boolean }> = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur !== null && typeof cur === 'object'; i++) {
    out.push(cur as (typeof out)[number]);
    const c = cur as { cause?: unknown; originalError?: unknown };
    cur = c.originalError ?? c.cause;
  }
  return out;
}

/**
 * Maps anything kafkajs throws into the catalog: authentication/authorization -> KAFKA_AUTH
 * (not retriable: a wrong password fails fast), everything else -> KAFKA_UNAVAILABLE.
 * `what` says what was attempted (`connecting the consumer`). Never contains a secret.
 */
export function mapKafkaError(e: unknown, what: string, cfg?: KafkaConfig): TriplineError {
  if (e instanceof TriplineError) return e;
  const secrets = cfg === undefined ? [] : kafkaSecrets(cfg);
  const errs = chain(e);
  const detail = redactSecrets(errs[0]?.message ?? String(e), secrets);
  const auth = errs.find((x) => x.name === 'KafkaJSSASLAuthenticationError' || (x.type !== undefined && AUTH_TYPES.has(x.type)));
  if (auth !== undefined) {
    const authDetail = redactSecrets(auth.message ?? '', secrets);
    const who =
      cfg?.sasl === undefined
        ? ''
        : ` as user ${cfg.sasl.username} (${cfg.sasl.mechanism}); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
    const isAuthz = auth.type !== undefined && auth.type.endsWith('AUTHORIZATION_FAILED');
    return new TriplineError(
      'KAFKA_AUTH',
      isAuthz
        ? `Kafka refused ${what}: not authorized (${auth.type})${who}`
        : `Kafka authentication failed while ${what}${who}: ${authDetail}`,
      { cause: redactDeep(e, secrets) },
    );
  }
  const retriable = errs.every((x) => x.retriable !== false) || errs.some((x) => x.name === 'KafkaJSNumberOfRetriesExceeded');
  return new TriplineError('KAFKA_UNAVAILABLE', `Kafka unavailable while ${what}: ${detail}`, {
    cause: redactDeep(e, secrets),
    retriable,
  });
}
