/**
 * Regexes in patterns run on every matching event: only linear-time-safe ones are accepted.
 * Rejected: invalid syntax, backreferences (`\1`, `\k<name>`), lookaround (`(?=`, `(?!`,
 * `(?<=`, `(?<!`), nested quantifiers (star height > 1, via safe-regex2) and more than
 * 25 quantifiers. Regexes are compiled without flags (case-sensitive, unanchored search).
 */
import safeRegex from 'safe-regex2';

export const MAX_REGEX_LENGTH = 1000;

/** The construct that makes `src` unsupported, scanning outside character classes; or undefined. */
function forbiddenConstruct(src: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (!inClass && n !== undefined && ((n >= '1' && n <= '9') || n === 'k')) return 'backreference';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && src[i + 1] === '?') {
      const a = src[i + 2];
      const b = src[i + 3];
      if (a === '=' || a === '!') return 'lookahead';
      if (a === '<' && (b === '=' || b === '!')) return 'lookbehind';
    }
  }
  return undefined;
}

/** An error message (without key path) when `src` is not an acceptable regex, else undefined. */
export function checkRegex(src: string): string | undefined {
  const shown = JSON.stringify(src.length > 60 ? `${src.slice(0, 57)}...` : src);
  if (src.length > MAX_REGEX_LENGTH) return `${shown} is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(src);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : 'syntax error';
    return `${shown} is not a valid regular expression (${why})`;
  }
  const construct = forbiddenConstruct(src);
  if (construct !== undefined) return `${shown} is not linear-time safe (${construct})`;
  if (!safeRegex(src, { limit: Number.MAX_SAFE_INTEGER })) return `${shown} is not linear-time safe (nested quantifier)`;
  if (!safeRegex(src)) return `${shown} is not linear-time safe (more than 25 quantifiers)`;
  return undefined;
}
