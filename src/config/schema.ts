/**
 * The zod schema of one pattern as written in YAML (snake_case keys, durations as strings).
 * Shape only: defaults that depend on other fields and cross-field checks are in finalize.ts.
 * Every object is strict (unknown keys are errors).
 *
 * `detect` is a discriminated union on `type`: a new detector is one more strictObject in
 * DETECT_VARIANTS plus its defaults in finalize.ts.
 */
import { z } from 'zod';
import { SEVERITIES } from '../model/pattern.js';
import { parseDuration } from './duration.js';
import { checkRegex } from './regex-safety.js';
import { show } from './show.js';

export const ID_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;
export const MAX_ID_LENGTH = 128;
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A field path: dot-separated non-empty segments (`status`, `http.response.status_code`, `@timestamp`). */
export const FIELD_PATH_PATTERN = /^[^.\s]+(\.[^.\s]+)*$/;

/** Duration field (ms); `min` inclusive. Missing values are errors only when `required`. */
function durationOf(min: number, required: boolean) {
  return z.unknown().transform((v, ctx) => {
    if (v === undefined && required) {
      ctx.addIssue({ code: 'custom', message: 'is required', input: v });
      return z.NEVER;
    }
    const r = parseDuration(v);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r, input: v });
      return z.NEVER;
    }
    if (r < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min}ms (got ${show(v)})`, input: v });
      return z.NEVER;
    }
    return r;
  });
}
const duration = (min = 0) => durationOf(min, false);
const requiredDuration = (min = 0) => durationOf(min, true);

const fieldPath = z.string().regex(FIELD_PATH_PATTERN, {
  error: (iss) => `must be a field path like status or http.response.status_code (got ${show(iss.input)})`,
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: (iss) => `must be a string, number, boolean or null (got ${show(iss.input)})`,
});
const listItem = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) => `must be a string, number or boolean (got ${show(iss.input)})`,
});

const regex = z.string().superRefine((s, ctx) => {
  const msg = checkRegex(s);
  if (msg !== undefined) ctx.addIssue({ code: 'custom', message: msg, input: s });
});

export const PREDICATE_KEYS = ['equals', 'not_equals', 'in', 'not_in', 'exists', 'gt', 'gte', 'lt', 'lte', 'prefix', 'regex'] as const;

const predicateObject = z.strictObject({
  equals: scalar.optional(),
  not_equals: scalar.optional(),
  in: z.array(listItem).min(1).optional(),
  not_in: z.array(listItem).min(1).optional(),
  exists: z.boolean().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  prefix: z.string().optional(),
  regex: regex.optional(),
}, {
  error: (iss) => iss.code === 'invalid_type'
    ? `must be a value or a mapping of predicates (${PREDICATE_KEYS.join(', ')}) (got ${show(iss.input)})`
    : undefined,
}).refine((o) => Object.keys(o).length > 0, {
  message: `must have at least one predicate (${PREDICATE_KEYS.join(', ')})`,
  when: (payload) => payload.issues.length === 0,
});

/** A bare scalar means `{equals: scalar}`. */
const predicate = z.preprocess((v) => (v === null || typeof v !== 'object' ? { equals: v } : v), predicateObject);

/** One event name or a non-empty list of them (deduplicated, order kept). */
const eventNames = z.unknown().transform((v, ctx): string | string[] => {
  const bad = (x: unknown) => `must be a non-empty string (got ${show(x)})`;
  if (typeof v === 'string') {
    if (v.length > 0) return v;
    ctx.addIssue({ code: 'custom', message: 'must be an event name or a list of event names (got "")', input: v });
    return z.NEVER;
  }
  if (!Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `must be an event name or a list of event names (got ${show(v)})`, input: v });
    return z.NEVER;
  }
  if (v.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must not be an empty list', input: v });
    return z.NEVER;
  }
  let ok = true;
  v.forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0) {
      ctx.addIssue({ code: 'custom', message: bad(x), path: [i], input: x });
      ok = false;
    }
  });
  return ok ? [...new Set(v as string[])] : z.NEVER;
});

export const selectorSchema = z.strictObject({
  event: eventNames.optional(),
  where: z.record(z.string(), predicate).optional(),
}).superRefine((sel, ctx) => {
  for (const key of Object.keys(sel.where ?? {})) {
    if (!FIELD_PATH_PATTERN.test(key)) {
      ctx.addIssue({ code: 'custom', path: ['where', key], message: 'is not a valid field path (dot-separated non-empty names, no spaces)' });
    }
  }
});

const compareOp = z.enum(['>=', '>', '<=', '<']);

const windowFields = {
  window: requiredDuration(1),
  resolution: duration(1).optional(),
};

const severity = z.enum(SEVERITIES as [string, ...string[]]);
/** `levels: [{severity: warning, value: 0.7}, {severity: critical, value: 0.85}]` (instead of value). */
const levelsOf = (num: z.ZodNumber) => z.array(z.strictObject({ severity, value: num })).min(1).max(4);
/** `value` or `levels` (exactly one: checked in finalize.ts). */
const limitFields = (num: z.ZodNumber = z.number()) => ({ op: compareOp, value: num.optional(), levels: levelsOf(num).optional() });

export const DETECT_VARIANTS = [
  z.strictObject({ type: z.literal('threshold'), ...windowFields, ...limitFields() }),
  z.strictObject({
    type: z.literal('ratio'),
    ...windowFields,
    numerator: selectorSchema,
    ...limitFields(z.number().min(0).max(1)),
    min_total: z.number().int().min(0).optional(),
  }),
  z.strictObject({ type: z.literal('any') }),
  z.strictObject({ type: z.literal('absence'), after: requiredDuration(1) }),
  z.strictObject({
    type: z.literal('spike'),
    ...windowFields,
    baseline: duration(1).optional(),
    seasonality: z.enum(['none', 'daily']).optional(),
    min_count: z.number().int().min(0).optional(),
    direction: z.enum(['up', 'down', 'both']).optional(),
    threshold: z.number().positive().optional(),
    levels: levelsOf(z.number().positive()).optional(),
  }),
  z.strictObject({
    type: z.literal('new_value'),
    field: fieldPath,
    lookback: duration(1).optional(),
    learn: duration().optional(),
    max_values: z.number().int().min(1).max(10_000_000).optional(),
    resolution: duration(1).optional(),
  }),
  z.strictObject({ type: z.literal('cardinality'), ...windowFields, field: fieldPath, ...limitFields() }),
  z.strictObject({
    type: z.literal('quantile'),
    ...windowFields,
    field: fieldPath,
    q: z.number().gt(0).max(1),
    ...limitFields(),
    min_count: z.number().int().min(0).optional(),
  }),
  z.strictObject({ type: z.literal('gauge'), ...windowFields, field: fieldPath, aggregate: z.enum(['last', 'max', 'min', 'avg']).optional(), ...limitFields() }),
  z.strictObject({ type: z.literal('consecutive'), failure: selectorSchema, count: z.number().int().min(1).max(10_000), resolution: duration(1).optional() }),
  z.strictObject({
    type: z.literal('missing_follow_up'),
    follow_up: selectorSchema,
    within: requiredDuration(1),
    max_pending: z.number().int().min(1).max(100_000).optional(),
    max_total_pending: z.number().int().min(1).max(10_000_000).optional(),
    resolution: duration(1).optional(),
  }),
] as const;

export const DETECT_TYPES = DETECT_VARIANTS.map((v) => v.shape.type.value);

const detectSchema = z.discriminatedUnion('type', DETECT_VARIANTS, {
  error: (iss) => {
    if (iss.code !== 'invalid_union') return undefined;
    const input = iss.input as Record<string, unknown> | undefined;
    const t = input !== null && typeof input === 'object' ? input.type : undefined;
    return t === undefined
      ? `is required (one of ${DETECT_TYPES.join(', ')})`
      : `must be one of ${DETECT_TYPES.join(', ')} (got ${show(t)})`;
  },
});

const labelValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) => `must be a string (got ${show(iss.input)})`,
});

export const patternSchema = z.strictObject({
  id: z.string().max(MAX_ID_LENGTH).regex(ID_PATTERN, {
    error: (iss) => `must start with a lowercase letter or digit and contain only a-z, 0-9, _, . and - (got ${show(iss.input)})`,
  }),
  description: z.string().optional(),
  match: selectorSchema,
  group_by: z.array(fieldPath).optional(),
  max_groups: z.number().int().min(1).max(1_000_000).optional(),
  detect: detectSchema,
  grace: duration().optional(),
  for: duration().optional(),
  resolve_after: duration().optional(),
  repeat_interval: duration().optional(),
  severity: z.enum(SEVERITIES as [string, ...string[]]).optional(),
  labels: z.record(z.string(), labelValue).optional(),
  runbook: z.string().min(1).optional(),
  summary: z.string().min(1).optional(),
  redact: z.array(fieldPath).optional(),
  flap_window: duration(1).optional(),
  flap_max_changes: z.number().int().min(1).optional(),
});

export type RawPattern = z.output<typeof patternSchema>;
export type RawSelector = z.output<typeof selectorSchema>;
export type RawDetect = RawPattern['detect'];
