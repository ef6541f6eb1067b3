import { describe, expect, it } from 'vitest';
import { TriplineError } from '../../../src/model/errors.js';
import { withRetry } from '../../../src/sink/retry.js';

const policy = { maxAttempts: 4, maxTimeMs: 5000, minDelayMs: 1, maxDelayMs: 2 };

describe('withRetry', () => {
  it('retries retriable TriplineErrors until success', async () => {
    let n = 0;
    const retried: number[] = [];
    const r = await withRetry(
      policy,
      async () => {
        if (++n < 3) throw new TriplineError('SINK_RETRIABLE', 'again');
        return 'ok';
      },
      { onRetry: (_e, a) => retried.push(a) },
    );
    expect(r).toBe('ok');
    expect(n).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('stops at maxAttempts with the last error', async () => {
    let n = 0;
    await expect(
      withRetry(policy, async () => {
        n++;
        throw new TriplineError('SINK_NETWORK', `fail ${n}`);
      }),
    ).rejects.toMatchObject({ code: 'SINK_NETWORK', message: 'fail 4' });
    expect(n).toBe(4);
  });

  it('does not retry non-retriable errors, nor those shouldRetry refuses', async () => {
    let n = 0;
    await expect(
      withRetry(policy, async () => {
        n++;
        throw new TriplineError('SINK_REJECTED', 'no');
      }),
    ).rejects.toMatchObject({ code: 'SINK_REJECTED' });
    await expect(
      withRetry(
        policy,
        async () => {
          n++;
          throw new TriplineError('SINK_AUTH', 'creds');
        },
        { shouldRetry: (e) => e.code !== 'SINK_AUTH' },
      ),
    ).rejects.toMatchObject({ code: 'SINK_AUTH' });
    expect(n).toBe(2);
  });

  it('wraps foreign errors as INTERNAL without retrying', async () => {
    let n = 0;
    await expect(
      withRetry(policy, async () => {
        n++;
        throw new TypeError('bug');
      }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(n).toBe(1);
  });
});
