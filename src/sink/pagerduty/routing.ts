/**
 * Route tree evaluation, Alertmanager semantics: the root matches every alert; a node's children
 * are tried in order, a matching child is descended into, and the search stops at the first match
 * unless that child has `continue: true`. A matched node with no matching child yields its receiver
 * (inherited from the parent when unset). Labels: the alert's labels plus `pattern` and `severity`.
 */
import type { AlertTransition } from '../../model/transition.js';
import type { Matcher, Route } from './config.js';

export type RouteLabels = Readonly<Record<string, string>>;

/** The labels routes match on; `pattern` and `severity` win over alert labels of the same name. */
export function routingLabels(t: AlertTransition): RouteLabels {
  return { ...t.labels, pattern: t.pattern.id, severity: t.alert.severity };
}

const regexCache = new Map<string, RegExp>();

function anchored(source: string): RegExp {
  let re = regexCache.get(source);
  if (re === undefined) {
    re = new RegExp(`^(?:${source})$`, 'u');
    regexCache.set(source, re);
  }
  return re;
}

export function matcherMatches(m: Matcher, labels: RouteLabels): boolean {
  const v = Object.prototype.hasOwnProperty.call(labels, m.label) ? (labels[m.label] ?? '') : '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchored(m.value).test(v);
    case '!~':
      return !anchored(m.value).test(v);
  }
}

function matchNode(route: Route, labels: RouteLabels, inherited: string | undefined, isRoot: boolean): string[] | undefined {
  if (!isRoot && !(route.matchers ?? []).every((m) => matcherMatches(m, labels))) return undefined;
  const receiver = route.receiver ?? inherited;
  const out: string[] = [];
  let matchedChild = false;
  for (const child of route.routes ?? []) {
    const r = matchNode(child, labels, receiver, false);
    if (r === undefined) continue;
    matchedChild = true;
    out.push(...r);
    if (child.continue !== true) break;
  }
  if (!matchedChild && receiver !== undefined) out.push(receiver);
  return out;
}

/** Receivers for these labels, in route order, without duplicates. */
export function routeReceivers(root: Route, labels: RouteLabels): string[] {
  return [...new Set(matchNode(root, labels, undefined, true) ?? [])];
}
