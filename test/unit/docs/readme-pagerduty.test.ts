// The README's "PagerDuty routing" example is accepted by loadServiceConfig, passes the routing
// checks the service applies at start (receivers exist, root names one), and routes the bundled
// patterns the way the README says.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../../src/config/service-config.js';
import { loadPatterns } from '../../../src/config/load-patterns.js';
import { parsePagerDutyRoutingConfig } from '../../../src/sink/pagerduty/config.js';
import { routeReceivers } from '../../../src/sink/pagerduty/routing.js';
import type { Pattern } from '../../../src/model/pattern.js';

const readme = readFileSync('README.md', 'utf8');

function routingExample(): string {
  const section = readme.slice(readme.indexOf('\n## PagerDuty routing\n'));
  const m = /```yaml\n([\s\S]*?)```/.exec(section);
  if (m === null) throw new Error('no yaml block in the README section "PagerDuty routing"');
  return m[1]!;
}

const ENV = {
  PD_KEY_PLATFORM: 'k-platform-0000000000000000',
  PD_KEY_BILLING: 'k-billing-00000000000000000',
  PD_KEY_INTEGRATIONS: 'k-integrations-000000000000',
  PD_KEY_LOW_URGENCY: 'k-low-urgency-0000000000000',
};

function load() {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-readme-'));
  const file = join(dir, 'tripline.yaml');
  writeFileSync(file, routingExample());
  return loadServiceConfig({ file, env: ENV, requireKafka: false });
}

describe('README: PagerDuty routing example', () => {
  it('is accepted by loadServiceConfig and resolves every routing key', () => {
    const cfg = load();
    expect(Object.keys(cfg.pagerduty.routing_keys)).toEqual(['platform', 'billing', 'integrations', 'low-urgency']);
    for (const r of Object.values(cfg.pagerduty.routing_keys)) expect(r.key?.reveal()).toBe(ENV[r.routing_key_env as keyof typeof ENV]);
  });

  it('passes the routing checks of the PagerDuty sink and routes the bundled patterns as documented', async () => {
    const cfg = load();
    const pd = cfg.pagerduty;
    const names = Object.keys(pd.routing_keys);
    // The same mapping src/pipeline.ts applies at start.
    const routing = parsePagerDutyRoutingConfig(
      { events_url: pd.events_url, route: pd.route ?? { receiver: names[0] }, receivers: names.map((name) => ({ name, routing_key_env: pd.routing_keys[name]!.routing_key_env })), source: pd.source, send_repeats: pd.send_repeats, rate_limit_per_minute: pd.rate_limit_per_minute, request_timeout_ms: pd.request_timeout_ms, retry: pd.retry },
      'README.md',
      'pagerduty',
    );
    const patterns = new Map((await loadPatterns('patterns')).map((p) => [p.id, p]));
    const route = (id: string, severity?: string): string[] => {
      const p: Pattern = patterns.get(id)!;
      return routeReceivers(routing.route, { ...p.labels, pattern: p.id, severity: severity ?? p.severity });
    };
    expect(route('stripe-webhook-replayed-mismatch')).toEqual(['billing', 'platform']);
    expect(route('stripe-webhook-errors')).toEqual(['billing']);
    expect(route('export-webhook-failures-many-orgs')).toEqual(['platform', 'integrations']);
    expect(route('export-webhook-failed-by-host')).toEqual(['integrations']);
    expect(route('export-webhook-new-blocked-host')).toEqual(['low-urgency']);
    expect(route('http-5xx-ratio-by-route')).toEqual(['platform']);
  });

  it('links every doc in the Documentation section to an existing file', () => {
    const section = readme.slice(readme.indexOf('\n## Documentation\n'), readme.indexOf('\n## Requirements\n'));
    const links = [...section.matchAll(/\]\((docs\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['docs/patterns.md', 'docs/configuration.md', 'docs/runbook.md', 'docs/kibana.md', 'docs/scaling.md']));
    for (const l of links) expect(() => readFileSync(l), l).not.toThrow();
  });
});
