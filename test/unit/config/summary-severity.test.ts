/** `{{severity}}` is a valid summary placeholder (README) and renders the matched level's severity. */
import { describe, expect, it } from 'vitest';
import { parsePatterns } from '../../../src/config/load-patterns.js';
import { createEngine } from '../../../src/engine/engine.js';
import { ROLE_MATCH } from '../../../src/model/match.js';
import type { AlertTransition } from '../../../src/model/transition.js';
import { DAY0, ev } from '../engine/helpers.js';

describe('{{severity}} in summaries', () => {
  it('loads, and renders the level severity as it escalates', () => {
    const [p] = parsePatterns(
      [
        'id: disk',
        'match: { event: disk }',
        'detect:',
        '  type: gauge',
        '  field: used',
        '  aggregate: last',
        '  window: 1s',
        '  resolution: 1s',
        "  op: '>='",
        '  levels: [{ severity: warning, value: 0.7 }, { severity: critical, value: 0.85 }]',
        'resolve_after: 0',
        'summary: "{{ severity }}: disk at {{value}}"',
      ].join('\n'),
      'patterns/disk.yaml',
    );
    const engine = createEngine([p!]);
    const out: AlertTransition[] = [];
    [0.75, 0.9].forEach((used, i) => {
      engine.observe(ev(DAY0 + i * 1_000, { used }, 0, 'disk'), [{ pattern: 0, roles: ROLE_MATCH, groupKey: '[]', group: {} }]);
      out.push(...engine.advance());
    });
    out.push(...engine.flush());
    expect(out.map((t) => t.summary)).toEqual(['warning: disk at 0.75', 'critical: disk at 0.9']);
  });
});
