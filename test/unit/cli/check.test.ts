import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/cli/check.js';

async function check(dir: string): Promise<[number, string[]]> {
  const lines: string[] = [];
  const code = await runCheck(dir, (l) => lines.push(l));
  return [code, lines];
}

describe('runCheck', () => {
  it('prints each compiled plan and returns 0 for valid patterns', async () => {
    const [code, lines] = await check('test/fixtures/patterns/valid');
    expect(code).toBe(0);
    const webhook = lines.slice(lines.indexOf('pattern webhook-blocked-by-host (test/fixtures/patterns/valid/webhooks.yaml)'));
    expect(webhook.slice(0, 14)).toEqual([
      'pattern webhook-blocked-by-host (test/fixtures/patterns/valid/webhooks.yaml)',
      '  description: Export webhook destinations refused by the allowlist',
      '  events:      export_webhook_blocked',
      '  where:       reason == "host_not_allowed" and status >= 400 and path starts with "/v1/" and level in ["error", "warning"] and route =~ /^/v1/exports/[a-z]+$/ and destination_host exists',
      '  group_by:    destination_host (max 5000 groups)',
      '  detect:      threshold: count >= 3 over 5m (resolution 10s)',
      '  timing:      grace 1m, for 30s, resolve_after 10m, repeat never',
      '  flapping:    more than 4 changes in 30m',
      '  severity:    critical',
      '  labels:      team=payments, tier=1',
      '  summary:     {{value}} blocked deliveries to {{group.destination_host}}',
      '  runbook:     https://runbooks.example.com/webhooks',
      '  redact:      email, user.token',
      '',
    ]);
    expect(lines).toContain('  detect:      ratio: (events: (any); where: http.response.status_code >= 500) / matched > 0.05 over 10m (resolution 20s, min_total 20)');
    expect(lines).toContain('  detect:      absence: no matching event for 10m');
    expect(lines).toContain('  where:       user.role not in ["sre", "oncall"]');
    expect(lines.at(-1)).toBe('ok: 4 patterns in 3 files');
  });

  it('prints every `file: key: message` line and returns 1 for invalid patterns', async () => {
    const [code, lines] = await check('test/fixtures/patterns/invalid/duplicate-ids');
    expect(code).toBe(1);
    expect(lines).toEqual([
      'test/fixtures/patterns/invalid/duplicate-ids/b.yaml: [1].id: duplicate id "same-id" (first defined in test/fixtures/patterns/invalid/duplicate-ids/a.yaml)',
    ]);
    const [code2, lines2] = await check('test/fixtures/patterns/invalid');
    expect(code2).toBe(1);
    expect(lines2).toContain('test/fixtures/patterns/invalid/bad-op.yaml: detect.op: must be one of >=, >, <=, < (got "=>")');
    expect(lines2.every((l) => l.startsWith('test/fixtures/patterns/invalid/'))).toBe(true);
  });

  it('reports a missing directory', async () => {
    expect(await check('no/such/dir')).toEqual([1, ['no/such/dir: cannot read pattern directory (ENOENT)']]);
  });
});
