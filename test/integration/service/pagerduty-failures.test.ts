// The PagerDuty receiver answers 429, then 500, for a while: every trigger and resolve still
// arrives, in order per dedup key, and nobody is paged twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PD_KEY, ServiceScenario, buildStream, expected } from './scenario.js';

describe('tripline run: PagerDuty failures', () => {
  const sc = new ServiceScenario('svc-pdfail');
  const lines = buildStream();

  beforeAll(() => sc.setup());
  afterAll(() => sc.cleanup.run());

  it('delivers every trigger and resolve in order despite 429s and 500s', async () => {
    const exp = await expected(sc.patternsDir, lines);
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    sc.pd.failNext(6, 429).failNext(6, 500);
    const proc = sc.process().start();
    await proc.waitReady();
    await sc.produce(lines);
    await proc.waitUntil('every incident resolved', 90_000, () => sc.pd.incidents.filter((i) => i.status === 'resolved').length >= fired.length);
    expect(sc.pd.received.filter((r) => r.outcome === 'fault').length).toBe(12);
    expect(sc.pd.incidents).toHaveLength(fired.length);
    for (const t of fired) {
      expect(sc.pd.incidentsFor(t.alert.id, PD_KEY)).toHaveLength(1);
      expect(sc.pd.actionsFor(t.alert.id)).toEqual(['trigger', 'resolve']);
    }
    expect((await proc.sigterm()).code, proc.tail()).toBe(0);
    expect(sc.allOutput()).not.toContain(PD_KEY);
  });
});
