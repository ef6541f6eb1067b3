/** Test helpers shared by the engine-core tests (no dependency on src/config or src/match). */
import type { LogEvent } from '../../../src/model/event.js';
import { ROLE_MATCH, ROLE_SUB } from '../../../src/model/match.js';
import type { MatchResult } from '../../../src/model/match.js';
import { MISSING_GROUP_VALUE } from '../../../src/model/pattern.js';
import type { Detect, Pattern } from '../../../src/model/pattern.js';
import type { AlertTransition } from '../../../src/model/transition.js';

export type PatternInput = Partial<Omit<Pattern, 'detect'>> & { detect: Detect };

/** A Pattern with defaults for everything but `detect`. */
export function makePattern(p: PatternInput): Pattern {
  return {
    id: 'p',
    description: 'test pattern',
    file: 'test.yaml',
    match: {},
    group_by: [],
    max_groups: 1000,
    grace: 0,
    for: 0,
    resolve_after: 0,
    repeat_interval: 0,
    severity: 'warning',
    labels: {},
    summary: 'value {{value}}',
    redact: [],
    flap_window: 0,
    flap_max_changes: 0,
    ...p,
  };
}

export function ev(time: number, fields: Record<string, unknown> = {}, partition = 0, name = 'e'): LogEvent {
  return { name, time, timeSource: 'field', fields, partition };
}

/**
 * Trivial matcher: a pattern matches when `match.event` is absent or equals the name; a ratio
 * numerator matches (ROLE_SUB) when every `where` field equals its `equals` value.
 */
export function testMatcher(patterns: readonly Pattern[]): (e: LogEvent) => MatchResult[] {
  return (e) => {
    const out: MatchResult[] = [];
    patterns.forEach((p, i) => {
      const names = p.match.event;
      if (names !== undefined && (typeof names === 'string' ? names !== e.name : !names.includes(e.name))) return;
      let roles = ROLE_MATCH;
      if (p.detect.type === 'ratio') {
        const where = p.detect.numerator.where ?? {};
        const ok = Object.entries(where).every(([k, pred]) => e.fields[k] === pred.equals);
        if (ok) roles |= ROLE_SUB;
      }
      const group: Record<string, string> = {};
      const values: string[] = [];
      for (const f of p.group_by) {
        const v = e.fields[f];
        const s = v === undefined || v === null ? MISSING_GROUP_VALUE : String(v);
        group[f] = s;
        values.push(s);
      }
      out.push({ pattern: i, roles, groupKey: JSON.stringify(values), group });
    });
    return out;
  };
}

/** Compact view of transitions for assertions. */
export function brief(ts: readonly AlertTransition[]): string[] {
  return ts.map(
    (t) =>
      `${t['@timestamp'].slice(11, 19)} ${t.pattern.id} ${JSON.stringify(t.group)} ${t.alert.previous}->${t.alert.state}` +
      ` seq=${t.alert.seq} r=${t.alert.repeat}${t.alert.flapping ? ' flap' : ''}`,
  );
}

/** Epoch ms for a clock time on a fixed day, e.g. at(0, 1, 30) = 00:01:30.000Z. */
export const DAY0 = Date.UTC(2025, 0, 1);
export function at(h: number, m: number, s: number, ms = 0): number {
  return DAY0 + ((h * 60 + m) * 60 + s) * 1000 + ms;
}
