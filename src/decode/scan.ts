/**
 * Cheap structural checks done before/after JSON.parse, without recursion.
 */

/** Keys rejected anywhere in a line: prototype-pollution vectors for naive consumers. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * True when bracket nesting (`{`/`[` outside strings) goes deeper than `limit`; stops at the
 * first excess. One linear pass, no recursion, so it also shields JSON.parse from absurd nesting.
 * Malformed JSON is fine here: JSON.parse reports it afterwards.
 */
export function bracketDepthExceeds(text: string, limit: number): boolean {
  // Fast path: nesting can't exceed the number of opening brackets (native indexOf is
  // several times faster than a charCodeAt loop, and typical log lines have only a few).
  let openers = 0;
  for (let i = text.indexOf('{'); i !== -1 && openers <= limit; i = text.indexOf('{', i + 1)) openers++;
  for (let i = text.indexOf('['); i !== -1 && openers <= limit; i = text.indexOf('[', i + 1)) openers++;
  if (openers <= limit) return false;

  let depth = 0;
  let inString = false;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/**
 * True when the raw text could contain a forbidden key (directly, or spelled with `\u`
 * escapes); false means it certainly does not. `proto` covers `__proto__` and `prototype`.
 */
export function mayContainForbiddenKey(text: string): boolean {
  return text.includes('proto') || text.includes('constructor') || text.includes('\\u');
}

const own = Object.prototype.hasOwnProperty;

/** The first forbidden key found anywhere in a parsed JSON value (iterative walk), or undefined. */
export function findForbiddenKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
      continue;
    }
    const rec = v as Record<string, unknown>;
    for (const k of FORBIDDEN_KEYS) if (own.call(rec, k)) return k;
    for (const k of Object.keys(rec)) {
      const x = rec[k];
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return undefined;
}
