/**
 * The sorted event buffer (src/detect/event-buffer.ts) against a reference: every take returns
 * exactly the pushed events with time < T not taken before, sorted by (time, arrival), whatever
 * the arrival order; restore accepts snapshots in arrival order (older versions).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferDueEnd, bufferItems, bufferNextDue, bufferPush, bufferRelease, bufferSize, newEventBuffer, restoreEventBuffer } from '../../../src/detect/event-buffer.js';
import type { Buffered, EventBuffer } from '../../../src/detect/event-buffer.js';

/** What the buffered detectors do at a boundary T: walk items[head .. due end), then release them. */
function takeDue(b: EventBuffer, T: number): Buffered[] {
  const end = bufferDueEnd(b, T);
  const out = b.items.slice(b.head, end);
  bufferRelease(b, end);
  return out;
}

type Op = { push: number; f: number } | { take: number } | { restore: true };

describe('event buffer', () => {
  it('takes the due events sorted by time then arrival (random interleavings)', () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ push: fc.integer({ min: 0, max: 50 }), f: fc.integer({ min: 0, max: 7 }) }) },
      { weight: 1, arbitrary: fc.record({ take: fc.integer({ min: 0, max: 55 }) }) },
      { weight: 1, arbitrary: fc.constant({ restore: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        let b = newEventBuffer();
        let ref: { t: number; seq: number; f: number }[] = [];
        let seq = 0;
        for (const op of ops) {
          if ('push' in op) {
            bufferPush(b, op.push, op.f);
            ref.push({ t: op.push, seq: seq++, f: op.f });
          } else if ('take' in op) {
            const due = ref.filter((x) => x.t < op.take).sort((a, c) => a.t - c.t || a.seq - c.seq);
            ref = ref.filter((x) => x.t >= op.take);
            expect(takeDue(b, op.take).map((x) => [x.t, x.seq, x.f])).toEqual(due.map((x) => [x.t, x.seq, x.f]));
          } else {
            // A snapshot as older versions wrote it: items in arrival order.
            const items = bufferItems(b).sort((a, c) => a.seq - c.seq);
            b = restoreEventBuffer(JSON.parse(JSON.stringify({ items, seq: b.seq })) as { items: typeof items; seq: number });
          }
          const min = ref.length === 0 ? Infinity : Math.min(...ref.map((x) => x.t));
          expect(b.minT).toBe(min);
          expect(bufferNextDue(b, 10)).toBe(min === Infinity ? Infinity : (Math.floor(min / 10) + 1) * 10);
          expect(bufferSize(b)).toBe(ref.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
