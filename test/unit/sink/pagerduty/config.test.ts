import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/model/errors.js';
import { parsePagerDutyRoutingConfig } from '../../../../src/sink/pagerduty/config.js';

const ok = {
  route: { receiver: 'default', routes: [{ receiver: 'pay', matchers: [{ label: 'team', op: '=', value: 'payments' }] }] },
  receivers: [
    { name: 'default', routing_key_env: 'PD_KEY_DEFAULT' },
    { name: 'pay', routing_key_env: 'PD_KEY_PAYMENTS' },
  ],
};

function lines(input: unknown): string[] {
  try {
    parsePagerDutyRoutingConfig(input, 'tripline.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.lines;
    throw e;
  }
  return [];
}

describe('pagerduty routing config', () => {
  it('parses with defaults', () => {
    const c = parsePagerDutyRoutingConfig(ok, 'tripline.yaml');
    expect(c.events_url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(c.rate_limit_per_minute).toBe(120);
    expect(c.send_repeats).toBe(true);
    expect(c.source).toBe('tripline');
  });

  it('reports `file: key: message`', () => {
    expect(lines({ ...ok, route: { routes: [{ receiver: 'nope' }] } })).toEqual([
      'tripline.yaml: pagerduty.route.receiver: the root route must name a receiver',
      'tripline.yaml: pagerduty.route.routes[0].receiver: unknown receiver nope',
    ]);
    expect(lines({ ...ok, route: { receiver: 'default', routes: [{ matchers: [{ label: 'a', op: '==', value: 'x' }] }] } })).toEqual([
      'tripline.yaml: pagerduty.route.routes[0].matchers[0].op: must be one of = != =~ !~',
    ]);
    expect(lines({ ...ok, route: { receiver: 'default', routes: [{ matchers: [{ label: 'a', op: '=~', value: '(a+)+$' }] }] } })).toEqual([
      'tripline.yaml: pagerduty.route.routes[0].matchers[0].value: regular expression may take exponential time',
    ]);
    expect(lines({ ...ok, receivers: [...ok.receivers, { name: 'pay', routing_key_env: 'X' }] })).toEqual(['tripline.yaml: pagerduty.receivers[2].name: duplicate receiver pay']);
  });

  it('refuses a literal routing key and never echoes it', () => {
    const literal = 'e93facc04764012d7bfb002500d5d1a6';
    const out = lines({ ...ok, receivers: [{ name: 'default', routing_key_env: literal }, ok.receivers[1]] });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^tripline\.yaml: pagerduty\.receivers\[0\]\.routing_key_env: must be the name of an environment variable/);
    expect(out.join('\n')).not.toContain(literal);
  });
});
