/**
 * Byte-level validating scanner for the fast decode path (src/decode/fast.ts): walks a line's
 * UTF-8 bytes directly, without converting the line to a string first, and records where the
 * values of the interesting top-level keys are. Only their values are ever materialised
 * (strings through a small interning cache, so repeated values such as event names, routes
 * and org ids are not allocated again and keep their hash for later Map lookups).
 *
 * It accepts only "plain ASCII" lines and reports false for everything else, which then takes
 * the string scanner of fast.ts (and, from there, the full decoder):
 *  - every byte is printable ASCII (0x20-0x7f): no control characters (so whitespace between
 *    tokens is spaces only), no multi-byte UTF-8 (so a BOM, U+FFFD or invalid UTF-8 never get
 *    here), no backslash (no escapes at all);
 *  - the line is exactly one JSON object (RFC 8259 grammar), starting at byte 0, optionally
 *    followed by spaces, nesting <= maxDepth (the top-level object is depth 1);
 *  - no forbidden key (`__proto__`, `constructor`, `prototype`) at any depth;
 *  - every interesting key appears at most once and has a scalar value.
 * For such a line, the latin1 decoding of the bytes equals their UTF-8 decoding, and every
 * recorded value equals what JSON.parse gives for it (test/unit/decode/byte-scan.test.ts).
 */
import { FORBIDDEN_KEYS } from './scan.js';

export const T_STRING = 1;
export const T_NUMBER = 2;
export const T_TRUE = 3;
export const T_FALSE = 4;
export const T_NULL = 5;

/** Byte classes inside strings: 0 plain, 1 closing quote, 2 not for this scanner. */
const STR_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) STR_CLASS[c] = c < 0x20 || c === 0x5c || c >= 0x80 ? 2 : c === 0x22 ? 1 : 0;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Key table slot (before masking) from a key's length and first/last bytes: no per-byte hashing. */
function keySlot(len: number, first: number, last: number): number {
  return Math.imul(len, 0x9e3779b1) ^ Math.imul(first, 0x85ebca6b) ^ Math.imul(last, 0x27d4eb2f);
}

interface Latin1 {
  latin1Slice(start: number, end: number): string;
}
/** The bytes [a, e) of an ASCII-validated buffer as a string (latin1 == UTF-8 for ASCII). */
export function asciiString(b: Uint8Array, a: number, e: number): string {
  return (b as unknown as Latin1).latin1Slice(a, e);
}

/** Interning cache slots shared by every key of one scanner (direct-mapped, bounded). */
const INTERN_SLOTS = 1 << 15;
/** Longer strings are not interned (compared byte by byte on a hit, rarely repeated). */
const INTERN_MAX_LEN = 64;
/**
 * Interning hash of the bytes [a, e): every byte of short values; for longer ones the first,
 * middle and last 4 bytes and the length (constant time: values are compared in full on a hit
 * anyway, so a weaker hash only costs a miss on the rare values that differ elsewhere).
 */
function valueHash(b: Uint8Array, a: number, e: number): number {
  let h = FNV_OFFSET;
  const len = e - a;
  if (len <= 12) {
    for (let j = a; j < e; j++) h = Math.imul(h ^ b[j]!, FNV_PRIME);
    return h;
  }
  const m = a + (len >> 1) - 2;
  for (let j = a; j < a + 4; j++) h = Math.imul(h ^ b[j]!, FNV_PRIME);
  for (let j = m; j < m + 4; j++) h = Math.imul(h ^ b[j]!, FNV_PRIME);
  for (let j = e - 4; j < e; j++) h = Math.imul(h ^ b[j]!, FNV_PRIME);
  return Math.imul(h ^ len, FNV_PRIME);
}

/** True when the string `s` is the ASCII bytes [a, a + len) of `b`. */
function equalsBytes(s: string, b: Uint8Array, a: number, len: number): boolean {
  if (s.length !== len) return false;
  for (let j = 0; j < len; j++) if (s.charCodeAt(j) !== b[a + j]) return false;
  return true;
}

/** Minimum slots of the pinned-string table (see createByteScanner's `pinned`); >= 8 per string. */
const PIN_MIN_SLOTS = 1 << 10;

export interface ByteScanner {
  /** Scans `b`; true when it is a plain line (see above). Values stay readable until the next scan. */
  scan(b: Uint8Array): boolean;
  /** Type of key k's value in the last scanned line (T_*), 0 when absent. */
  type(k: number): number;
  /** Number value of key k (T_NUMBER). */
  num(k: number): number;
  /** String value of key k (T_STRING), interned. */
  str(k: number): string;
  /** Value of key k exactly as JSON.parse gives it (k present). */
  value(k: number): unknown;
  /** Start and end (exclusive) byte offsets of a string value's content. */
  strStart(k: number): number;
  strEnd(k: number): number;
}

/**
 * `pinned`: strings returned as these very objects whenever a value equals one of them (the
 * event names and predicate literals of the patterns): the matcher's Map and Set lookups keyed
 * by the patterns' own strings then compare pointers instead of characters, and consecutive
 * events of one name share the name object. Kept apart from the bounded interning cache, so
 * other values never evict them.
 */
export function createByteScanner(keys: readonly string[], maxDepth: number, pinned: readonly string[] = []): ByteScanner {
  const nk = keys.length;
  // Open-addressing key table: entry k + 1 for interesting key k, -1 for a forbidden key.
  let size = 16;
  // Sparse (>= 32 slots per key, a few KB): a key of the line that is not interesting then almost
  // always lands on an empty slot (one probe); measured 5% of the scan with the 21 bundled patterns.
  while (size < 32 * (nk + FORBIDDEN_KEYS.length)) size <<= 1;
  const mask = size - 1;
  const table = new Int16Array(size);
  // Each slot's key as [slotOff, slotOff + slotLen) of one flat byte array: a key compare reads
  // two typed arrays the scan already has at hand, not a Uint8Array object per slot (measured:
  // decoder alone, 21 bundled patterns, -2.5%).
  const slotOff = new Int32Array(size);
  const slotLen = new Int32Array(size);
  const placed: string[] = [];
  let flatLen = 0;
  const hashOf = (s: string): number => keySlot(s.length, s.charCodeAt(0), s.charCodeAt(s.length - 1));
  const place = (s: string, entry: number): void => {
    // Keys with non-ASCII or escaped characters can never be met by this scanner: skip them.
    for (let j = 0; j < s.length; j++) if (STR_CLASS[s.charCodeAt(j)] !== 0) return;
    let slot = hashOf(s) & mask;
    while (table[slot] !== 0) {
      if (placed[slot] === s) return; // forbidden wins
      slot = (slot + 1) & mask;
    }
    table[slot] = entry;
    placed[slot] = s;
    slotOff[slot] = flatLen;
    slotLen[slot] = s.length;
    flatLen += s.length;
  };
  for (const f of FORBIDDEN_KEYS) place(f, -1);
  for (let k = 0; k < nk; k++) place(keys[k]!, k + 1);
  const flat = new Uint8Array(flatLen);
  placed.forEach((s, slot) => {
    for (let j = 0; j < s.length; j++) flat[slotOff[slot]! + j] = s.charCodeAt(j);
  });
  const forbidden = FORBIDDEN_KEYS.map((f) => Uint8Array.from(f, (ch) => ch.charCodeAt(0)));

  const seen = new Int32Array(nk);
  const vType = new Uint8Array(nk);
  const vStart = new Int32Array(nk);
  const vEnd = new Int32Array(nk);
  let gen = 0;
  let buf: Uint8Array = new Uint8Array(0);
  const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);
  // Open addressing (linear probing), at most 1/8 full: every pinned string gets a slot, so two
  // literals whose hashes collide (with the 21 bundled patterns: 'ignored' and '/readyz') are
  // both returned as the patterns' objects. A value that is not pinned stops at the first empty
  // slot: one probe almost always.
  let pinSlots = PIN_MIN_SLOTS;
  while (pinSlots < 8 * pinned.length) pinSlots <<= 1;
  const pinMask = pinSlots - 1;
  const pins: (string | undefined)[] = new Array<string | undefined>(pinSlots);
  for (const p of pinned) {
    if (p.length === 0 || p.length > INTERN_MAX_LEN) continue;
    let ok = true;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      if (c > 0xff || STR_CLASS[c] !== 0) ok = false;
    }
    if (!ok) continue;
    let slot = valueHash(Uint8Array.from(p, (ch) => ch.charCodeAt(0)), 0, p.length) & pinMask;
    while (pins[slot] !== undefined && pins[slot] !== p) slot = (slot + 1) & pinMask;
    pins[slot] = p;
  }

  function sameBytes(b: Uint8Array, a: number, kb: Uint8Array): boolean {
    for (let j = 0; j < kb.length; j++) if (b[a + j] !== kb[j]) return false;
    return true;
  }

  /** True when the key [a, a + len) is a forbidden key (nested keys: not hashed). */
  function isForbidden(b: Uint8Array, a: number, len: number): boolean {
    if (len !== 9 && len !== 11) return false;
    for (let f = 0; f < forbidden.length; f++) if (forbidden[f]!.length === len && sameBytes(b, a, forbidden[f]!)) return true;
    return false;
  }

  /**
   * Index after the closing quote of the string opening at i, or -1. Reading past the end of
   * the view gives undefined, whose class is undefined: the loop stops there without a bounds
   * test per byte.
   */
  function stringEnd(b: Uint8Array, i: number): number {
    let j = i + 1;
    while (STR_CLASS[b[j]!] === 0) j++;
    return b[j] === 34 ? j + 1 : -1;
  }

  /** End of the JSON number at i, or -1. */
  function numberEnd(b: Uint8Array, i: number, n: number): number {
    if (i < n && b[i] === 45) i++;
    if (i >= n) return -1;
    let c = b[i]!;
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while (i < n && (c = b[i]!) >= 48 && c <= 57) i++;
    } else return -1;
    if (i < n && b[i] === 46) {
      const s = ++i;
      while (i < n && (c = b[i]!) >= 48 && c <= 57) i++;
      if (i === s) return -1;
    }
    if (i < n && ((c = b[i]!) === 101 || c === 69)) {
      i++;
      if (i < n && ((c = b[i]!) === 43 || c === 45)) i++;
      const s = i;
      while (i < n && (c = b[i]!) >= 48 && c <= 57) i++;
      if (i === s) return -1;
    }
    return i;
  }

  function literalEnd(b: Uint8Array, i: number, n: number, c: number): number {
    if (c === 116) return i + 3 < n && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? i + 4 : -1;
    if (c === 102) return i + 4 < n && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 ? i + 5 : -1;
    return i + 3 < n && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 ? i + 4 : -1;
  }

  function ws(b: Uint8Array, i: number, n: number): number {
    while (i < n && b[i] === 32) i++;
    return i;
  }

  /** End of any JSON value at i (nesting `depth` so far), or -1. */
  function valueEnd(b: Uint8Array, i: number, n: number, depth: number): number {
    if (i >= n) return -1;
    const c = b[i]!;
    if (c === 34) return stringEnd(b, i);
    if (c === 123 || c === 91) {
      if (depth + 1 > maxDepth) return -1;
      const close = c === 123 ? 125 : 93;
      i = ws(b, i + 1, n);
      if (i < n && b[i] === close) return i + 1;
      for (;;) {
        if (c === 123) {
          if (i >= n || b[i] !== 34) return -1;
          const ke = stringEnd(b, i);
          if (ke < 0 || isForbidden(b, i + 1, ke - i - 2)) return -1;
          i = ws(b, ke, n);
          if (i >= n || b[i] !== 58) return -1;
          i = ws(b, i + 1, n);
        }
        i = valueEnd(b, i, n, depth + 1);
        if (i < 0) return -1;
        i = ws(b, i, n);
        if (i >= n) return -1;
        const d = b[i];
        if (d === close) return i + 1;
        if (d !== 44) return -1;
        i = ws(b, i + 1, n);
      }
    }
    if (c === 116 || c === 102 || c === 110) return literalEnd(b, i, n, c);
    return numberEnd(b, i, n);
  }

  /** Number value of the validated token [a, e), exactly as JSON.parse gives it. */
  function numberValue(b: Uint8Array, a: number, e: number): number {
    const neg = b[a] === 45;
    let i = neg ? a + 1 : a;
    if (e - i <= 15) {
      let v = 0;
      for (; i < e; i++) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) return Number(asciiString(b, a, e));
        v = v * 10 + d;
      }
      return neg ? -v : v;
    }
    return Number(asciiString(b, a, e));
  }

  function scan(b: Uint8Array): boolean {
    const n = b.length;
    if (++gen === 0x7fffffff) {
      gen = 1;
      seen.fill(0);
    }
    buf = b;
    if (n < 2 || b[0] !== 123) return false;
    let i = ws(b, 1, n);
    if (i < n && b[i] === 125) return ws(b, i + 1, n) === n;
    for (;;) {
      if (i >= n || b[i] !== 34) return false;
      // Key: hash while checking its bytes.
      const ks = i + 1;
      let j = ks;
      while (STR_CLASS[b[j]!] === 0) j++;
      if (b[j] !== 34) return false;
      const klen = j - ks;
      let k = -1;
      for (let slot = klen === 0 ? 0 : keySlot(klen, b[ks]!, b[j - 1]!) & mask; ; slot = (slot + 1) & mask) {
        const entry = table[slot]!;
        if (entry === 0) break;
        if (slotLen[slot] === klen) {
          const off = slotOff[slot]! - ks;
          let q = ks;
          while (q < j && b[q] === flat[off + q]) q++;
          if (q === j) {
            if (entry < 0) return false;
            k = entry - 1;
            break;
          }
        }
      }
      i = j + 1;
      if (b[i] === 32) i = ws(b, i, n);
      if (b[i] !== 58) return false;
      i++;
      if (b[i] === 32) i = ws(b, i, n);
      if (i >= n) return false;
      let c = b[i]!;
      if (k < 0) {
        if (c === 34) {
          // Inline string skip (most values).
          j = i + 1;
          while (STR_CLASS[b[j]!] === 0) j++;
          if (b[j] !== 34) return false;
          i = j + 1;
        } else {
          i = valueEnd(b, i, n, 1);
          if (i < 0) return false;
        }
      } else {
        if (seen[k] === gen) return false; // duplicate interesting key
        seen[k] = gen;
        if (c === 34) {
          // The interning hash is computed by str(), only for the values a line's patterns read.
          let q = i + 1;
          while (STR_CLASS[b[q]!] === 0) q++;
          if (b[q] !== 34 || q >= n) return false;
          vType[k] = T_STRING;
          vStart[k] = i + 1;
          vEnd[k] = q;
          i = q + 1;
        } else if (c === 123 || c === 91) {
          return false; // nested value of an interesting key (ECS event, dotted paths): string path
        } else if (c === 116 || c === 102 || c === 110) {
          const e = literalEnd(b, i, n, c);
          if (e < 0) return false;
          vType[k] = c === 116 ? T_TRUE : c === 102 ? T_FALSE : T_NULL;
          i = e;
        } else {
          const e = numberEnd(b, i, n);
          if (e < 0) return false;
          // Parsed by num()/value(), only for the values a line's patterns read.
          vType[k] = T_NUMBER;
          vStart[k] = i;
          vEnd[k] = e;
          i = e;
        }
      }
      if (b[i] === 32) i = ws(b, i, n);
      c = b[i]!;
      if (c === 44) {
        i++;
        if (b[i] === 32) i = ws(b, i, n);
        continue;
      }
      if (c === 125) return ws(b, i + 1, n) === n;
      return false;
    }
  }

  function str(k: number): string {
    const b = buf;
    const a = vStart[k]!;
    const e = vEnd[k]!;
    const len = e - a;
    if (len > INTERN_MAX_LEN) return asciiString(b, a, e);
    const vh = valueHash(b, a, e);
    for (let slot = vh & pinMask; ; slot = (slot + 1) & pinMask) {
      const p = pins[slot];
      if (p === undefined) break;
      if (equalsBytes(p, b, a, len)) return p;
    }
    const slot = (vh ^ Math.imul(k + 1, 0x9e3779b1)) & (INTERN_SLOTS - 1);
    const s = interned[slot];
    if (s !== undefined && equalsBytes(s, b, a, len)) return s;
    const v = asciiString(b, a, e);
    interned[slot] = v;
    return v;
  }

  return {
    scan,
    type: (k) => (seen[k] === gen ? vType[k]! : 0),
    num: (k) => numberValue(buf, vStart[k]!, vEnd[k]!),
    str,
    value(k) {
      const t = vType[k];
      return t === T_STRING ? str(k) : t === T_NUMBER ? numberValue(buf, vStart[k]!, vEnd[k]!) : t === T_TRUE ? true : t === T_FALSE ? false : null;
    },
    strStart: (k) => vStart[k]!,
    strEnd: (k) => vEnd[k]!,
  };
}
