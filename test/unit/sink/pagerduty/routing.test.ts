import { describe, expect, it } from 'vitest';
import type { Route } from '../../../../src/sink/pagerduty/config.js';
import { matcherMatches, routeReceivers, routingLabels } from '../../../../src/sink/pagerduty/routing.js';
import { transition } from '../../../support/transitions.js';

const tree: Route = {
  receiver: 'default',
  routes: [
    { matchers: [{ label: 'team', op: '=', value: 'payments' }], receiver: 'payments', continue: true },
    { matchers: [{ label: 'severity', op: '=~', value: 'critical|error' }], receiver: 'oncall' },
    {
      matchers: [{ label: 'pattern', op: '=~', value: 'db-.*' }],
      receiver: 'db',
      routes: [{ matchers: [{ label: 'env', op: '!=', value: 'prod' }], receiver: 'db-nonprod' }],
    },
  ],
};

describe('route tree', () => {
  it('falls back to the root receiver', () => {
    expect(routeReceivers(tree, { severity: 'info', pattern: 'x' })).toEqual(['default']);
  });

  it('continues past a matching route with continue: true and stops at the first without', () => {
    expect(routeReceivers(tree, { team: 'payments', severity: 'critical', pattern: 'db-slow' })).toEqual(['payments', 'oncall']);
    expect(routeReceivers(tree, { team: 'payments', severity: 'info', pattern: 'x' })).toEqual(['payments']);
  });

  it('descends into nested routes and inherits nothing it does not need', () => {
    expect(routeReceivers(tree, { severity: 'info', pattern: 'db-slow', env: 'prod' })).toEqual(['db']);
    expect(routeReceivers(tree, { severity: 'info', pattern: 'db-slow', env: 'dev' })).toEqual(['db-nonprod']);
  });

  it('inherits the parent receiver when a matching route names none', () => {
    const t: Route = { receiver: 'root', routes: [{ matchers: [{ label: 'a', op: '=', value: '1' }], routes: [] }] };
    expect(routeReceivers(t, { a: '1' })).toEqual(['root']);
  });

  it('anchors regex matchers and treats a missing label as empty', () => {
    expect(matcherMatches({ label: 'p', op: '=~', value: 'db' }, { p: 'db-slow' })).toBe(false);
    expect(matcherMatches({ label: 'p', op: '!~', value: 'db' }, { p: 'db-slow' })).toBe(true);
    expect(matcherMatches({ label: 'missing', op: '=', value: '' }, {})).toBe(true);
    expect(matcherMatches({ label: 'missing', op: '!=', value: 'x' }, {})).toBe(true);
  });

  it('matches on pattern, severity and labels; pattern/severity cannot be overridden by labels', () => {
    const labels = routingLabels(transition({ patternId: 'p1', severity: 'warning', labels: { team: 't', severity: 'info', pattern: 'fake' } }));
    expect(labels).toEqual({ team: 't', severity: 'warning', pattern: 'p1' });
  });
});
