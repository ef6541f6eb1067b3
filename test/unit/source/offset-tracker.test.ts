import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../../src/source/offset-tracker.js';

const T = 'logs';

describe('OffsetTracker', () => {
  it('nothing tracked: nothing to commit', () => {
    const t = new OffsetTracker();
    expect(t.committable(T, 0)).toBeUndefined();
    expect(t.pendingCommits()).toEqual([]);
  });

  it('commits the lowest unacknowledged offset', () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12, 13]) t.track(T, 0, String(o));
    expect(t.committable(T, 0)).toBe('10');
    t.ack(T, 0, '11');
    t.ack(T, 0, '13');
    expect(t.committable(T, 0)).toBe('10');
    t.ack(T, 0, '10');
    expect(t.committable(T, 0)).toBe('12');
    t.ack(T, 0, '12');
    expect(t.committable(T, 0)).toBe('14');
    expect(t.pendingCount()).toBe(0);
  });

  it('waits for every derived output of a record', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '0');
    t.track(T, 0, '1');
    t.hold(T, 0, '0', 2); // an alert and a DLQ write
    t.ack(T, 0, '0'); // processing done
    t.ack(T, 0, '1');
    expect(t.committable(T, 0)).toBe('0');
    t.ack(T, 0, '0');
    expect(t.committable(T, 0)).toBe('0');
    t.ack(T, 0, '0');
    expect(t.committable(T, 0)).toBe('2');
  });

  it('track with an initial pending count, and with 0 (nothing to wait for)', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '5', 3);
    t.track(T, 0, '6', 0);
    expect(t.committable(T, 0)).toBe('5');
    t.ack(T, 0, '5', 3);
    expect(t.committable(T, 0)).toBe('7');
  });

  it('handles gaps (compaction, control records) and skipThrough', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '3');
    t.track(T, 0, '8');
    t.ack(T, 0, '3');
    expect(t.committable(T, 0)).toBe('8');
    t.ack(T, 0, '8');
    t.skipThrough(T, 0, '11');
    expect(t.committable(T, 0)).toBe('12');
    expect(t.position(T, 0)).toBe('12');
  });

  it('partitions are independent', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '0');
    t.track(T, 1, '100');
    t.track('other', 0, '7');
    t.ack(T, 1, '100');
    // Partitions that did not move past their start point have nothing to commit.
    expect(t.pendingCommits()).toEqual([{ topic: T, partition: 1, offset: '101' }]);
    t.ack(T, 0, '0');
    expect(t.pendingCommits()).toEqual([
      { topic: T, partition: 0, offset: '1' },
      { topic: T, partition: 1, offset: '101' },
    ]);
  });

  it('pendingCommits only lists partitions that moved past the last commit', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '0');
    t.ack(T, 0, '0');
    expect(t.pendingCommits()).toEqual([{ topic: T, partition: 0, offset: '1' }]);
    t.markCommitted(T, 0, '1');
    expect(t.pendingCommits()).toEqual([]);
    expect(t.lastCommitted(T, 0)).toBe('1');
    t.track(T, 0, '1');
    expect(t.pendingCommits()).toEqual([]);
  });

  it('rejects offsets out of order, over-acks and holds on finished records', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '5');
    expect(() => t.track(T, 0, '5')).toThrow(/reset the partition/);
    expect(() => t.track(T, 0, '4')).toThrow();
    t.ack(T, 0, '5');
    expect(() => t.ack(T, 0, '5')).toThrow(/not pending/);
    expect(() => t.hold(T, 0, '5')).toThrow(/not pending/);
    expect(() => t.ack(T, 0, '99')).toThrow();
  });

  it('after reset, acks for the partition are ignored and tracking restarts', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '10');
    t.reset(T, 0);
    expect(t.ack(T, 0, '10')).toBe(false);
    expect(t.committable(T, 0)).toBeUndefined();
    t.track(T, 0, '3');
    expect(t.committable(T, 0)).toBe('3');
  });

  it('handles offsets beyond 2^53', () => {
    const t = new OffsetTracker();
    t.track(T, 0, '9007199254740993');
    t.ack(T, 0, '9007199254740993');
    expect(t.committable(T, 0)).toBe('9007199254740994');
  });

  it('compacts its queue on long runs', () => {
    const t = new OffsetTracker();
    for (let i = 0; i < 10_000; i++) {
      t.track(T, 0, String(i));
      t.ack(T, 0, String(i));
      if (i % 100 === 0) t.committable(T, 0);
    }
    expect(t.committable(T, 0)).toBe('10000');
  });
});

describe('OffsetTracker properties', () => {
  // A record: partition, offset step (gap), number of derived outputs.
  const recordArb = fc.record({
    partition: fc.integer({ min: 0, max: 2 }),
    gap: fc.integer({ min: 1, max: 3 }),
    outputs: fc.integer({ min: 0, max: 3 }),
  });

  it('committed offset never passes an unacked record and reaches the end', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 60 }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fc.nat()),
        (records, picks, commitEvery) => {
          const t = new OffsetTracker();
          const next = [0n, 0n, 0n];
          // Each unit of work is one ack owed: (partition, offset).
          const owed: Array<{ p: number; o: bigint }> = [];
          const all: Array<{ p: number; o: bigint }> = [];
          const acked = new Map<string, number>();
          const need = new Map<string, number>();
          for (const r of records) {
            const o = next[r.partition]! + BigInt(r.gap - 1);
            next[r.partition] = o + 1n;
            t.track('t', r.partition, o);
            if (r.outputs > 0) t.hold('t', r.partition, o, r.outputs);
            for (let i = 0; i <= r.outputs; i++) owed.push({ p: r.partition, o });
            all.push({ p: r.partition, o });
            need.set(`${r.partition}:${o}`, r.outputs + 1);
          }
          const lastCommitted = [-1n, -1n, -1n];
          const check = (): void => {
            for (let p = 0; p < 3; p++) {
              const c = t.committable('t', p);
              if (c === undefined) continue;
              const cb = BigInt(c);
              // never ahead of the smallest unacked offset of the partition
              const unacked = all
                .filter((x) => x.p === p && (acked.get(`${p}:${x.o}`) ?? 0) < need.get(`${p}:${x.o}`)!)
                .map((x) => x.o);
              const min = unacked.length === 0 ? undefined : unacked.reduce((a, b) => (a < b ? a : b));
              if (min !== undefined && cb > min) throw new Error(`p${p}: committable ${cb} > unacked ${min}`);
              // monotonic
              if (cb < lastCommitted[p]!) throw new Error(`p${p}: committable went back`);
              lastCommitted[p] = cb;
            }
          };
          const pickIt = picks[Symbol.iterator]();
          const commitIt = commitEvery[Symbol.iterator]();
          while (owed.length > 0) {
            const i = (pickIt.next().value as number) % owed.length;
            const [w] = owed.splice(i, 1);
            t.ack('t', w!.p, w!.o);
            acked.set(`${w!.p}:${w!.o}`, (acked.get(`${w!.p}:${w!.o}`) ?? 0) + 1);
            if ((commitIt.next().value as number) % 3 === 0) check();
          }
          check();
          for (let p = 0; p < 3; p++) {
            if (next[p] === 0n) continue;
            expect(t.committable('t', p)).toBe(next[p]!.toString());
          }
          expect(t.pendingCount()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
