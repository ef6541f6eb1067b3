/**
 * JSON logs with ECS-compatible fields: `@timestamp`, `log.level`, `message`, `service.name`,
 * errors as `error.type` / `error.message` / `error.stack_trace`.
 * Secrets are removed twice: by key (pino `redact`, REDACT_PATHS) and by value (every string of
 * every log line is searched for the known secret values of the running config).
 */
import { pino } from 'pino';
import type { DestinationStream, Level, LevelWithSilent, Logger } from 'pino';
import { REDACTED, REDACT_PATHS, redactDeep, redactSecrets, secretValues } from './redact.js';
import type { SecretLike } from './redact.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Default `info`. */
  level?: LevelWithSilent;
  /** `service.name`; default `tripline`. */
  service?: string;
  /** Secret values to scrub from every log line (config Secrets or strings). */
  secrets?: Iterable<SecretLike>;
  /** Where lines go; default stdout. Tests pass a collecting stream. */
  destination?: DestinationStream;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
}

function ecsError(err: unknown, secrets: readonly string[]): Record<string, unknown> {
  if (!(err instanceof Error)) return { 'error.message': redactSecrets(String(err), secrets) };
  const out: Record<string, unknown> = {
    'error.type': err.name,
    'error.message': redactSecrets(err.message, secrets),
  };
  if (err.stack !== undefined) out['error.stack_trace'] = redactSecrets(err.stack, secrets);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out['error.code'] = String(code);
  return out;
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const secrets = secretValues(opts.secrets ?? []);
  const scrub = secrets.length > 0;
  return pino(
    {
      level: opts.level ?? 'info',
      messageKey: 'message',
      errorKey: 'err',
      base: { 'service.name': opts.service ?? 'tripline', ...opts.base },
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: {
        level: (label) => ({ 'log.level': label }),
        log: (obj) => {
          let out: Record<string, unknown> = obj;
          const err = obj.err ?? (obj.error instanceof Error ? obj.error : undefined);
          if (err !== undefined) {
            out = { ...obj, ...ecsError(err, secrets) };
            delete out.err;
            if (out.error instanceof Error) delete out.error;
          }
          return scrub ? (redactDeep(out, secrets) as Record<string, unknown>) : out;
        },
      },
      hooks: scrub
        ? {
            logMethod(args, method) {
              const clean = args.map((a) => (typeof a === 'string' ? redactSecrets(a, secrets) : a));
              return method.apply(this, clean as Parameters<typeof method>);
            },
          }
        : {},
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export const LOG_LEVEL_ORDER: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
