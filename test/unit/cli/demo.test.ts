import { describe, expect, it } from 'vitest';
import { loadPatterns } from '../../../src/config/index.js';
import { DEMO_INCIDENTS, generateDemoSample } from '../../../src/cli/demo-sample.js';
import { replayLines } from '../../../src/cli/replay.js';

describe('bundled demo sample', () => {
  it('is deterministic', () => {
    const a = generateDemoSample();
    const b = generateDemoSample();
    expect(a.length).toBe(b.length);
    expect(a.slice(0, 50)).toEqual(b.slice(0, 50));
    expect(a[a.length - 1]).toEqual(b[b.length - 1]);
    expect(a.length).toBeGreaterThan(50_000);
  });

  it('the bundled patterns report exactly the documented incidents and nothing else', async () => {
    const patterns = await loadPatterns('patterns');
    const { transitions, counters } = await replayLines(generateDemoSample(), patterns);
    expect(counters.invalid).toEqual({});
    expect(counters.late).toBe(0);

    const fired = transitions
      .filter((t) => t.alert.state === 'firing' && t.alert.repeat === 0)
      .map((t) => ({ pattern: t.pattern.id, group: t.group }));
    const expected = DEMO_INCIDENTS.map((i) => ({ pattern: i.pattern, group: { ...i.group } }));
    const key = (x: { pattern: string; group: Record<string, string> }): string => x.pattern + JSON.stringify(x.group);
    expect(fired.map(key).sort()).toEqual(expected.map(key).sort());

    // Each incident fires at (or within minutes after) its documented start, and resolves.
    for (const inc of DEMO_INCIDENTS) {
      const mine = transitions.filter((t) => t.pattern.id === inc.pattern && key({ pattern: t.pattern.id, group: t.group }) === key({ pattern: inc.pattern, group: { ...inc.group } }));
      const firing = mine.find((t) => t.alert.state === 'firing')!;
      const [h, m] = inc.at.split(':').map(Number) as [number, number];
      const start = Date.parse('2026-11-20T12:00:00Z') + (h * 60 + m) * 60_000;
      const firedAt = Date.parse(firing['@timestamp']);
      expect(firedAt).toBeGreaterThanOrEqual(start);
      expect(firedAt - start).toBeLessThan(12 * 60_000);
      expect(mine.at(-1)!.alert.state).toBe('resolved');
      expect(new Set(mine.map((t) => t.alert.id)).size).toBe(1);
    }

    // The only pending records allowed are the ones ahead of the incidents of patterns with `for`
    // (the 5xx ratio, for: 1m; the 429 spike, for: 2m).
    const pendings = transitions.filter((t) => t.alert.state === 'pending');
    expect(pendings.map((t) => `${t.pattern.id} ${JSON.stringify(t.group)}`)).toEqual(['http-5xx-ratio-by-route {"route":"/v1/orders/{id}"}', 'http-429-spike {}']);
    // Secrets in samples are redacted.
    const mismatch = transitions.find((t) => t.pattern.id === 'stripe-webhook-replayed-mismatch')!;
    expect(mismatch.samples.length).toBe(1);
    expect(JSON.stringify(mismatch.samples)).not.toContain('deadbeef');
  });
});
