/**
 * The one typed error catalog. Every error tripline raises on purpose is a TriplineError
 * with a stable `code`, whether it is `retriable`, and an optional `cause`.
 * Messages are one sentence and must never contain a secret (routing keys, API keys, passwords).
 */
export const ERROR_CODES = {
  // configuration
  CONFIG_INVALID: { retriable: false },
  PATTERNS_INVALID: { retriable: false },
  // sinks: decided by status code (429/5xx/network retry, other 4xx dead-letter)
  SINK_RETRIABLE: { retriable: true },
  SINK_REJECTED: { retriable: false },
  SINK_NETWORK: { retriable: true },
  SINK_CLOSED: { retriable: false },
  // kafka
  KAFKA_AUTH: { retriable: false },
  KAFKA_UNAVAILABLE: { retriable: true },
  DLQ_WRITE_FAILED: { retriable: true },
  // state
  STATE_RESTORE_FAILED: { retriable: false },
  INTERNAL: { retriable: false },
} as const satisfies Record<string, { retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TriplineError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TriplineError';
    this.code = code;
    this.retriable = options?.retriable ?? ERROR_CODES[code].retriable;
  }
}

export function isTriplineError(e: unknown): e is TriplineError {
  return e instanceof TriplineError;
}

/** Retry policy by HTTP status, shared by every HTTP sink: 429 and 5xx retry, other 4xx do not. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
