/**
 * Links from an alert to Kibana: Discover opened on the pattern's saved search (from
 * deploy/kibana/tripline.ndjson), filtered to the alert's group and time range. The base URL is
 * the service config's `kibana_url` (env KIBANA_URL), e.g. `https://kibana.example.com` or
 * `https://example.com/kibana/s/ops` (a base path and a space are kept as given).
 */
import type { AlertTransition } from '../model/transition.js';

/** Saved search id of a pattern's firing alerts (the generator uses the same ids). */
export function savedSearchIdForPattern(patternId: string): string {
  return `tripline-pattern-${patternId}`;
}

/** Saved search id of every pending/firing alert record. */
export const OPEN_ALERTS_SEARCH_ID = 'tripline-open-alerts';

export type RisonValue = string | number | boolean | null | readonly RisonValue[] | { readonly [k: string]: RisonValue };

const RISON_ID = /^[^-0-9 '!:(),*@$][^ '!:(),*@$]*$/;

function risonString(s: string): string {
  if (s !== '' && RISON_ID.test(s)) return s;
  return `'${s.replace(/!/g, '!!').replace(/'/g, "!'")}'`;
}

/** Rison (the URL state encoding of Kibana's `_g`/`_a` parameters). */
export function rison(v: RisonValue): string {
  if (v === null) return '!n';
  if (v === true) return '!t';
  if (v === false) return '!f';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '!n';
  if (typeof v === 'string') return risonString(v);
  if (Array.isArray(v)) return `!(${v.map(rison).join(',')})`;
  const obj = v as { readonly [k: string]: RisonValue };
  return `(${Object.keys(obj)
    .map((k) => `${risonString(k)}:${rison(obj[k]!)}`)
    .join(',')})`;
}

/** Percent-encodes what a URL query value cannot carry, keeping rison readable. */
function encodeRison(s: string): string {
  return encodeURIComponent(s).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%40/g, '@').replace(/%24/g, '$').replace(/%2F/g, '/').replace(/%27/g, "'").replace(/%21/g, '!').replace(/%28/g, '(').replace(/%29/g, ')').replace(/%2A/g, '*');
}

/** A Kibana phrase filter on one field (what clicking "filter for value" in Discover creates). */
export function phraseFilter(field: string, value: string): { [k: string]: RisonValue } {
  return {
    meta: { alias: null, disabled: false, key: field, negate: false, params: { query: value }, type: 'phrase' },
    query: { match_phrase: { [field]: value } },
    $state: { store: 'appState' },
  };
}

export interface DiscoverLinkOptions {
  /** Time before the alert window start (default 30 minutes). */
  beforeMs?: number;
  /** Time after the transition (default 30 minutes). */
  afterMs?: number;
}

type AlertForLink = Pick<AlertTransition, '@timestamp' | 'group' | 'window'> & { pattern: Pick<AlertTransition['pattern'], 'id'> };

/**
 * Discover URL for an alert: the pattern's saved search, a phrase filter per group field and the
 * time range [window.start - before, @timestamp + after] (absolute ISO times).
 * Returns undefined without a base URL, so callers can simply omit the link.
 */
export function kibanaDiscoverUrl(baseUrl: string | undefined, alert: AlertForLink, opts: DiscoverLinkOptions = {}): string | undefined {
  if (baseUrl === undefined || baseUrl.trim() === '') return undefined;
  const base = baseUrl.trim().replace(/\/+$/, '');
  const at = Date.parse(alert['@timestamp']);
  const start = Date.parse(alert.window.start);
  const from = Math.min(Number.isFinite(start) ? start : at, at) - (opts.beforeMs ?? 30 * 60_000);
  const to = at + (opts.afterMs ?? 30 * 60_000);
  const g = { time: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
  const filters = Object.keys(alert.group)
    .sort()
    .map((k) => phraseFilter(`group.${k}`, alert.group[k]!));
  const a = { filters };
  const id = encodeURIComponent(savedSearchIdForPattern(alert.pattern.id));
  return `${base}/app/discover#/view/${id}?_g=${encodeRison(rison(g))}&_a=${encodeRison(rison(a))}`;
}
