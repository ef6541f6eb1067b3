/**
 * Builds the @elastic/elasticsearch client from config + environment. Client-level retries are off
 * (maxRetries 0): the sink's p-retry policy is the only retry loop. Returns the secrets in memory so
 * every message derived from a client error can be redacted.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { TriplineError } from '../../model/errors.js';
import type { EsSinkConfig } from './config.js';

export interface EsClientHandle {
  readonly client: Client;
  /** Secret values to redact from anything derived from client errors. */
  readonly secrets: readonly string[];
}

/** The ESM entry point does not re-export ClientOptions. */
export type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

type Env = Readonly<Record<string, string | undefined>>;

function requireEnv(env: Env, name: string, what: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new TriplineError('CONFIG_INVALID', `elasticsearch.auth: environment variable ${name} (${what}) is not set`);
  return v;
}

export function esClientOptions(cfg: EsSinkConfig, env: Env = process.env): { options: ClientOptions; secrets: string[] } {
  const secrets: string[] = [];
  const options: ClientOptions = {
    node: cfg.node,
    maxRetries: 0,
    requestTimeout: cfg.request_timeout_ms,
    compression: cfg.compression,
    redaction: { type: 'replace', additionalKeys: ['authorization', 'api_key', 'password'] },
  };
  if (cfg.auth !== undefined) {
    if ('api_key_env' in cfg.auth) {
      const apiKey = requireEnv(env, cfg.auth.api_key_env, 'API key');
      secrets.push(apiKey);
      options.auth = { apiKey };
    } else {
      const password = requireEnv(env, cfg.auth.password_env, 'password');
      secrets.push(password);
      options.auth = { username: cfg.auth.username, password };
    }
  }
  if (cfg.ca_file !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(cfg.ca_file);
    } catch (e) {
      throw new TriplineError('CONFIG_INVALID', `elasticsearch.ca_file: cannot read ${cfg.ca_file}`, { cause: e });
    }
    options.tls = { ca };
  }
  return { options, secrets };
}

export function createEsClient(cfg: EsSinkConfig, env: Env = process.env): EsClientHandle {
  const { options, secrets } = esClientOptions(cfg, env);
  return { client: new Client(options), secrets };
}
