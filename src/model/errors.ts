/**
 * Typed error catalog. Every error tripline throws on purpose is a TriplineError
 * with a stable `code`; `retriable` tells callers (sinks, sources, the CLI) whether
 * trying the same operation again can succeed. Extend ERROR_CODES; never reuse a code.
 */
export const ERROR_CODES = {
  /** Pattern files are invalid (syntax, schema, cross-field or cross-file checks). */
  CONFIG_INVALID: { retriable: false },
  /** A pattern directory or file could not be read. */
  CONFIG_UNREADABLE: { retriable: false },
  PATTERNS_INVALID: { retriable: false },
  // sinks: decided by status code (429/5xx/network retry, other 4xx dead-letter per item)
  SINK_RETRIABLE: { retriable: true },
  SINK_REJECTED: { retriable: false },
  SINK_NETWORK: { retriable: true },
  SINK_CLOSED: { retriable: false },
  /**
   * The sink refused our credentials (401/403, SASL, topic authorization). Nothing is dropped:
   * the sink stalls and reports unhealthy until an operator fixes it, so it is retriable (slowly).
   */
  SINK_AUTH: { retriable: true },
  /**
   * A whole request was refused with a non-retriable 4xx (not 401/403/429/413). Per-item
   * rejections are dead-lettered, but a whole-request refusal must not drop data: stall instead.
   */
  SINK_STALLED: { retriable: true },
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

/** One configuration problem: `<file>: <key.path>: <message>` (path may be empty). */
export interface ConfigIssue {
  readonly file: string;
  /** Dotted key path with list indices, e.g. `[1].detect.value`; '' for whole-file problems. */
  readonly path: string;
  readonly message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.path === '' ? `${issue.file}: ${issue.message}` : `${issue.file}: ${issue.path}: ${issue.message}`;
}

/** All problems found while loading patterns, collected across files. */
export class ConfigError extends TriplineError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map(formatConfigIssue);
    super('CONFIG_INVALID', `invalid pattern configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** One `file: key: message` line per issue, in load order. */
  get lines(): string[] {
    return this.issues.map(formatConfigIssue);
  }
}

export function isTriplineError(e: unknown): e is TriplineError {
  return e instanceof TriplineError;
}

/** Retry policy by HTTP status, shared by every HTTP sink: 429 and 5xx retry, other 4xx do not. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
