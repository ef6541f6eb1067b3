import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/create-detector.js';
import { emptyEvaluation } from '../../../src/detect/detector.js';
import type { Detector, Evaluation } from '../../../src/detect/detector.js';
import { ROLE_MATCH, ROLE_SUB } from '../../../src/model/match.js';
import type { Detect } from '../../../src/model/pattern.js';
import { ev, makePattern } from '../engine/helpers.js';

function setup(detect: Detect, grace = 0, createdAt = 0, implicit = false) {
  const det: Detector = createDetector(makePattern({ detect, grace }));
  const state = det.createState({ createdAt, nextT: det.resolution, implicit, streamStart: createdAt, key: '[]' });
  const out: Evaluation = emptyEvaluation();
  const evalAt = (T: number) => {
    det.evaluate(state, T, 'inactive', out);
    return { ...out };
  };
  const add = (time: number, roles = ROLE_MATCH) => det.observe(state, ev(time), roles);
  return { det, state, evalAt, add };
}

describe('threshold', () => {
  it('counts events in [T - window, T)', () => {
    const d = setup({ type: 'threshold', window: 10_000, resolution: 1_000, op: '>=', value: 3 });
    for (const t of [500, 1_500, 9_999, 10_000]) d.add(t);
    expect(d.evalAt(10_000)).toMatchObject({ active: true, value: 3, count: 3, threshold: 3, op: '>=', windowStart: 0, windowEnd: 10_000 });
    expect(d.evalAt(11_000)).toMatchObject({ active: true, value: 3 }); // [1000, 11000): 1500, 9999, 10000
    expect(d.evalAt(12_000)).toMatchObject({ active: false, value: 2 });
    expect(d.det.isIdle(d.state)).toBe(false);
    expect(d.evalAt(21_000)).toMatchObject({ active: false, value: 0 });
    expect(d.det.isIdle(d.state)).toBe(true);
  });

  it('"<" waits one full window after creation and is never idle', () => {
    const d = setup({ type: 'threshold', window: 5_000, resolution: 1_000, op: '<', value: 2 }, 0, 1_000);
    d.add(1_000);
    expect(d.evalAt(2_000)).toMatchObject({ active: false, value: 1 }); // not warm yet
    expect(d.evalAt(6_000)).toMatchObject({ active: true, value: 1 }); // 6000 - 5000 >= 1000
    expect(d.evalAt(7_000)).toMatchObject({ active: true, value: 0 });
    expect(d.det.isIdle(d.state)).toBe(false);
  });

  it('keeps far-future events (beyond the ring) until their window', () => {
    const d = setup({ type: 'threshold', window: 2_000, resolution: 1_000, op: '>=', value: 1 });
    d.add(1_000_000);
    expect(d.evalAt(2_000)).toMatchObject({ value: 0 });
    expect(d.det.isIdle(d.state)).toBe(false);
    expect(d.evalAt(1_001_000)).toMatchObject({ value: 1, active: true });
  });

  it('snapshot/restore round-trips through JSON', () => {
    const d = setup({ type: 'threshold', window: 4_000, resolution: 1_000, op: '>=', value: 2 });
    for (const t of [1_200, 2_500, 3_100, 3_900, 50_000]) d.add(t);
    d.evalAt(3_000);
    const copy = d.det.restore(JSON.parse(JSON.stringify(d.det.snapshot(d.state))));
    const out = emptyEvaluation();
    for (const T of [4_000, 5_000, 51_000]) {
      d.det.evaluate(copy, T, 'inactive', out);
      expect(out.value).toBe(d.evalAt(T).value);
    }
  });
});

describe('ratio', () => {
  const spec: Detect = {
    type: 'ratio',
    window: 10_000,
    resolution: 1_000,
    op: '>',
    value: 0.25,
    min_total: 4,
    numerator: { where: { status: { gte: 500 } } },
  };

  it('sub / total, only when total >= min_total', () => {
    const d = setup(spec);
    d.add(100, ROLE_MATCH | ROLE_SUB);
    d.add(200, ROLE_MATCH);
    d.add(300, ROLE_MATCH);
    expect(d.evalAt(1_000)).toMatchObject({ active: false, value: 1 / 3, count: 3, threshold: 0.25 });
    d.add(1_100, ROLE_MATCH | ROLE_SUB);
    expect(d.evalAt(2_000)).toMatchObject({ active: true, value: 0.5, count: 4 });
  });

  it('an empty window is 0 and never active, even with min_total 0 and op <', () => {
    const d = setup({ ...spec, op: '<', value: 0.5, min_total: 0 } as Detect);
    expect(d.evalAt(5_000)).toMatchObject({ active: false, value: 0, count: 0 });
    expect(d.det.isIdle(d.state)).toBe(true);
  });
});

describe('any', () => {
  it('is active iff an event is in the last step', () => {
    const d = setup({ type: 'any' });
    expect(d.det.resolution).toBe(1_000);
    d.add(1_500);
    d.add(1_999);
    expect(d.evalAt(1_000)).toMatchObject({ active: false, value: 0 });
    expect(d.evalAt(2_000)).toMatchObject({ active: true, value: 2, windowStart: 1_000, windowEnd: 2_000 });
    expect(d.evalAt(3_000)).toMatchObject({ active: false, value: 0 });
    expect(d.det.isIdle(d.state)).toBe(true);
  });

  it('honours detect.resolution', () => {
    const d = setup({ type: 'any', resolution: 5_000 });
    d.add(100);
    expect(d.evalAt(5_000)).toMatchObject({ active: true, windowStart: 0 });
  });
});

describe('absence', () => {
  it('T - lastSeen >= after, value in seconds; never idle', () => {
    const d = setup({ type: 'absence', after: 10_000 });
    d.add(2_500);
    expect(d.evalAt(2_000)).toMatchObject({ active: false, value: 0 }); // not seen before T
    expect(d.evalAt(3_000)).toMatchObject({ active: false, value: 0.5 });
    expect(d.evalAt(12_000)).toMatchObject({ active: false, value: 9.5 });
    expect(d.evalAt(13_000)).toMatchObject({ active: true, value: 10.5, threshold: 10, windowStart: 2_500 });
    d.add(13_200);
    expect(d.evalAt(14_000)).toMatchObject({ active: false, value: 0.8 });
    expect(d.det.isIdle(d.state)).toBe(false);
  });

  it('an implicit (ungrouped) group counts from the stream start', () => {
    const d = setup({ type: 'absence', after: 5_000 }, 0, 1_000, true);
    expect(d.evalAt(5_000)).toMatchObject({ active: false, value: 4 });
    expect(d.evalAt(6_000)).toMatchObject({ active: true, value: 5 });
  });

  it('uses the latest event before T even when later events already arrived', () => {
    const d = setup({ type: 'absence', after: 3_000 }, 10_000);
    d.add(1_000);
    d.add(9_000); // out of order, ahead of evaluation
    expect(d.evalAt(4_000)).toMatchObject({ active: true, value: 3 });
    expect(d.evalAt(10_000)).toMatchObject({ active: false, value: 1 });
  });
});
