/**
 * The fast decode path: a validating scanner over the line's text that extracts only the
 * top-level scalar fields the loaded patterns read (plus the name/time fields), instead of
 * JSON.parse building the whole object.
 *
 * Why hand-written: JSON.parse of a ~300-byte line allocates every key and value (~12 strings,
 * one object with a fresh dictionary shape) and was 27% self time of the engine bench, the
 * largest single cost; the patterns read 1-3 fields of it. V8 offers no partial/lazy parse.
 *
 * Contract (test/unit/decode/fast-path.test.ts checks it against createDecoder):
 *  - A line is taken by the fast path only when the scanner fully validates it as a JSON object
 *    (RFC 8259 grammar, nesting <= maxDepth) AND it is "plain": starts with `{`, no control
 *    characters, no `\u` escapes, no forbidden key at any depth, no U+FFFD, no duplicate or
 *    escaped or object/array-valued interesting key, and name/time decode without error.
 *    Everything else goes to the full decoder, so errors (and their details) are the full
 *    decoder's own.
 *  - For a fast line, name/time/timeSource/partition are those of the full decoder (the same
 *    reader functions run on the extracted scalars), `needed` holds every interesting key (with
 *    `fieldsByName`: every field the patterns that can match this event name read) with
 *    exactly the value JSON.parse would give, and `fields` is JSON.parse of the same text,
 *    materialised lazily (only alert samples read it): the text is valid JSON, so it cannot throw.
 *
 * Paths (ablations, see BENCHMARKS.md): 'full' = createDecoder; 'prefilter' = scan every line,
 * JSON.parse only lines whose event name some pattern references (the others keep lazy fields);
 * 'extract' = scan every line, never JSON.parse on the hot path.
 */
import type { DecodeError, LogEvent } from '../model/event.js';
import { asciiString, createByteScanner, T_NUMBER, T_STRING } from './byte-scan.js';
import type { ByteScanner } from './byte-scan.js';
import { createDecoder, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_NAME_PATHS, DEFAULT_TIME_PATHS, nameTimeReaders } from './decode.js';
import type { Decoder, DecodeOptions } from './decode.js';
import { FORBIDDEN_KEYS } from './scan.js';
import { MAX_EPOCH_MS, parseIsoTimestampBytes } from './timestamp.js';

export type DecodePath = 'full' | 'prefilter' | 'extract';
export const DECODE_PATHS: readonly DecodePath[] = ['full', 'prefilter', 'extract'];

export interface FastDecodeOptions extends DecodeOptions {
  /** Field paths the patterns read (src/match neededFields). */
  fields: readonly string[];
  /** Event names some pattern selects (src/match neededEventNames); null = any name. */
  names: readonly string[] | null;
  path: DecodePath;
  /**
   * Per event name, the subset of `fields` its patterns read (src/match neededFieldsByName);
   * `other` for names not listed. Given, the byte path's `needed` holds only those for each
   * line (the others are absent: a pattern that reads them never sees that name).
   */
  fieldsByName?: { readonly byName: ReadonlyMap<string, readonly string[]>; readonly other: readonly string[] };
  /**
   * The patterns' event names and string literals (src/match neededLiterals): the byte path
   * returns these very string objects for equal values (src/decode/byte-scan.ts `pinned`).
   */
  pinned?: readonly string[];
}

/** A decoded event whose full field object is parsed on first access. */
class ScannedEvent implements LogEvent {
  private parsed: Readonly<Record<string, unknown>> | undefined = undefined;
  constructor(
    readonly name: string,
    readonly time: number,
    readonly timeSource: 'field' | 'record',
    readonly partition: number,
    readonly needed: Readonly<Record<string, unknown>>,
    private readonly text: string,
  ) {}

  get fields(): Readonly<Record<string, unknown>> {
    return (this.parsed ??= JSON.parse(this.text) as Record<string, unknown>);
  }
}

/** Scanner verdict: the line is not for the fast path. */
const BAIL = -1;

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const utf8 = new TextDecoder('utf-8', { fatal: true });
// Any C0 control character: legal only as whitespace between tokens, which the fast path
// leaves to the full decoder (one regex test is cheaper than a check per string character).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;

/*
 * Flat lines (the common case: every value a scalar, no escapes, compact or `, `/`: ` spacing)
 * are validated by one regular expression and their interesting keys found with indexOf. In
 * such a line no string contains a quote, so keys and values are delimited by the next quote (or,
 * for scalars, the next `,`/`}`). Measured cheaper than the token-by-token scanner below (irregexp
 * runs native code over the line) and than JSON.parse (no allocation but the extracted values);
 * other lines take the scanner.
 */
const FLAT_STR = '"[^"\\\\\\u0000-\\u001f]*"';
const FLAT_NUM = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
const FLAT_PAIR = `${FLAT_STR}: ?(?:${FLAT_STR}|${FLAT_NUM}|true|false|null)`;
const FLAT = new RegExp(`^\\{(?:${FLAT_PAIR}(?:, ?${FLAT_PAIR})*)?\\}$`);

/** Every key whose top-level value the readers may look at: each path and its dotted prefixes. */
function interestingKeys(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split('.');
    for (let j = 1; j <= parts.length; j++) out.add(parts.slice(0, j).join('.'));
  }
  return [...out];
}

/**
 * A function building a `needed` record with exactly the properties `names` (in that order),
 * reading key `ks[i]` of the last line the byte scanner scanned for `names[i]` (absent keys give
 * undefined, which every field getter reads like a missing key). Generated once per decoder and
 * event-name plan as one object literal: every event of the plan then shares one hidden class,
 * building it is a handful of stores (measured ~5x cheaper than adding the present keys one by
 * one, which also walks shape transitions), and each generated function sees one scanner, so its
 * `type`/`value` calls are monomorphic and inlined (no intermediate values array: issue 4 round
 * 4). Names are embedded with JSON.stringify and key indices as integers: data, never code.
 */
export function recordFactory(names: readonly string[], ks: readonly number[]): (bs: ByteScanner) => Record<string, unknown> {
  const props = names.map((n, i) => {
    const k = ks[i]!;
    if (!Number.isInteger(k)) throw new Error('recordFactory: key indices must be integers');
    return `${JSON.stringify(n)}: bs.type(${k}) !== 0 ? bs.value(${k}) : undefined`;
  });
  return new Function('bs', `return { ${props.join(', ')} };`) as (bs: ByteScanner) => Record<string, unknown>;
}

export function createFastDecoder(o: FastDecodeOptions): Decoder {
  const full = createDecoder(o);
  if (o.path === 'full' || (o.maxDepth ?? DEFAULT_MAX_DEPTH) < 1) return full;
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = o.maxDepth ?? DEFAULT_MAX_DEPTH;
  const readers = nameTimeReaders(o);
  const keys = interestingKeys([...o.fields, ...readers.paths]);
  const nk = keys.length;
  // Lookup without allocating the key string: candidates by length, then startsWith.
  const byLen: (number[] | undefined)[] = [];
  for (let k = 0; k < nk; k++) (byLen[keys[k]!.length] ??= []).push(k);
  const names = o.names === null ? null : new Set(o.names);
  const parseReferenced = o.path === 'prefilter';
  const vals: unknown[] = new Array<unknown>(nk);
  const seen = new Uint8Array(nk);
  let text = '';
  let len = 0;
  /** Set when the line holds a backslash: strings must then be walked character by character. */
  let escapes = false;

  // Byte-level path (src/decode/byte-scan.ts) for Buffers with the default name/time conventions:
  // plain ASCII lines never become a whole string on the hot path; other lines fall through to
  // the string scanner below. Its `needed` holds only the pattern fields (and their prefixes).
  const bytes = o.eventField === undefined && o.timeField === undefined ? createByteScanner(keys, maxDepth, o.pinned) : null;
  const nameIdx = DEFAULT_NAME_PATHS.map((p) => keys.indexOf(p));
  const [kTimestamp, kAtTimestamp, kTime, kTs] = DEFAULT_TIME_PATHS.map((p) => keys.indexOf(p)) as [number, number, number, number];
  const fieldKeys = new Set(interestingKeys(o.fields));
  // (A forbidden key is never extracted: lines holding one never take the byte path.)
  const neededIdx = keys.flatMap((k, i) => (fieldKeys.has(k) && !FORBIDDEN_KEYS.includes(k) ? [i] : []));
  /**
   * What the byte path extracts for one event name: a record factory reading exactly those keys
   * (indices into `keys`) from the scanner (absent fields undefined).
   */
  interface NamePlan {
    readonly make: (bs: ByteScanner) => Record<string, unknown>;
  }
  const planOf = (fs: readonly string[] | null): NamePlan => {
    const want = fs === null ? null : new Set(interestingKeys(fs));
    const ks = neededIdx.filter((k) => want === null || want.has(keys[k]!));
    return { make: recordFactory(ks.map((k) => keys[k]!), ks) };
  };
  // Per-name extraction (fieldsByName): each event name gets a record of only the fields its
  // candidate patterns read (one shape per name; http_request: route, status, duration_ms
  // instead of every pattern field). Saves the materialisation and the allocation of the others
  // (e.g. org_id on every http_request when only webhook patterns group by it). The matcher's
  // getters are generated per name plan, so each sees one shape. Measured in BENCHMARKS.md
  // (issue 4, all vs core).
  const fullPlan = planOf(null);
  const byNamePlan = new Map<string, NamePlan>();
  let otherPlan = fullPlan;
  if (o.fieldsByName !== undefined) {
    for (const [n, fs] of o.fieldsByName.byName) byNamePlan.set(n, planOf(fs));
    otherPlan = planOf(o.fieldsByName.other);
  }
  const perName = o.fieldsByName !== undefined;
  let lastName = '';
  let lastPlan = fullPlan;

  /** ISO time of string key k in the scanned bytes, or NaN. */
  function isoAt(b: Uint8Array, k: number): number {
    return parseIsoTimestampBytes(b, bytes!.strStart(k), bytes!.strEnd(k), asciiString);
  }

  /** The byte path: the event, or null when the line is not plain (the string path decides). */
  function fromBytes(b: Buffer, recordTimestampMs: number | undefined, partition: number): LogEvent | null {
    const bs = bytes!;
    if (!bs.scan(b)) return null;
    // Name conventions of decode.ts defaultName (nested `event` objects never get here).
    let name: string | undefined;
    for (let j = 0; j < nameIdx.length; j++) {
      const k = nameIdx[j]!;
      const t = bs.type(k);
      if (t === 0) continue;
      if (t !== T_STRING || bs.strEnd(k) === bs.strStart(k)) return null;
      name = bs.str(k);
      break;
    }
    if (name === undefined) return null;
    // Time conventions of decode.ts defaultTime; any error goes to the full decoder.
    let time: number;
    let timeSource: 'field' | 'record' = 'field';
    let t: number;
    if ((t = bs.type(kTimestamp)) !== 0) {
      if (t !== T_STRING) return null;
      time = isoAt(b, kTimestamp);
    } else if ((t = bs.type(kAtTimestamp)) !== 0) {
      if (t !== T_STRING) return null;
      time = isoAt(b, kAtTimestamp);
    } else if ((t = bs.type(kTime)) !== 0) {
      if (t === T_NUMBER) time = bs.num(kTime);
      else if (t === T_STRING) time = isoAt(b, kTime);
      else return null;
    } else if ((t = bs.type(kTs)) !== 0) {
      if (t === T_NUMBER) time = bs.num(kTs) * 1000;
      else if (t === T_STRING) time = isoAt(b, kTs);
      else return null;
    } else {
      if (typeof recordTimestampMs !== 'number' || !Number.isFinite(recordTimestampMs) || recordTimestampMs < 0) return null;
      time = recordTimestampMs;
      timeSource = 'record';
    }
    if (!(time >= 0 && time <= MAX_EPOCH_MS)) return null; // NaN included
    let plan = fullPlan;
    if (perName) {
      if (name === lastName) plan = lastPlan;
      else {
        plan = byNamePlan.get(name) ?? otherPlan;
        lastName = name;
        lastPlan = plan;
      }
    }
    const rec = plan.make(bs);
    const s = asciiString(b, 0, b.length);
    if (parseReferenced && (names === null || names.has(name))) {
      return { name, time, timeSource, fields: JSON.parse(s) as Record<string, unknown>, partition };
    }
    return new ScannedEvent(name, time, timeSource, partition, rec, s);
  }

  const firstChar = keys.map((k) => k.charCodeAt(0));
  const lastChar = keys.map((k) => k.charCodeAt(k.length - 1));

  function keyIndex(a: number, b: number): number {
    const cands = byLen[b - a];
    if (cands === undefined) return -1;
    // First/last character filter before the builtin compare (most same-length keys differ there).
    const c0 = text.charCodeAt(a);
    const c1 = text.charCodeAt(b - 1);
    for (let j = 0; j < cands.length; j++) {
      const k = cands[j]!;
      if (firstChar[k] === c0 && lastChar[k] === c1 && text.startsWith(keys[k]!, a)) return k;
    }
    return -1;
  }

  /**
   * True when the key [a, b) is a forbidden key (src/decode/scan.ts FORBIDDEN_KEYS). Checked for
   * every key at every depth instead of scanning the text with mayContainForbiddenKey; a key
   * spelled with `\u` escapes never gets here (stringEnd bails on `\u`).
   */
  function forbidden(a: number, b: number): boolean {
    const n = b - a;
    return (n === 9 && (text.startsWith('__proto__', a) || text.startsWith('prototype', a))) || (n === 11 && text.startsWith('constructor', a));
  }

  /** End of the string opening at `i` (index after its closing quote), or BAIL. Escapes validated. */
  function stringEnd(i: number): number {
    if (!escapes) {
      const q = text.indexOf('"', i + 1);
      return q === -1 ? BAIL : q + 1;
    }
    for (let j = i + 1; j < len; j++) {
      const c = text.charCodeAt(j);
      if (c === 34) return j + 1;
      if (c === 92) {
        const e = text.charCodeAt(++j);
        // \u escapes go to the full decoder (they could spell a forbidden key or a lone surrogate).
        if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return BAIL;
      }
    }
    return BAIL;
  }

  function ws(i: number): number {
    // Only spaces: tabs/newlines are control characters, already sent to the full path.
    while (i < len && text.charCodeAt(i) === 32) i++;
    return i;
  }

  /** End of the JSON number at `i`, or BAIL. */
  function numberEnd(i: number): number {
    if (text.charCodeAt(i) === 45) i++;
    let c = text.charCodeAt(i);
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while ((c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    } else return BAIL;
    if (text.charCodeAt(i) === 46) {
      i++;
      const s = i;
      while ((c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
      if (i === s) return BAIL;
    }
    c = text.charCodeAt(i);
    if (c === 101 || c === 69) {
      i++;
      c = text.charCodeAt(i);
      if (c === 43 || c === 45) i++;
      const s = i;
      while ((c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
      if (i === s) return BAIL;
    }
    return i;
  }

  /** End of any JSON value at `i` (validated, nesting `depth` so far), or BAIL. */
  function valueEnd(i: number, depth: number): number {
    const c = text.charCodeAt(i);
    if (c === 34) return stringEnd(i);
    if (c === 123 || c === 91) {
      if (depth + 1 > maxDepth) return BAIL;
      const close = c === 123 ? 125 : 93;
      i = ws(i + 1);
      if (text.charCodeAt(i) === close) return i + 1;
      for (;;) {
        if (c === 123) {
          if (text.charCodeAt(i) !== 34) return BAIL;
          const ks = i + 1;
          i = stringEnd(i);
          if (i === BAIL || forbidden(ks, i - 1)) return BAIL;
          i = ws(i);
          if (text.charCodeAt(i) !== 58) return BAIL;
          i = ws(i + 1);
        }
        i = valueEnd(i, depth + 1);
        if (i === BAIL) return BAIL;
        i = ws(i);
        const d = text.charCodeAt(i);
        if (d === close) return i + 1;
        if (d !== 44) return BAIL;
        i = ws(i + 1);
      }
    }
    if (c === 116) return text.startsWith('true', i) ? i + 4 : BAIL;
    if (c === 102) return text.startsWith('false', i) ? i + 5 : BAIL;
    if (c === 110) return text.startsWith('null', i) ? i + 4 : BAIL;
    return numberEnd(i);
  }

  /** Scalar value of the JSON token [a, b) (already validated), exactly as JSON.parse gives it. */
  function scalar(a: number, b: number): unknown {
    const c = text.charCodeAt(a);
    if (c === 34) return text.slice(a + 1, b - 1);
    if (c === 116) return true;
    if (c === 102) return false;
    if (c === 110) return null;
    // Integers of up to 15 digits are exact in a double: accumulate without a substring.
    const neg = c === 45;
    let i = neg ? a + 1 : a;
    if (b - i <= 15) {
      let v = 0;
      for (; i < b; i++) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return Number(text.slice(a, b));
        v = v * 10 + d;
      }
      return neg ? -v : v;
    }
    return Number(text.slice(a, b));
  }

  /** Flat-line extraction into vals/seen (the line matched FLAT: no validation left to do). */
  function flat(): boolean {
    seen.fill(0);
    let i = 1;
    if (text.charCodeAt(i) === 125) return true;
    for (;;) {
      // i: opening quote of a key.
      const ke = text.indexOf('"', i + 1);
      if (forbidden(i + 1, ke)) return false;
      const k = keyIndex(i + 1, ke);
      let v = ke + 2;
      if (text.charCodeAt(v) === 32) v++;
      const c = text.charCodeAt(v);
      let b: number;
      if (c === 34) b = text.indexOf('"', v + 1) + 1;
      else {
        b = v + 1;
        for (let d = text.charCodeAt(b); d !== 44 && d !== 125; d = text.charCodeAt(++b));
      }
      if (k >= 0) {
        if (seen[k] !== 0) return false; // duplicate key
        vals[k] = scalar(v, b);
        seen[k] = 1;
      }
      if (text.charCodeAt(b) === 125) return true;
      i = text.charCodeAt(b + 1) === 32 ? b + 2 : b + 1;
    }
  }

  /** Scans the top-level object into vals/seen. false: not for the fast path. */
  function scan(): boolean {
    seen.fill(0);
    if (text.charCodeAt(0) !== 123) return false;
    let i = ws(1);
    if (text.charCodeAt(i) === 125) return ws(i + 1) === len;
    for (;;) {
      if (text.charCodeAt(i) !== 34) return false;
      const ke = stringEnd(i);
      if (ke === BAIL || forbidden(i + 1, ke - 1)) return false;
      const k = keyIndex(i + 1, ke - 1);
      if (k >= 0 && (seen[k] !== 0 || (escapes && text.lastIndexOf('\\', ke - 2) > i))) return false; // duplicate / escaped key
      i = ws(ke);
      if (text.charCodeAt(i) !== 58) return false;
      i = ws(i + 1);
      const ve = valueEnd(i, 1);
      if (ve === BAIL) return false;
      if (k >= 0) {
        const c = text.charCodeAt(i);
        if (c === 123 || c === 91) return false; // nested value of an interesting key (ECS event, dotted paths)
        if (c === 34 && escapes && text.indexOf('\\', i) < ve) return false; // escaped value
        vals[k] = scalar(i, ve);
        seen[k] = 1;
      }
      i = ws(ve);
      const d = text.charCodeAt(i);
      if (d === 125) return ws(i + 1) === len;
      if (d !== 44) return false;
      i = ws(i + 1);
    }
  }

  return function fastDecodeLine(raw, recordTimestampMs, partition = 0): LogEvent | DecodeError {
    let s: string;
    if (typeof raw === 'string') {
      // Conservative: lines that could be near the byte limit, or hold lone surrogates, go full.
      if (raw.length === 0 || raw.length * 3 > maxBytes || !isWellFormed(raw)) return full(raw, recordTimestampMs, partition);
      s = raw;
    } else {
      if (raw.length === 0 || raw.length > maxBytes) return full(raw, recordTimestampMs, partition);
      if (bytes !== null && Buffer.isBuffer(raw)) {
        const ev = fromBytes(raw, recordTimestampMs, partition);
        if (ev !== null) return ev;
      }
      if (Buffer.isBuffer(raw)) {
        // Buffer#toString is ~2x cheaper than the fatal TextDecoder (measured, BENCHMARKS.md) but
        // replaces invalid sequences with U+FFFD instead of failing: any U+FFFD (or a BOM, which
        // it keeps and TextDecoder strips) sends the line to the full decoder, which decides.
        s = raw.toString('utf8');
        if (s.includes('\uFFFD')) return full(raw, recordTimestampMs, partition);
      } else {
        try {
          s = utf8.decode(raw);
        } catch {
          return full(raw, recordTimestampMs, partition);
        }
      }
    }
    text = s;
    len = s.length;
    let ok = FLAT.test(s) && flat();
    if (!ok && !CONTROL.test(s)) {
      escapes = s.includes('\\');
      ok = scan();
    }
    text = '';
    if (!ok) return full(raw, recordTimestampMs, partition);
    const rec: Record<string, unknown> = {};
    for (let k = 0; k < nk; k++) if (seen[k] !== 0) rec[keys[k]!] = vals[k];
    vals.fill(undefined);
    const name = readers.getName(rec);
    if (typeof name !== 'string') return full(raw, recordTimestampMs, partition);
    const t = readers.getTime(rec);
    let time: number;
    let timeSource: 'field' | 'record';
    if (t === undefined) {
      if (typeof recordTimestampMs !== 'number' || !Number.isFinite(recordTimestampMs) || recordTimestampMs < 0) return full(raw, recordTimestampMs, partition);
      time = recordTimestampMs;
      timeSource = 'record';
    } else if (typeof t === 'number') {
      time = t;
      timeSource = 'field';
    } else {
      return full(raw, recordTimestampMs, partition);
    }
    if (parseReferenced && (names === null || names.has(name))) {
      return { name, time, timeSource, fields: JSON.parse(s) as Record<string, unknown>, partition };
    }
    return new ScannedEvent(name, time, timeSource, partition, rec, s);
  };
}
