/**
 * PagerDuty routing config, Alertmanager style: a route tree (matchers on `pattern`, `severity`
 * and alert labels; `continue`; nested `routes`) and receivers whose routing keys are referenced by
 * environment variable name only — a literal key never appears in a file.
 */
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { parseSection } from '../config-issues.js';
import { retrySchema } from '../elasticsearch/config.js';

export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export const MATCH_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export const matcherSchema = z
  .strictObject({
    label: z.string().min(1, 'must not be empty').describe('Label to test: pattern, severity or any alert label (missing = empty string).'),
    op: z
      .enum(MATCH_OPS, { error: `must be one of ${MATCH_OPS.join(' ')}` })
      .describe('= and != compare exactly; =~ and !~ match an anchored regular expression (linear-time-safe only).'),
    value: z.string().describe('Value or regular expression.'),
  })
  .superRefine((m, ctx) => {
    if (m.op !== '=~' && m.op !== '!~') return;
    try {
      new RegExp(`^(?:${m.value})$`, 'u');
    } catch {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'is not a valid regular expression' });
      return;
    }
    if (!safeRegex(m.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'regular expression may take exponential time' });
  });

export type Matcher = z.output<typeof matcherSchema>;

export interface Route {
  receiver?: string | undefined;
  matchers?: Matcher[] | undefined;
  continue?: boolean | undefined;
  routes?: Route[] | undefined;
}

export const routeSchema: z.ZodType<Route> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().min(1).optional().describe('Receiver (a pagerduty.routing_keys name) for alerts that stop at this node; inherited from the parent when unset.'),
    matchers: z.array(matcherSchema).optional().describe('All must hold for an alert to enter this node (ignored on the root, which matches everything).'),
    continue: z.boolean().optional().describe('After this node matched, keep trying its later siblings (default false: first match wins).'),
    routes: z.array(routeSchema).optional().describe('Child routes, tried in order.'),
  }),
);

export const receiverSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . -'),
  // The regex error never echoes the value (it may be a literal key pasted by mistake).
  routing_key_env: z.string().regex(ENV_NAME, 'must be the name of an environment variable holding the routing key (A-Z, 0-9, _)'),
});

export type Receiver = z.output<typeof receiverSchema>;

export const pagerdutyRoutingSchema = z
  .strictObject({
    events_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(DEFAULT_PAGERDUTY_EVENTS_URL),
    /** The root route; it matches every alert and must name a receiver. */
    route: routeSchema,
    receivers: z.array(receiverSchema).min(1, 'must list at least one receiver'),
    /** `payload.source`. */
    source: z.string().min(1).max(255).default('tripline'),
    /** Base URL for `links` (Kibana); no links when absent. */
    kibana_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /**
     * Re-send `trigger` on repeat notifications (alert.repeat > 0). Harmless on an open PagerDuty
     * alert (same dedup_key: deduplicated, no new page); re-opens one a human resolved while the
     * condition still holds, which is what the pattern's repeat_interval asks for.
     */
    send_repeats: z.boolean().default(true),
    /** Per routing key; PagerDuty allows about 120 events per minute. */
    rate_limit_per_minute: z.int().min(1).max(1000).default(120),
    request_timeout_ms: z.int().min(100).default(10_000),
    retry: retrySchema.default({ max_attempts: 8, max_time_ms: 120_000, min_delay_ms: 200, max_delay_ms: 30_000 }),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.route.receiver === undefined) ctx.addIssue({ code: 'custom', path: ['route', 'receiver'], message: 'the root route must name a receiver' });
    const names = new Set<string>();
    cfg.receivers.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `duplicate receiver ${r.name}` });
      names.add(r.name);
    });
    const walk = (route: Route, path: (string | number)[]): void => {
      if (route.receiver !== undefined && !names.has(route.receiver)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'receiver'], message: `unknown receiver ${route.receiver}` });
      }
      route.routes?.forEach((r, i) => walk(r, [...path, 'routes', i]));
    };
    walk(cfg.route, ['route']);
  });

export type PagerDutyRoutingConfig = z.output<typeof pagerdutyRoutingSchema>;

export function parsePagerDutyRoutingConfig(input: unknown, file: string, prefix = 'pagerduty'): PagerDutyRoutingConfig {
  return parseSection(pagerdutyRoutingSchema, input, file, prefix);
}
