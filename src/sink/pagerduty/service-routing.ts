/**
 * The PagerDuty routing of `tripline run` from the service config (pagerduty.routing_keys with
 * their env vars, route, retry, rate limit): one receiver per routing key name; undefined when no
 * routing key is configured (no PagerDuty sink).
 */
import type { ServiceConfig } from '../../config/service-config.js';
import { parsePagerDutyRoutingConfig } from './index.js';
import type { PagerDutyRoutingConfig } from './index.js';

export function pagerDutyRoutingFromService(cfg: ServiceConfig): PagerDutyRoutingConfig | undefined {
  const pd = cfg.pagerduty;
  const names = Object.keys(pd.routing_keys);
  if (names.length === 0) return undefined;
  return parsePagerDutyRoutingConfig(
    {
      events_url: pd.events_url,
      route: pd.route ?? { receiver: names[0] },
      receivers: names.map((name) => ({ name, routing_key_env: pd.routing_keys[name]!.routing_key_env })),
      source: pd.source,
      send_repeats: pd.send_repeats,
      rate_limit_per_minute: pd.rate_limit_per_minute,
      request_timeout_ms: pd.request_timeout_ms,
      retry: pd.retry,
      ...(cfg.kibana_url === undefined ? {} : { kibana_url: cfg.kibana_url }),
    },
    'config',
    'pagerduty',
  );
}
