/**
 * Retry policy shared by the sinks: p-retry with jittered exponential backoff.
 * Only TriplineErrors with `retriable: true` are retried; anything else aborts at once.
 */
import pRetry, { AbortError } from 'p-retry';
import { TriplineError, isTriplineError } from '../model/errors.js';

export interface RetryPolicy {
  /** Total attempts, including the first (>= 1). */
  readonly maxAttempts: number;
  /** Give up after this long in total, ms (0 = no limit besides maxAttempts). */
  readonly maxTimeMs: number;
  /** First backoff, ms. */
  readonly minDelayMs: number;
  /** Backoff cap, ms. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  maxTimeMs: 120_000,
  minDelayMs: 200,
  maxDelayMs: 30_000,
};

export interface RetryHooks {
  /** Called after each failed attempt that will be retried. */
  readonly onRetry?: (err: TriplineError, attempt: number) => void;
  readonly signal?: AbortSignal;
  /** Narrows which retriable errors are retried here (default: all retriable ones). */
  readonly shouldRetry?: (err: TriplineError) => boolean;
}

/**
 * Runs `fn` until it succeeds, throws a non-retriable error, or the policy is exhausted.
 * Rejects with the last TriplineError (non-TriplineErrors are wrapped as INTERNAL).
 */
export async function withRetry<R>(policy: RetryPolicy, fn: (attempt: number) => Promise<R>, hooks: RetryHooks = {}): Promise<R> {
  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await fn(attempt);
        } catch (e) {
          if (isTriplineError(e) && e.retriable && (hooks.shouldRetry?.(e) ?? true)) throw e;
          throw new AbortError(toTriplineError(e));
        }
      },
      {
        retries: Math.max(0, policy.maxAttempts - 1),
        ...(policy.maxTimeMs > 0 ? { maxRetryTime: policy.maxTimeMs } : {}),
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        factor: 2,
        randomize: true,
        unref: true,
        ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && isTriplineError(error)) hooks.onRetry?.(error, attemptNumber);
        },
      },
    );
  } catch (e) {
    // p-retry rethrows AbortError's original error.
    throw toTriplineError(e);
  }
}

function toTriplineError(e: unknown): TriplineError {
  if (isTriplineError(e)) return e;
  if (e instanceof AbortError && isTriplineError(e.originalError)) return e.originalError;
  return new TriplineError('INTERNAL', 'unexpected error in sink', { cause: e });
}
