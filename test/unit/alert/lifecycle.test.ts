import { describe, expect, it } from 'vitest';
import { newLifecycleState, restoreLifecycle, snapshotLifecycle, stepLifecycle } from '../../../src/alert/lifecycle.js';
import type { LifecycleConfig, LifecycleState } from '../../../src/alert/lifecycle.js';
import type { Severity } from '../../../src/model/pattern.js';

const base: LifecycleConfig = { for: 0, resolve_after: 0, repeat_interval: 0, flap_window: 0, flap_max_changes: 0 };

/** Steps at T = 1, 2, 3 ... (seconds as ms * 1000) over a condition string like "11100". */
function drive(conds: string, cfg: Partial<LifecycleConfig> = {}, s: LifecycleState = newLifecycleState(), t0 = 1, sev: Severity = 'warning'): string[] {
  const c = { ...base, ...cfg };
  const out: string[] = [];
  [...conds].forEach((ch, i) => {
    const T = (t0 + i) * 1000;
    const e = stepLifecycle(s, c, T, ch === '1', sev);
    if (e) out.push(`${T / 1000}:${e.previous}->${e.state}#${e.seq}r${e.repeat}${e.flapping ? 'F' : ''}`);
  });
  return out;
}

describe('alert lifecycle', () => {
  it('for = 0 fires at once, resolves at the first false boundary', () => {
    expect(drive('0110')).toEqual(['2:inactive->firing#1r0', '4:firing->resolved#1r0']);
  });

  it('for: pending, then firing once the condition held `for`', () => {
    expect(drive('01111', { for: 2000 })).toEqual(['2:inactive->pending#1r0', '4:pending->firing#1r0']);
  });

  it('a pending that ends before firing emits resolved with previous pending', () => {
    expect(drive('0110', { for: 5000 })).toEqual(['2:inactive->pending#1r0', '4:pending->resolved#1r0']);
  });

  it('resolve_after: false continuously for resolve_after; a true boundary restarts it', () => {
    expect(drive('1001000', { resolve_after: 2000 })).toEqual(['1:inactive->firing#1r0', '7:firing->resolved#1r0']);
  });

  it('re-fire after resolve opens a new incident with seq + 1', () => {
    expect(drive('10101')).toEqual([
      '1:inactive->firing#1r0',
      '2:firing->resolved#1r0',
      '3:inactive->firing#2r0',
      '4:firing->resolved#2r0',
      '5:inactive->firing#3r0',
    ]);
  });

  it('repeat_interval re-notifies while firing (0 = never)', () => {
    expect(drive('1111110', { repeat_interval: 2000 })).toEqual([
      '1:inactive->firing#1r0',
      '3:firing->firing#1r1',
      '5:firing->firing#1r2',
      '7:firing->resolved#1r2',
    ]);
    expect(drive('111111')).toEqual(['1:inactive->firing#1r0']);
  });

  it('repeats continue while the condition is false but not yet resolved', () => {
    expect(drive('10000', { repeat_interval: 2000, resolve_after: 4000 })).toEqual([
      '1:inactive->firing#1r0',
      '3:firing->firing#1r1',
      '5:firing->firing#1r2',
    ]);
  });

  it('a severity change while firing re-notifies', () => {
    const s = newLifecycleState();
    const c = base;
    expect(stepLifecycle(s, c, 1000, true, 'warning')).toMatchObject({ state: 'firing', severity: 'warning' });
    expect(stepLifecycle(s, c, 2000, true, 'warning')).toBeNull();
    expect(stepLifecycle(s, c, 3000, true, 'critical')).toMatchObject({ state: 'firing', severity: 'critical', repeat: 1 });
  });

  it('flapping: holds back resolves until stable false for flap_window', () => {
    const cfg = { flap_window: 10_000, flap_max_changes: 3 };
    // changes: fire@1, resolve@2, fire@3, resolve@4 -> 4th change > 3: flapping, held.
    expect(drive('1010101000000000000', cfg)).toEqual([
      '1:inactive->firing#1r0',
      '2:firing->resolved#1r0',
      '3:inactive->firing#2r0',
      '4:firing->firing#2r1F',
      // toggling at 5..7 emits nothing; false from 8: resolves at 8 + 10s = 18
      '18:firing->resolved#2r1',
    ]);
  });

  it('flapping detected at a firing start marks that record; stable true clears it', () => {
    const cfg = { flap_window: 5_000, flap_max_changes: 2 };
    expect(drive('101' + '1'.repeat(7), cfg)).toEqual([
      '1:inactive->firing#1r0',
      '2:firing->resolved#1r0',
      '3:inactive->firing#2r0F',
      // true since 3: stable for 5s at 8 -> flapping cleared with a re-notification
      '8:firing->firing#2r1',
    ]);
  });

  it('flapping respects resolve_after when longer than flap_window', () => {
    const cfg = { flap_window: 2_000, flap_max_changes: 1, resolve_after: 0 };
    // fire@1 (1 change), resolve would be change 2 at T=2 -> flapping hold.
    expect(drive('10000', cfg)).toEqual(['1:inactive->firing#1r0', '2:firing->firing#1r1F', '4:firing->resolved#1r1']);
    expect(drive('100000', { ...cfg, resolve_after: 4_000 })).toEqual([
      '1:inactive->firing#1r0',
      '6:firing->resolved#1r0',
    ]);
  });

  it('snapshot/restore continues the incident (no second incident)', () => {
    const s = newLifecycleState();
    expect(drive('0111', { for: 1000, repeat_interval: 3000 }, s)).toEqual(['2:inactive->pending#1r0', '3:pending->firing#1r0']);
    const r = restoreLifecycle(JSON.parse(JSON.stringify(snapshotLifecycle(s))));
    expect(drive('1110', { for: 1000, repeat_interval: 3000 }, r, 5)).toEqual(['6:firing->firing#1r1', '8:firing->resolved#1r1']);
    expect(drive('1', {}, r, 9)).toEqual(['9:inactive->firing#2r0']);
  });
});
