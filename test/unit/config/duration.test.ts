import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['0s', 0],
    [' 10s ', 10_000],
    [0, 0],
    [1500, 1500],
    ['1500', 1500],
  ])('%j -> %i', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each([['5x'], [''], ['-5s'], ['1.5h'], ['30m1h'], ['1h1h'], ['5 m'], [-1], [1.5], [null], [true], [[1]], ['400d'], [Infinity]])('%j is an error', (input) => {
    expect(typeof parseDuration(input)).toBe('string');
  });

  it('formatDuration inverts parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('formats humanely', () => {
    expect([0, 500, 10_000, 90_000, 5_400_000, 86_400_000 + 7_200_000].map(formatDuration)).toEqual(['0s', '500ms', '10s', '1m30s', '1h30m', '1d2h']);
  });
});
