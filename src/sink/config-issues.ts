/** zod -> ConfigError with `file: key: message` lines, for the sink config sections. */
import type { z } from 'zod';
import { ConfigError } from '../model/errors.js';
import type { ConfigIssue } from '../model/errors.js';

export function issuePath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Parses `input` (the section found at `prefix` in `file`), throwing ConfigError on problems. */
export function parseSection<S extends z.ZodType>(schema: S, input: unknown, file: string, prefix: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues: ConfigIssue[] = r.error.issues.map((i) => ({ file, path: issuePath(prefix, i.path), message: i.message }));
  throw new ConfigError(issues);
}
