/**
 * Secret redaction for anything that may reach a log, a document, an error message or a snapshot.
 * Sinks pass every text that came back from a remote (client errors may echo request headers)
 * through `redactSecrets` with the secrets they hold in memory.
 */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not searched for (too likely to match innocent text). */
const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret (and of its base64 form, as used by Basic/ApiKey auth). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  const needles = new Set<string>();
  for (const s of secrets) {
    if (s === undefined || s.length < MIN_SECRET_LENGTH) continue;
    needles.add(s);
    needles.add(Buffer.from(s, 'utf8').toString('base64'));
  }
  // Longest first so a secret containing another is replaced whole.
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    out = out.split(needle).join(REDACTED);
  }
  // Authorization headers echoed by HTTP clients, whatever the credential.
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?)(ApiKey|Basic|Bearer)\s+[A-Za-z0-9+/=._-]+/gi, `$1$2 ${REDACTED}`);
  return out;
}

/** A redacted one-line description of an unknown thrown value. */
export function describeError(e: unknown, secrets: readonly (string | undefined)[]): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return redactSecrets(text, secrets);
}

// --- Logger support (telemetry/logger.ts, source/kafka-client.ts) ---

/**
 * pino `redact` paths: object keys that hold credentials, at the top level and up to three
 * levels down (pino paths have no recursive wildcard). Matching is by exact key name.
 */
export const SECRET_KEY_NAMES = [
  'password',
  'passwd',
  'api_key',
  'apiKey',
  'routing_key',
  'routingKey',
  'routing_key_value',
  'secret',
  'token',
  'authorization',
  'Authorization',
  'sasl',
] as const;

export const REDACT_PATHS: readonly string[] = SECRET_KEY_NAMES.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `*.*.*.${k}`,
]);

/** Anything that can reveal a secret value: a config `Secret` (duck-typed), a string, or nothing. */
export type SecretLike = { reveal(): string } | string | undefined;

/** The plain values of a list of secrets, for `redactSecrets`. */
export function secretValues(secrets: Iterable<SecretLike>): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    if (s === undefined) continue;
    out.push(typeof s === 'string' ? s : s.reveal());
  }
  return out;
}

/** Deep copy of `value` with every string passed through `redactSecrets`; Errors become plain objects. */
export function redactDeep(value: unknown, secrets: readonly (string | undefined)[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets, depth + 1));
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactSecrets(value.message, secrets) };
    if (value.stack !== undefined) out.stack = redactSecrets(value.stack, secrets);
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets, depth + 1);
    return out;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets, depth + 1);
  return out;
}
