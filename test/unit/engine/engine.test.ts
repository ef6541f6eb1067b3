import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/engine/engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { LogEvent } from '../../../src/model/event.js';
import type { Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { MetricEmitter } from '../../../src/sink/metric-emitter.js';
import { DAY0, at, brief, ev, makePattern, testMatcher } from './helpers.js';

function feed(engine: Engine, patterns: readonly Pattern[], events: readonly LogEvent[]): AlertTransition[] {
  const match = testMatcher(patterns);
  const out: AlertTransition[] = [];
  for (const e of events) {
    engine.observe(e, match(e));
    out.push(...engine.advance());
  }
  return out;
}

const heartbeat = makePattern({
  id: 'hb',
  match: { event: 'job_heartbeat' },
  detect: { type: 'absence', after: 10 * 60_000 },
  severity: 'critical',
  summary: 'No job loop heartbeat for {{value}}',
});

describe('engine: absence and the idle rule', () => {
  it('fires on a quiet stream through wall-clock ticks', () => {
    const engine = createEngine([heartbeat], { idleTimeoutMs: 30_000 });
    const wall0 = 5_000_000;
    const events = [0, 60, 120].map((s) => ev(at(0, 0, s), {}, 0, 'job_heartbeat'));
    const match = testMatcher([heartbeat]);
    events.forEach((e, i) => {
      engine.observe(e, match(e), wall0 + i * 60_000);
      engine.tick(wall0 + i * 60_000);
    });
    // The stream goes silent. Replay-style advance alone never fires...
    expect(engine.advance()).toEqual([]);
    // ...but wall time does: last beat at 00:02:00 -> fires at 00:12:00 event time.
    const out: AlertTransition[] = [];
    for (let w = wall0 + 120_000; w <= wall0 + 120_000 + 11 * 60_000; w += 1000) out.push(...engine.tick(w));
    expect(brief(out)).toEqual(['00:12:00 hb {} inactive->firing seq=1 r=0']);
    expect(out[0]!.summary).toBe('No job loop heartbeat for 10m');
    expect(out[0]!.value).toBe(600);
    expect(out[0]!.threshold).toBe(600);
    expect(out[0]!.window).toEqual({ start: new Date(at(0, 2, 0)).toISOString(), end: new Date(at(0, 12, 0)).toISOString() });
    expect(engine.stats().clock).toBe(at(0, 13, 0));
    // An event behind the extrapolated clock is late.
    const old = ev(at(0, 12, 30), {}, 0, 'job_heartbeat');
    engine.observe(old, match(old), wall0 + 781_000);
    expect(engine.stats().patterns[0]!.late).toBe(1);
    // The heartbeat comes back: resolves (resolve_after 0) at the next boundary, once time moves on.
    const w1 = wall0 + 782_000;
    const back = ev(at(0, 13, 30), {}, 0, 'job_heartbeat');
    engine.observe(back, match(back), w1);
    const res: AlertTransition[] = [];
    for (let w = w1; w <= w1 + 30_000; w += 1000) res.push(...engine.tick(w));
    expect(brief(res)).toEqual(['00:13:31 hb {} firing->resolved seq=1 r=0']);
  });

  it('an ungrouped heartbeat that never appears alerts `after` the stream start', () => {
    const engine = createEngine([heartbeat]);
    const out = feed(engine, [heartbeat], [ev(at(0, 0, 0), {}, 0, 'other'), ev(at(0, 10, 0), {}, 0, 'other')]);
    expect(brief(out)).toEqual(['00:10:00 hb {} inactive->firing seq=1 r=0']);
  });

  it('does not fire for the silence after the last event in a replay flush', () => {
    const engine = createEngine([heartbeat]);
    const events = [0, 60, 120].map((s) => ev(at(0, 0, s), {}, 0, 'job_heartbeat'));
    const out = feed(engine, [heartbeat], events);
    out.push(...engine.flush());
    expect(out).toEqual([]);
    expect(engine.stats().patterns[0]!.nextBoundary).toBe(at(0, 2, 1));
  });

  it('grouped absence: only groups seen at least once', () => {
    const p = makePattern({ id: 'w', group_by: ['worker'], detect: { type: 'absence', after: 5_000 } });
    const engine = createEngine([p]);
    const out = feed(engine, [p], [
      ev(at(0, 0, 0), { worker: 'a' }),
      ev(at(0, 0, 1), { worker: 'b' }),
      ev(at(0, 0, 5), { worker: 'b' }),
      ev(at(0, 0, 9), { other: 1 }),
    ]);
    expect(brief(out)).toEqual(['00:00:05 w {"worker":"a"} inactive->firing seq=1 r=0']);
    out.push(...feed(engine, [p], [ev(at(0, 0, 20), { other: 2 })]));
    expect(brief(out)).toEqual([
      '00:00:05 w {"worker":"a"} inactive->firing seq=1 r=0',
      '00:00:10 w {"worker":"b"} inactive->firing seq=1 r=0',
      '00:00:14 w {"worker":"__missing__"} inactive->firing seq=1 r=0',
    ]);
  });
});

describe('engine: lateness, overflow, eviction', () => {
  it('counts and drops late events per pattern (grace per pattern)', () => {
    const strict = makePattern({ id: 'strict', detect: { type: 'threshold', window: 10_000, resolution: 1_000, op: '>=', value: 1 } });
    const lax = makePattern({ id: 'lax', grace: 5_000, detect: { type: 'threshold', window: 10_000, resolution: 1_000, op: '>=', value: 1 } });
    const engine = createEngine([strict, lax]);
    feed(engine, [strict, lax], [ev(10_000), ev(20_000), ev(17_000), ev(14_000), ev(20_000)]);
    const s = engine.stats();
    expect(s.clock).toBe(20_000);
    expect(s.patterns.map((x) => [x.id, x.late])).toEqual([
      ['strict', 2],
      ['lax', 1],
    ]);
  });

  it('watermark is the min over partitions', () => {
    const p = makePattern({ id: 'c', detect: { type: 'threshold', window: 1_000, resolution: 1_000, op: '>=', value: 1 } });
    const engine = createEngine([p]);
    feed(engine, [p], [ev(5_000, {}, 0), ev(1_000, {}, 1), ev(9_000, {}, 0), ev(2_000, {}, 1)]);
    expect(engine.stats().clock).toBe(5_000); // partition 1 appeared behind: clock stays, its events are late
    expect(engine.stats().patterns[0]!.late).toBe(2);
  });

  /** `cap`: two events of a `u` within 10 s, at most `max_groups` groups. */
  const capPattern = (max_groups: number): Pattern => makePattern({ id: 'cap', group_by: ['u'], max_groups, detect: { type: 'threshold', window: 10_000, resolution: 1_000, op: '>=', value: 2 } });

  it('folds groups beyond max_groups into __overflow__ and counts them', () => {
    const p = capPattern(2);
    const engine = createEngine([p]);
    const out = feed(engine, [p], [ev(1_000, { u: 'a' }), ev(1_100, { u: 'b' }), ev(1_200, { u: 'c' }), ev(1_300, { u: 'd' }), ev(1_400, { u: 'a' }), ev(3_000, { u: 'z' })]);
    expect(engine.stats().patterns[0]!.overflow).toBe(3);
    expect(engine.stats().patterns[0]!.activeGroups).toBe(3);
    expect(brief(out)).toEqual([
      '00:00:02 cap {"u":"a"} inactive->firing seq=1 r=0',
      '00:00:02 cap {"u":"__overflow__"} inactive->firing seq=1 r=0',
    ]);
  });

  it('metric documents of the overflow group name the same group as its alerts', () => {
    const p = capPattern(1);
    const em = new MetricEmitter({ intervalMs: 1_000 });
    const engine = createEngine([p], { onEvaluate: em.onEvaluate, onEvaluateEveryMs: 1_000 });
    const out = feed(engine, [p], [ev(1_000, { u: 'a' }), ev(1_100, { u: 'b' }), ev(1_200, { u: 'c' }), ev(3_000, { u: 'z' })]);
    const overflowAlert = out.find((t) => t.group.u === '__overflow__');
    expect(overflowAlert?.group).toEqual({ u: '__overflow__' });
    const docs = em.drain().filter((r) => r.group_key === '__overflow__');
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(d.group).toEqual(overflowAlert!.group);
  });

  it('evicts idle groups and continues the incident sequence afterwards', () => {
    const p = makePattern({ id: 'ev', group_by: ['u'], detect: { type: 'threshold', window: 2_000, resolution: 1_000, op: '>=', value: 1 } });
    const engine = createEngine([p]);
    const out = feed(engine, [p], [ev(DAY0 + 500, { u: 'a' }), ev(DAY0 + 600, { u: 'b' }), ev(DAY0 + 10_000, { u: 'c' })]);
    expect(engine.stats().patterns[0]!.activeGroups).toBe(1);
    expect(engine.stats().patterns[0]!.evictedGroups).toBe(2);
    out.push(...feed(engine, [p], [ev(DAY0 + 20_000, { u: 'a' }), ev(DAY0 + 30_000, {})]));
    const a = out.filter((t) => t.group['u'] === 'a').map((t) => `${t.alert.id.split('-')[1]} ${t.alert.state}`);
    expect(a).toEqual(['1 firing', '1 resolved', '2 firing', '2 resolved']);
  });
});

describe('engine: output', () => {
  it('builds complete, redacted, deterministic transitions', () => {
    const p = makePattern({
      id: 'login-fail',
      description: 'Failed logins per user',
      group_by: ['user'],
      detect: { type: 'threshold', window: 60_000, resolution: 10_000, op: '>=', value: 3 },
      severity: 'error',
      labels: { team: 'sec' },
      runbook: 'https://rb/login',
      summary: '{{count}} failed logins for {{group.user}} (>= {{threshold}})',
      redact: ['password', 'client.ip'],
    });
    const q = makePattern({ id: 'a-any', group_by: ['user'], detect: { type: 'any', resolution: 10_000 } });
    const engine = createEngine([q, p]);
    const evs = [1, 2, 3, 4, 5, 6, 7].map((i) => ev(at(0, 0, i), { user: i % 2 ? 'bob' : 'al', password: 'x', client: { ip: '1.2.3.4', ua: 'c' }, i }));
    const out = feed(engine, [q, p], evs);
    out.push(...engine.flush());
    expect(brief(out)).toEqual([
      '00:00:10 a-any {"user":"al"} inactive->firing seq=1 r=0',
      '00:00:10 a-any {"user":"bob"} inactive->firing seq=1 r=0',
      '00:00:10 login-fail {"user":"al"} inactive->firing seq=1 r=0',
      '00:00:10 login-fail {"user":"bob"} inactive->firing seq=1 r=0',
    ]);
    const bob = out[3]!;
    expect(bob).toMatchObject({
      '@timestamp': '2025-01-01T00:00:10.000Z',
      pattern: { id: 'login-fail', description: 'Failed logins per user', detector: 'threshold' },
      group: { user: 'bob' },
      value: 4,
      threshold: 3,
      op: '>=',
      window: { start: '2024-12-31T23:59:10.000Z', end: '2025-01-01T00:00:10.000Z' },
      runbook: 'https://rb/login',
      labels: { team: 'sec' },
      summary: '4 failed logins for bob (>= 3)',
    });
    expect(bob.alert).toMatchObject({ seq: 1, severity: 'error', flapping: false, repeat: 0, previous: 'inactive', state: 'firing' });
    expect(bob.alert.id).toBe(`${bob.alert.key}-1`);
    expect(bob.samples).toEqual([7, 5, 3, 1].map((i) => ({ user: 'bob', client: { ua: 'c' }, i })));
    // JSON-serialisable as-is.
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});

describe('engine: snapshot/restore', () => {
  it('a restored engine continues incidents exactly like an uninterrupted one', () => {
    const patterns = [
      makePattern({ id: 'thr', group_by: ['g'], for: 2_000, resolve_after: 3_000, repeat_interval: 4_000, detect: { type: 'threshold', window: 5_000, resolution: 1_000, op: '>=', value: 2 } }),
      makePattern({ id: 'abs', group_by: ['g'], detect: { type: 'absence', after: 3_000 } }),
    ];
    const events: LogEvent[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 20 < 12) events.push(ev(DAY0 + i * 500, { g: 'x' }));
      if (i % 7 === 0) events.push(ev(DAY0 + i * 500 + 100, { g: 'y' }));
    }
    const full = createEngine(patterns);
    const expected = feed(full, patterns, events).concat(full.flush());

    for (const cut of [5, 23, 41, 70]) {
      const a = createEngine(patterns);
      const first = feed(a, patterns, events.slice(0, cut));
      const snap = JSON.parse(JSON.stringify(a.snapshot()));
      const b = createEngine(patterns);
      b.restore(snap);
      const rest = feed(b, patterns, events.slice(cut)).concat(b.flush());
      const strip = (ts: AlertTransition[]) => ts.map((t) => ({ ...t, samples: [] }));
      expect(strip([...first, ...rest])).toEqual(strip(expected));
    }
    expect(expected.some((t) => t.alert.seq >= 2)).toBe(true);
  });
});
