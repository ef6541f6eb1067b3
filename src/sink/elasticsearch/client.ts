/**
 * Builds the @elastic/elasticsearch client from config + environment. Client-level retries are off
 * (maxRetries 0): the sink's p-retry policy is the only retry loop. Returns the secrets in memory so
 * every message derived from a client error can be redacted.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { TriplineError } from '../../model/errors.js';
import type { EsConnectionConfig, EsSinkOptions } from './config.js';

export interface EsClientHandle {
  readonly client: Client;
  /** Secret values to redact from anything derived from client errors. */
  readonly secrets: readonly string[];
}

/** The ESM entry point does not re-export ClientOptions. */
export type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

export function esClientOptions(conn: EsConnectionConfig, tuning: Pick<EsSinkOptions, 'request_timeout_ms' | 'compression' | 'compatible_with'>): { options: ClientOptions; secrets: string[] } {
  const secrets: string[] = [];
  const options: ClientOptions = {
    node: conn.url,
    maxRetries: 0,
    requestTimeout: tuning.request_timeout_ms,
    compression: tuning.compression,
    redaction: { type: 'replace', additionalKeys: ['authorization', 'api_key', 'password'] },
  };
  if (tuning.compatible_with !== undefined) {
    const media = `application/vnd.elasticsearch+json; compatible-with=${tuning.compatible_with}`;
    options.headers = { accept: media, 'content-type': media };
  }
  if (conn.api_key !== undefined) {
    const apiKey = conn.api_key.reveal();
    secrets.push(apiKey);
    options.auth = { apiKey };
  } else if (conn.password !== undefined) {
    if (conn.username === undefined) throw new TriplineError('CONFIG_INVALID', 'elasticsearch.username: required with a password');
    const password = conn.password.reveal();
    secrets.push(password);
    options.auth = { username: conn.username, password };
  }
  if (conn.ca_file !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(conn.ca_file);
    } catch (e) {
      throw new TriplineError('CONFIG_INVALID', `elasticsearch.ca_file: cannot read ${conn.ca_file}`, { cause: e });
    }
    options.tls = { ca };
  }
  return { options, secrets };
}

export function createEsClient(conn: EsConnectionConfig, tuning: Pick<EsSinkOptions, 'request_timeout_ms' | 'compression' | 'compatible_with'>): EsClientHandle {
  const { options, secrets } = esClientOptions(conn, tuning);
  return { client: new Client(options), secrets };
}
