import { describe, expect, it } from 'vitest';
import { DEFAULTS, defaultResolution } from '../../../src/config/finalize.js';
import { loadPatterns, parsePatterns } from '../../../src/config/load-patterns.js';
import { ConfigError } from '../../../src/model/errors.js';
import type { Pattern } from '../../../src/model/pattern.js';

const VALID = 'test/fixtures/patterns/valid';

function one(yaml: string): Pattern {
  const ps = parsePatterns(yaml, 'patterns/t.yaml');
  expect(ps).toHaveLength(1);
  return ps[0]!;
}

function errors(yaml: string): string[] {
  try {
    parsePatterns(yaml, 'patterns/t.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.lines;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadPatterns (valid fixtures)', () => {
  it('loads files sorted by name, *.yaml and *.yml, patterns in file order', async () => {
    const ps = await loadPatterns(VALID);
    expect(ps.map((p) => [p.id, p.file])).toEqual([
      ['billing-heartbeat-missing', `${VALID}/heartbeat.yaml`],
      ['http-5xx-ratio', `${VALID}/http.yml`],
      ['admin-login', `${VALID}/http.yml`],
      ['webhook-blocked-by-host', `${VALID}/webhooks.yaml`],
    ]);
  });

  it('produces exactly the Pattern contract for the full example', async () => {
    const p = (await loadPatterns(VALID)).find((x) => x.id === 'webhook-blocked-by-host');
    expect(p).toEqual({
      id: 'webhook-blocked-by-host',
      description: 'Export webhook destinations refused by the allowlist',
      file: `${VALID}/webhooks.yaml`,
      match: {
        event: 'export_webhook_blocked',
        where: {
          reason: { equals: 'host_not_allowed' },
          status: { gte: 400 },
          path: { prefix: '/v1/' },
          level: { in: ['error', 'warning'] },
          route: { regex: '^/v1/exports/[a-z]+$' },
          destination_host: { exists: true },
        },
      },
      group_by: ['destination_host'],
      max_groups: 5000,
      detect: { type: 'threshold', window: 300_000, resolution: 10_000, op: '>=', value: 3 },
      grace: 60_000,
      for: 30_000,
      resolve_after: 600_000,
      repeat_interval: 0,
      severity: 'critical',
      labels: { team: 'payments', tier: '1' },
      runbook: 'https://runbooks.example.com/webhooks',
      summary: '{{value}} blocked deliveries to {{group.destination_host}}',
      redact: ['email', 'user.token'],
      flap_window: 1_800_000,
      flap_max_changes: 4,
    } satisfies Pattern);
  });

  it('fails on a missing directory and on a directory without pattern files', async () => {
    const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a ConfigError'); }, (e: unknown) => e as ConfigError);
    const e1 = await failure(loadPatterns('test/fixtures/patterns/nope'));
    expect(e1.lines).toEqual(['test/fixtures/patterns/nope: cannot read pattern directory (ENOENT)']);
    const e2 = await failure(loadPatterns('test/fixtures/bad-input'));
    expect(e2.lines).toEqual(['test/fixtures/bad-input: has no *.yaml or *.yml pattern files']);
  });
});

describe('parsePatterns defaults', () => {
  it('fills every default for a minimal threshold pattern', () => {
    const p = one('id: a\nmatch: {event: x}\ndetect: {type: threshold, window: 5m, op: ">", value: 1}\n');
    expect(p).toEqual({
      id: 'a',
      description: '',
      file: 'patterns/t.yaml',
      match: { event: 'x' },
      group_by: [],
      max_groups: DEFAULTS.max_groups,
      detect: { type: 'threshold', window: 300_000, resolution: 10_000, op: '>', value: 1 },
      grace: 30_000,
      for: 0,
      resolve_after: 300_000,
      repeat_interval: 4 * 3_600_000,
      severity: 'warning',
      labels: {},
      summary: '{{pattern.id}}: {{value}} matching events in 5m (limit > {{threshold}})',
      redact: [],
      flap_window: 3_600_000,
      flap_max_changes: 6,
    });
  });

  it('resolve_after defaults to 5m for any/absence, min_total to 0', () => {
    expect(one('id: a\nmatch: {}\ndetect: {type: any}').resolve_after).toBe(300_000);
    expect(one('id: a\nmatch: {}\ndetect: {type: absence, after: 1h}').resolve_after).toBe(300_000);
    const r = one('id: a\nmatch: {}\ndetect: {type: ratio, window: 1m, numerator: {event: e}, op: ">", value: 0.5}');
    expect(r.detect).toEqual({ type: 'ratio', window: 60_000, resolution: 2000, numerator: { event: 'e' }, op: '>', value: 0.5, min_total: 0 });
  });

  it('accepts durations as strings, compounds and integer ms', () => {
    const p = one('id: a\nmatch: {}\ndetect: {type: absence, after: 1h30m}\ngrace: 1500\nfor: "250"\nrepeat_interval: 1d');
    expect([p.detect.type === 'absence' && p.detect.after, p.grace, p.for, p.repeat_interval]).toEqual([5_400_000, 1500, 250, 86_400_000]);
  });

  it('deduplicates event lists, keeps dotted where keys, stringifies label values', () => {
    const p = one('id: a\nmatch: {event: [x, y, x], where: {"http.status": 500, ok: true, v: null}}\ndetect: {type: any}\nlabels: {n: 1, b: false}');
    expect(p.match).toEqual({ event: ['x', 'y'], where: { 'http.status': { equals: 500 }, ok: { equals: true }, v: { equals: null } } });
    expect(p.labels).toEqual({ n: '1', b: 'false' });
  });

  it('quotes keys with dots in error paths', () => {
    expect(errors('id: a\nmatch: {where: {"http.status": {gte: x}}}\ndetect: {type: any}')).toEqual([
      'patterns/t.yaml: match.where["http.status"].gte: must be a number (got "x")',
    ]);
  });

  it('validates the ratio numerator like a selector', () => {
    expect(errors('id: a\nmatch: {}\ndetect: {type: ratio, window: 1m, numerator: {evnt: e, where: {s: {regex: "(x*)*"}}}, op: ">", value: 0.5}')).toEqual([
      'patterns/t.yaml: detect.numerator.where.s.regex: "(x*)*" is not linear-time safe (nested quantifier)',
      'patterns/t.yaml: detect.numerator.evnt: unknown key (did you mean event?)',
    ]);
  });

  it('never pollutes prototypes through YAML keys', () => {
    expect(errors('id: a\nmatch: {}\ndetect: {type: any}\n__proto__: {polluted: 1}')).toEqual(['patterns/t.yaml: __proto__: unknown key']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const msgs = errors(bomb.join('\n'));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/^patterns\/t\.yaml: YAML error: /);
  });
});

describe('defaultResolution', () => {
  it.each([
    [300_000, 10_000],
    [3_600_000, 120_000],
    [60_000, 2000],
    [90_000, 3000],
    [5_400_000, 180_000],
    [7000, 1000],
    [1500, 1500],
    [500, 500],
    [86_400_000, 2_880_000],
  ])('window %i -> %i', (window, res) => {
    expect(defaultResolution(window)).toBe(res);
    expect(window % defaultResolution(window)).toBe(0);
  });

  it('always divides the window and keeps <= 30 buckets', () => {
    for (let w = 1; w < 200_000; w += 997) {
      const r = defaultResolution(w);
      expect(w % r).toBe(0);
      expect(w / r).toBeLessThanOrEqual(30);
    }
  });
});
