/**
 * Strict ISO 8601 / RFC 3339 timestamp parsing, hand-rolled for the hot path
 * (Date.parse accepts far too much: "March 7", "2024", locale formats...).
 *
 * Accepted: `YYYY-MM-DD` optionally followed by `T`/`t`/space and `HH:MM[:SS[.fraction]]`,
 * optionally followed by `Z`/`z`, `±HH:MM`, `±HHMM` or `±HH`. No zone means UTC.
 * Fractions of any length are accepted (truncated to milliseconds); `,` works as `.`.
 */

/** Largest |epoch ms| a JS Date can hold. */
export const MAX_EPOCH_MS = 8.64e15;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Reads `n` ASCII digits at `i`; -1 if any is not a digit or the string is too short. */
function num(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Epoch milliseconds, or NaN when `s` is not a valid ISO 8601 timestamp. */
export function parseIsoTimestamp(s: string): number {
  const len = s.length;
  if (len < 10 || len > 64) return NaN;
  const year = num(s, 0, 4);
  // Date.UTC maps years 0-99 to 1900-1999; such timestamps are garbage in logs anyway.
  if (year < 100 || s.charCodeAt(4) !== 45 /* - */) return NaN;
  const month = num(s, 5, 2);
  if (month < 1 || month > 12 || s.charCodeAt(7) !== 45) return NaN;
  const day = num(s, 8, 2);
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > dim) return NaN;
  if (len === 10) return Date.UTC(year, month - 1, day);

  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return NaN;
  const hour = num(s, 11, 2);
  if (hour < 0 || hour > 23 || s.charCodeAt(13) !== 58 /* : */) return NaN;
  const minute = num(s, 14, 2);
  if (minute < 0 || minute > 59) return NaN;
  let i = 16;
  let second = 0;
  let hasSeconds = false;
  if (i < len && s.charCodeAt(i) === 58) {
    second = num(s, i + 1, 2);
    if (second < 0 || second > 60) return NaN; // 60: leap second, rolls over
    i += 3;
    hasSeconds = true;
  }
  if (!readTail(s, i, hasSeconds)) return NaN;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, tailMs) - tailOffsetMin * 60_000;
  return Number.isFinite(t) ? t : NaN;
}

// Out-values of readTail (module-level so the hot path allocates nothing).
let tailMs = 0;
let tailOffsetMin = 0;

/**
 * Reads `[.fraction][zone]` from `i` to the end of `s` into tailMs / tailOffsetMin; false when it
 * is not valid. A fraction is only allowed after seconds.
 */
function readTail(s: string, i: number, allowFraction: boolean): boolean {
  const len = s.length;
  tailMs = 0;
  tailOffsetMin = 0;
  const c = i < len ? s.charCodeAt(i) : 0;
  if (allowFraction && (c === 46 /* . */ || c === 44) /* , */) {
    i++;
    const start = i;
    let frac = 0;
    let scale = 100;
    while (i < len) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (scale >= 1) {
        frac += d * scale;
        scale /= 10;
      }
      i++;
    }
    if (i === start || i - start > 12) return false;
    tailMs = frac;
  }
  if (i < len) {
    const z = s.charCodeAt(i);
    if (z === 90 /* Z */ || z === 122 /* z */) {
      i++;
    } else if (z === 43 /* + */ || z === 45 /* - */) {
      const oh = num(s, i + 1, 2);
      if (oh < 0 || oh > 23) return false;
      i += 3;
      let om = 0;
      if (i < len) {
        if (s.charCodeAt(i) === 58) i++;
        om = num(s, i, 2);
        if (om < 0 || om > 59) return false;
        i += 2;
      }
      tailOffsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return false;
    }
  }
  return i === len;
}

/*
 * Memoised form. Log lines arrive in time order, so consecutive lines mostly share their
 * `YYYY-MM-DDTHH:MM:SS` prefix: we keep the last prefix with its epoch value and only parse the
 * fraction and zone. (Date.UTC plus field validation was ~3% of the engine bench profile; the
 * cache turns it into one `startsWith` and a few digit reads.) Results are identical to
 * parseIsoTimestamp (test/unit/decode/timestamp-cache.test.ts): Date.UTC is linear in the
 * milliseconds far from the representable range's edges, and only such prefixes are cached.
 */
let cachePrefix = '';
let cacheBase = NaN;
const CACHE_EDGE = MAX_EPOCH_MS - 2 * 86_400_000;

/** The `[.fraction][zone]` tail after `YYYY-MM-DDTHH:MM:SS` (index 19), from the prefix's epoch value. */
function tailAfterSeconds(s: string, base: number): number {
  return readTail(s, 19, true) ? base + tailMs - tailOffsetMin * 60_000 : NaN;
}

/** parseIsoTimestamp, memoised on the last seen `YYYY-MM-DDTHH:MM:SS` prefix (same results). */
export function parseIsoTimestampCached(s: string): number {
  const len = s.length;
  if (len >= 19 && len <= 64 && cachePrefix !== '' && s.startsWith(cachePrefix)) return tailAfterSeconds(s, cacheBase);
  const t = parseIsoTimestamp(s);
  if (!Number.isNaN(t) && len >= 19 && s.charCodeAt(16) === 58 /* : */) {
    const prefix = s.slice(0, 19);
    const base = parseIsoTimestamp(prefix);
    if (Number.isFinite(base) && Math.abs(base) < CACHE_EDGE) {
      // Flatten (a slice keeps its parent line alive otherwise).
      cachePrefix = (' ' + prefix).slice(1);
      cacheBase = base;
    }
  }
  return t;
}

/*
 * Byte form for the byte-level fast path (src/decode/byte-scan.ts): the same memo, on the
 * bytes of an ASCII-validated timestamp, so the hot path never materialises the string. A
 * miss decodes the bytes and runs parseIsoTimestamp; results equal parseIsoTimestamp of the
 * same text (test/unit/decode/timestamp-bytes.test.ts).
 */
const bytesPrefix = new Uint8Array(19);
let bytesBase = NaN;

/** Reads `n` ASCII digits of `b` at `i` (below `e`); -1 if any is not a digit or out of range. */
function numB(b: Uint8Array, i: number, e: number, n: number): number {
  if (i + n > e) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = b[i + k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** readTail over bytes [i, e) (fraction allowed: only called after seconds). */
function readTailBytes(b: Uint8Array, i: number, e: number): boolean {
  tailMs = 0;
  tailOffsetMin = 0;
  const c = i < e ? b[i]! : 0;
  if (c === 46 || c === 44) {
    i++;
    const start = i;
    let frac = 0;
    let scale = 100;
    while (i < e) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      if (scale >= 1) {
        frac += d * scale;
        scale /= 10;
      }
      i++;
    }
    if (i === start || i - start > 12) return false;
    tailMs = frac;
  }
  if (i < e) {
    const z = b[i]!;
    if (z === 90 || z === 122) {
      i++;
    } else if (z === 43 || z === 45) {
      const oh = numB(b, i + 1, e, 2);
      if (oh < 0 || oh > 23) return false;
      i += 3;
      let om = 0;
      if (i < e) {
        if (b[i] === 58) i++;
        om = numB(b, i, e, 2);
        if (om < 0 || om > 59) return false;
        i += 2;
      }
      tailOffsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return false;
    }
  }
  return i === e;
}

/**
 * parseIsoTimestamp of the ASCII bytes [a, e) of `b`, memoised on the last seen
 * `YYYY-MM-DDTHH:MM:SS` prefix (same results). `toString` decodes [a, e) on a miss.
 */
export function parseIsoTimestampBytes(b: Uint8Array, a: number, e: number, toString: (b: Uint8Array, a: number, e: number) => string): number {
  const len = e - a;
  if (len >= 19 && len <= 64 && !Number.isNaN(bytesBase)) {
    let j = 0;
    while (j < 19 && b[a + j] === bytesPrefix[j]) j++;
    if (j === 19) return readTailBytes(b, a + 19, e) ? bytesBase + tailMs - tailOffsetMin * 60_000 : NaN;
  }
  const s = toString(b, a, e);
  const t = parseIsoTimestamp(s);
  if (!Number.isNaN(t) && len >= 19 && s.charCodeAt(16) === 58 /* : */) {
    const base = parseIsoTimestamp(s.slice(0, 19));
    if (Number.isFinite(base) && Math.abs(base) < CACHE_EDGE) {
      bytesPrefix.set(b.subarray(a, a + 19));
      bytesBase = base;
    }
  }
  return t;
}
