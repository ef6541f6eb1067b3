/**
 * repeat_interval across gaps (src/alert/lifecycle.ts, "Repeats across a gap"): at most one
 * repeat per evaluation batch, the latest; boundary-by-boundary evaluation is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/engine/engine.js';
import { ROLE_MATCH } from '../../../src/model/match.js';
import type { MatchResult } from '../../../src/model/match.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { DAY0, brief, ev, makePattern } from './helpers.js';

const YEAR = 365.25 * 86_400_000;
const H = 3_600_000;
const m: MatchResult[] = [{ pattern: 0, roles: ROLE_MATCH, groupKey: '[]', group: {} }];

describe('repeat_interval across a gap', () => {
  it('absence over a 50-year gap: one re-notification, not ~110k', () => {
    const p = makePattern({ repeat_interval: 4 * H, resolve_after: 0, detect: { type: 'absence', after: 60_000 } });
    for (const skipMin of [256, 0]) {
      const e = createEngine([p], { skipMinBoundaries: skipMin });
      const out: AlertTransition[] = [];
      e.observe(ev(DAY0), m);
      out.push(...e.advance());
      const t0 = performance.now();
      e.observe(ev(DAY0 + 50 * YEAR), m);
      out.push(...e.advance());
      out.push(...e.flush());
      expect(performance.now() - t0).toBeLessThan(500);
      const states = out.map((t) => `${t.alert.previous}->${t.alert.state} r=${t.alert.repeat}`);
      // (The event itself is at maxTime: absence evaluates boundaries <= maxTime, so no resolve.)
      expect(states).toEqual(['inactive->firing r=0', 'firing->firing r=1']);
      // The one repeat is the latest of the gap: within the last interval before the event.
      const repeatAt = Date.parse(out[1]!['@timestamp']);
      expect(repeatAt).toBeGreaterThan(DAY0 + 50 * YEAR - 4 * H);
      expect(repeatAt).toBeLessThanOrEqual(DAY0 + 50 * YEAR);
    }
  });

  it('evaluated batch by batch (live ticks), every interval re-notifies as before', () => {
    const p = makePattern({ repeat_interval: 10_000, resolve_after: 0, detect: { type: 'absence', after: 5_000 } });
    const e = createEngine([p], { idleTimeoutMs: 1 });
    const out: AlertTransition[] = [];
    e.observe(ev(DAY0), m, 0);
    for (let w = 1_000; w <= 60_000; w += 1_000) out.push(...e.tick(w));
    expect(brief(out)).toEqual([
      '00:00:05 p {} inactive->firing seq=1 r=0',
      '00:00:15 p {} firing->firing seq=1 r=1',
      '00:00:25 p {} firing->firing seq=1 r=2',
      '00:00:35 p {} firing->firing seq=1 r=3',
      '00:00:45 p {} firing->firing seq=1 r=4',
      '00:00:55 p {} firing->firing seq=1 r=5',
    ]);
  });

  it('one batch spanning several intervals: one repeat, in its last interval; stepping and skipping agree', () => {
    const p = makePattern({ repeat_interval: 10_000, resolve_after: 0, detect: { type: 'threshold', window: 1_000, resolution: 1_000, op: '>=', value: 1 } });
    const runIt = (skipMin: number) => {
      const e = createEngine([p], { skipMinBoundaries: skipMin });
      const out: AlertTransition[] = [];
      for (let t = 0; t < 100_000; t += 500) e.observe(ev(DAY0 + t), m);
      out.push(...e.advance());
      e.observe(ev(DAY0 + 100_000), m);
      out.push(...e.flush());
      return brief(out);
    };
    const stepped = runIt(Infinity);
    expect(runIt(0)).toEqual(stepped);
    expect(stepped).toEqual([
      '00:00:01 p {} inactive->firing seq=1 r=0',
      // first batch: watermark 00:01:39.5, so its one repeat is the first due boundary after 00:01:29.5
      '00:01:30 p {} firing->firing seq=1 r=1',
      // flush batch (until 00:01:41): due again at 00:01:40
      '00:01:40 p {} firing->firing seq=1 r=2',
    ]);
  });
});
