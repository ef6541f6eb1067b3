/**
 * Turns zod issues into one-sentence config messages: `<file>: <key.path>: <message>`.
 * `errorMap` is passed per parse (never installed globally) and words every generic issue;
 * schema-level messages (schema.ts) take precedence over it.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../model/errors.js';
import { show } from './show.js';

type Segment = PropertyKey;

const PLAIN_KEY = /^[A-Za-z0-9_@$-]+$/;

/** `[1].detect.value`, `match.where["http.status"].gte`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const k = String(seg);
      if (PLAIN_KEY.test(k)) out += out === '' ? k : `.${k}`;
      else out += `[${JSON.stringify(k)}]`;
    }
  }
  return out;
}

function article(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Per-key messages of an unrecognized_keys issue, joined with this separator. */
const KEY_SEP = '\u0000';

type RawIssue = z.core.$ZodRawIssue;

/** Generic wording for zod issues (per-parse error map). */
export function errorMap(iss: RawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type':
      if (input === undefined) return 'is required';
      return `must be ${article(iss.expected)} (got ${show(input)})`;
    case 'invalid_value':
      if (iss.values.length === 1) return `must be ${show(iss.values[0])} (got ${show(input)})`;
      return `must be one of ${iss.values.map((v) => String(v)).join(', ')} (got ${show(input)})`;
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      const known = shape === undefined ? [] : Object.keys(shape);
      return iss.keys
        .map((k) => {
          const s = suggest(k, known);
          return s === undefined ? 'unknown key' : `unknown key (did you mean ${s}?)`;
        })
        .join(KEY_SEP);
    }
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array') return min <= 1 ? 'must not be an empty list' : `must have at least ${min} items`;
      if (iss.origin === 'string') return 'must not be empty';
      return `must be ${iss.inclusive === false ? '>' : '>='} ${min} (got ${show(input)})`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return `must have at most ${max} items`;
      if (iss.origin === 'string') return `must be at most ${max} characters long`;
      return `must be ${iss.inclusive === false ? '<' : '<='} ${max} (got ${show(input)})`;
    }
    case 'invalid_union':
      return `has an invalid value (got ${show(input)})`;
    case 'invalid_key':
      return `has an invalid key (got ${show(input)})`;
    default:
      return undefined;
  }
}

/** Converts a failed parse's issues into ConfigIssues; `prefix` is the pattern's position in the file. */
export function toConfigIssues(error: z.ZodError, file: string, prefix: readonly Segment[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of error.issues) {
    const base = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      const msgs = iss.message.split(KEY_SEP);
      iss.keys.forEach((k, i) => {
        out.push({ file, path: formatPath([...base, k]), message: msgs[i] ?? 'unknown key' });
      });
    } else {
      out.push({ file, path: formatPath(base), message: iss.message });
    }
  }
  return out;
}
