// `tripline run` through the stack's SASL_SSL listener (SCRAM, self-signed CA), credentials from
// the environment only: consumes and alerts; a wrong password fails fast with a clear error and
// exit 1; no secret (SASL password, PagerDuty routing key) in any output or Elasticsearch document.
//
// The listener is part of the local stack by default (deploy/local/lib/kafka-sasl.sh). Without it
// this test FAILS with the reason and the fix; it never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/transition.js';
import type { KafkaSaslInfo } from '../helpers/context.js';
import { stackInfo } from '../helpers/stack.js';
import { PD_KEY, ServiceScenario, alertId, buildStream, expected } from './scenario.js';

function sasl(): KafkaSaslInfo {
  const s = stackInfo();
  if (s.kafkaSasl === undefined) throw new Error(`SASL test cannot run: ${s.kafkaSaslMissing ?? 'no SASL_SSL listener'}`);
  return s.kafkaSasl;
}

function saslEnv(s: KafkaSaslInfo, password = s.password): Record<string, string> {
  return {
    KAFKA_BROKERS: s.brokers.join(','),
    KAFKA_SASL_MECHANISM: s.mechanism,
    KAFKA_SASL_USERNAME: s.username,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_SSL_CA_FILE: s.caFile,
  };
}

describe('tripline run: SASL_SSL (SCRAM) authentication', () => {
  const sc = new ServiceScenario('svc-sasl');
  // The first incident only (api, ~10:05-10:07): enough to alert, quick to consume.
  const lines = buildStream(600);

  beforeAll(async () => {
    sasl();
    await sc.setup();
  });
  afterAll(() => sc.cleanup.run());

  it('consumes through SASL_SSL with env credentials and alerts; no secret anywhere', async () => {
    const s = sasl();
    expect(s.brokers.join(',')).not.toBe(stackInfo().kafkaBrokers.join(','));
    const exp = await expected(sc.patternsDir, lines);
    const fired = exp.transitions.filter((t) => t.alert.state === 'firing');
    expect(fired.length).toBe(1);

    const proc = sc.process(saslEnv(s)).start();
    await proc.waitReady();
    const ready = await proc.readyz();
    expect(ready.body.components?.kafka?.ok).toBe(true);
    await sc.produce(lines); // through the plaintext listener: same cluster
    const want = new Set(exp.transitions.map(alertId));
    await proc.waitUntil('alert documents', 60_000, async () => (await sc.esCount(sc.alertsIndex)) >= want.size);
    await proc.waitUntil('PagerDuty trigger', 30_000, () => sc.pd.actionsFor(fired[0]!.alert.id).includes('trigger'));
    expect(await proc.metric('tripline_records_consumed_total', { topic: sc.topic })).toBe(lines.length);
    expect((await proc.sigterm()).code, proc.tail()).toBe(0);

    const alerts = await sc.esDocs<AlertTransition>(sc.alertsIndex);
    expect(new Set(alerts.map((d) => d._id))).toEqual(want);
    const docs = JSON.stringify([...alerts, ...(await sc.esDocs(sc.metricsIndex))]);
    expect(docs).not.toContain(s.password);
    expect(docs).not.toContain(PD_KEY);
    const out = sc.allOutput();
    expect(out).not.toContain(s.password);
    expect(out).not.toContain(PD_KEY);
    // It did authenticate as the SASL user (kafkajs logs nothing at warn otherwise; the config does).
    expect(out).not.toMatch(/authentication failed/i);
  });

  it('a wrong password fails fast with a clear error and exit 1, without printing either password', async () => {
    const s = sasl();
    const wrong = 'wrong-Pa55word-do-not-print';
    const proc = sc.process(saslEnv(s, wrong)).start();
    const t0 = Date.now();
    const exit = await proc.waitExit(60_000);
    const took = Date.now() - t0;
    expect(exit.code, proc.tail()).toBe(1);
    expect(took, `took ${took} ms`).toBeLessThan(20_000);
    expect(proc.stderr).toMatch(/tripline run: Kafka authentication failed while .* as user tripline \(scram-sha-\d+\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    const out = proc.stdout + proc.stderr;
    expect(out).not.toContain(wrong);
    expect(out).not.toContain(s.password);
    expect(out).not.toContain(PD_KEY);
    console.log(`[sasl] wrong password: exit ${exit.code} after ${took} ms: ${proc.stderr.trim().split('\n').at(-1)}`);
  });
});
