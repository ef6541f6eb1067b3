/**
 * A secret value (password, API key, routing key) that cannot leak by accident:
 * `String(s)`, `JSON.stringify(s)`, template literals and `util.inspect` all give `***`.
 * The value is only reachable through `.reveal()`, used at the one place that needs it
 * (the SASL handshake, the Authorization header, the PagerDuty payload).
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { TriplineError } from '../model/errors.js';

export const MASK = '***';

export class Secret {
  readonly #value: string;
  /** Where the value came from, safe to print: `env KAFKA_SASL_PASSWORD`, `file /run/secrets/x`. */
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
  }

  reveal(): string {
    return this.#value;
  }

  /** True when the secret is non-empty. */
  get present(): boolean {
    return this.#value.length > 0;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }

  [Symbol.toPrimitive](): string {
    return MASK;
  }

  /** Reads a secret from an environment variable; undefined when unset or empty. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>, name: string): Secret | undefined {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    return new Secret(v, `env ${name}`);
  }

  /**
   * Reads a secret from a file (Docker/Kubernetes secret mounts). One trailing newline is trimmed.
   * `what` names the setting in the error (`KAFKA_SASL_PASSWORD_FILE`, `tripline.yaml: kafka.sasl.password_file`).
   */
  static fromFile(path: string, what: string): Secret {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'read error';
      throw new TriplineError('CONFIG_INVALID', `${what}: cannot read secret file ${path} (${code})`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') {
      throw new TriplineError('CONFIG_INVALID', `${what}: secret file ${path} is empty`);
    }
    return new Secret(value, `file ${path}`);
  }
}

export function isSecret(x: unknown): x is Secret {
  return x instanceof Secret;
}
