/**
 * decode: one raw line (bytes or string) -> LogEvent | DecodeError. Never throws.
 *
 * Conventions (first present wins; a present field of the wrong type is `wrong_type`, not skipped):
 *  - name: `event` when it is a string (structlog); when `event` is an object (ECS) its `action`,
 *    then `name`; the flattened ECS keys `"event.action"`, `"event.name"`; then `msg` (pino);
 *    then `message`. ECS comes before `msg`/`message` because ECS lines carry a human `message`
 *    besides the machine-readable `event.action`. `eventField` replaces all of this with one path.
 *  - time: `timestamp`, `@timestamp` (ISO 8601 string), `time` (epoch ms number, pino; or ISO
 *    string, bunyan/logrus), `ts` (epoch seconds number, zap/structlog; or ISO string).
 *    ISO without a zone is UTC. Times must fall in [1970-01-01, year 275760]: else `bad_timestamp`.
 *    No time field: the record timestamp (`timeSource: 'record'`); no record timestamp either
 *    (replay, stdin) -> `missing_timestamp`.
 *  - `timeField` replaces the time conventions with one path, read per `timeFormat`
 *    (`auto`: strings are ISO, numbers >= 1e11 epoch ms, smaller numbers epoch seconds).
 */
import { compileFieldPath, type FieldGetter } from '../model/field-path.js';
import type { DecodeError, DecodeErrorReason, LogEvent } from '../model/event.js';
import { bracketDepthExceeds, findForbiddenKey, mayContainForbiddenKey } from './scan.js';
import { MAX_EPOCH_MS, parseIsoTimestampCached } from './timestamp.js';

export type TimeFormat = 'auto' | 'iso' | 'epoch_ms' | 'epoch_s';

export interface DecodeOptions {
  /** Read the event name from this field path only (dotted paths allowed). */
  eventField?: string;
  /** Read the event time from this field path only (dotted paths allowed). */
  timeField?: string;
  /** How to read `timeField`; default `auto`. Ignored without `timeField`. */
  timeFormat?: TimeFormat;
  /** Max line size in UTF-8 bytes; default 64 KiB. */
  maxBytes?: number;
  /** Max `{`/`[` nesting; default 16 (a flat object is depth 1). */
  maxDepth?: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024;
export const DEFAULT_MAX_DEPTH = 16;

export type Decoder = (raw: Uint8Array | string, recordTimestampMs?: number, partition?: number) => LogEvent | DecodeError;

function fail(reason: DecodeErrorReason, detail: string): DecodeError {
  return { kind: 'decode_error', reason, detail };
}

/** A short, log-safe rendering of a value for error details. */
function preview(v: unknown): string {
  let s: string;
  if (v === undefined) return 'undefined';
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const own = Object.prototype.hasOwnProperty;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Name result: the name, or an error. `undefined` means "no name field here, keep looking". */
type NameResult = string | DecodeError | undefined;

function nameFrom(v: unknown, field: string): NameResult {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    return v.length > 0 ? v : fail('wrong_type', `event name field "${field}" is an empty string`);
  }
  return fail('wrong_type', `event name field "${field}" must be a string, got ${kindOf(v)} ${preview(v)}`);
}

function defaultName(f: Record<string, unknown>): string | DecodeError {
  const ev = f.event;
  if (ev !== undefined) {
    if (typeof ev === 'string') {
      return ev.length > 0 ? ev : fail('wrong_type', 'event name field "event" is an empty string');
    }
    if (!isRecord(ev)) {
      return fail('wrong_type', `event name field "event" must be a string or an ECS object, got ${kindOf(ev)} ${preview(ev)}`);
    }
    const r = nameFrom(own.call(ev, 'action') ? ev.action : undefined, 'event.action') ??
      nameFrom(own.call(ev, 'name') ? ev.name : undefined, 'event.name');
    if (r !== undefined) return r;
  }
  const r = nameFrom(f['event.action'], 'event.action') ??
    nameFrom(f['event.name'], 'event.name') ??
    nameFrom(f.msg, 'msg') ??
    nameFrom(f.message, 'message');
  return r ?? fail('missing_event', 'no event name field (event, event.action, event.name, msg, message)');
}

/** Validates an epoch-ms time; returns it or an error. */
function checkEpoch(t: number, field: string, raw: unknown): number | DecodeError {
  if (!Number.isFinite(t) || t < 0 || t > MAX_EPOCH_MS) {
    return fail('bad_timestamp', `time field "${field}" is out of range: ${preview(raw)}`);
  }
  return t;
}

function isoTime(v: string, field: string): number | DecodeError {
  const t = parseIsoTimestampCached(v);
  if (Number.isNaN(t)) return fail('bad_timestamp', `time field "${field}" is not an ISO 8601 timestamp: ${preview(v)}`);
  return checkEpoch(t, field, v);
}

function wrongTimeType(field: string, expected: string, v: unknown): DecodeError {
  return fail('wrong_type', `time field "${field}" must be ${expected}, got ${kindOf(v)} ${preview(v)}`);
}

/** Time conventions. `undefined`: no time field at all. */
function defaultTime(f: Record<string, unknown>): number | DecodeError | undefined {
  let v = f.timestamp;
  if (v !== undefined) return typeof v === 'string' ? isoTime(v, 'timestamp') : wrongTimeType('timestamp', 'an ISO 8601 string', v);
  v = f['@timestamp'];
  if (v !== undefined) return typeof v === 'string' ? isoTime(v, '@timestamp') : wrongTimeType('@timestamp', 'an ISO 8601 string', v);
  v = f.time;
  if (v !== undefined) {
    if (typeof v === 'number') return checkEpoch(v, 'time', v);
    if (typeof v === 'string') return isoTime(v, 'time');
    return wrongTimeType('time', 'epoch milliseconds or an ISO 8601 string', v);
  }
  v = f.ts;
  if (v !== undefined) {
    if (typeof v === 'number') return checkEpoch(v * 1000, 'ts', v);
    if (typeof v === 'string') return isoTime(v, 'ts');
    return wrongTimeType('ts', 'epoch seconds or an ISO 8601 string', v);
  }
  return undefined;
}

function customTime(get: FieldGetter, field: string, format: TimeFormat): (f: Record<string, unknown>) => number | DecodeError | undefined {
  return (f) => {
    const v = get(f);
    if (v === undefined) return undefined;
    if (typeof v === 'string' && (format === 'auto' || format === 'iso')) return isoTime(v, field);
    if (typeof v === 'number') {
      if (format === 'epoch_ms') return checkEpoch(v, field, v);
      if (format === 'epoch_s') return checkEpoch(v * 1000, field, v);
      if (format === 'auto') return checkEpoch(Math.abs(v) >= 1e11 ? v : v * 1000, field, v);
    }
    const expected = format === 'iso' ? 'an ISO 8601 string' : format === 'auto' ? 'a number or an ISO 8601 string' : 'a number';
    return wrongTimeType(field, expected, v);
  };
}

/** String.prototype.isWellFormed (Node 20+, typed only from lib ES2024). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The name/time conventions for an option set (shared with the fast path, src/decode/fast.ts). */
export interface NameTimeReaders {
  getName(f: Record<string, unknown>): string | DecodeError;
  /** `undefined`: no time field at all. */
  getTime(f: Record<string, unknown>): number | DecodeError | undefined;
  /** Every top-level key (or dotted path) the two readers can look at. */
  readonly paths: readonly string[];
}

export const DEFAULT_NAME_PATHS: readonly string[] = ['event', 'event.action', 'event.name', 'msg', 'message'];
export const DEFAULT_TIME_PATHS: readonly string[] = ['timestamp', '@timestamp', 'time', 'ts'];

export function nameTimeReaders(opts: DecodeOptions): NameTimeReaders {
  const getName: (f: Record<string, unknown>) => string | DecodeError = opts.eventField === undefined
    ? defaultName
    : ((get, field) => (f: Record<string, unknown>) =>
        nameFrom(get(f), field) ?? fail('missing_event', `no event name field "${field}"`))(compileFieldPath(opts.eventField), opts.eventField);
  const getTime = opts.timeField === undefined
    ? defaultTime
    : customTime(compileFieldPath(opts.timeField), opts.timeField, opts.timeFormat ?? 'auto');
  const paths = [...(opts.eventField === undefined ? DEFAULT_NAME_PATHS : [opts.eventField]), ...(opts.timeField === undefined ? DEFAULT_TIME_PATHS : [opts.timeField])];
  return { getName, getTime, paths };
}

/** Build a decoder once per option set; the returned function is the hot path. */
export function createDecoder(opts: DecodeOptions = {}): Decoder {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const { getName, getTime } = nameTimeReaders(opts);

  return function decodeLine(raw, recordTimestampMs, partition = 0) {
    try {
      let text: string;
      if (typeof raw === 'string') {
        if (raw.length === 0) return fail('empty', 'empty line');
        // UTF-16 units <= UTF-8 bytes <= 3 * units: only measure when it could matter.
        if (raw.length > maxBytes || (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes)) {
          return fail('too_large', `line is larger than ${maxBytes} bytes`);
        }
        if (!isWellFormed(raw)) return fail('invalid_utf8', 'line contains a lone UTF-16 surrogate');
        text = raw;
      } else {
        if (raw.length === 0) return fail('empty', 'empty line');
        if (raw.length > maxBytes) return fail('too_large', `line is ${raw.length} bytes, larger than ${maxBytes}`);
        try {
          text = utf8.decode(raw);
        } catch {
          return fail('invalid_utf8', 'line is not valid UTF-8');
        }
      }

      // First significant character decides object vs the rest without parsing twice.
      let i = 0;
      const len = text.length;
      let c = 0;
      while (i < len) {
        c = text.charCodeAt(i);
        if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) break;
        i++;
      }
      if (i === len) return fail('empty', 'line is only whitespace');
      if (bracketDepthExceeds(text, maxDepth)) return fail('too_deep', `line nests deeper than ${maxDepth} levels`);

      let parsed: unknown;
      try {
        parsed = JSON.parse(i === 0 ? text : text.slice(i));
      } catch {
        return fail('not_json', 'line is not valid JSON');
      }
      if (!isRecord(parsed)) return fail('not_object', `line is JSON ${kindOf(parsed)}, not an object`);
      if (mayContainForbiddenKey(text)) {
        const k = findForbiddenKey(parsed);
        if (k !== undefined) return fail('forbidden_key', `line contains the forbidden key "${k}"`);
      }

      const name = getName(parsed);
      if (typeof name !== 'string') return name;

      const t = getTime(parsed);
      let time: number;
      let timeSource: 'field' | 'record';
      if (t === undefined) {
        if (typeof recordTimestampMs !== 'number' || !Number.isFinite(recordTimestampMs) || recordTimestampMs < 0) {
          return fail('missing_timestamp', 'no time field and no record timestamp');
        }
        time = recordTimestampMs;
        timeSource = 'record';
      } else if (typeof t === 'number') {
        time = t;
        timeSource = 'field';
      } else {
        return t;
      }
      return { name, time, timeSource, fields: parsed, partition };
    } catch (e) {
      // Defensive: nothing above should throw, but decode must never throw.
      return fail('not_json', `unexpected decoder failure: ${e instanceof Error ? e.name : 'unknown'}`);
    }
  };
}

const decoders = new WeakMap<DecodeOptions, Decoder>();

/**
 * Convenience form of createDecoder; caches the compiled decoder per options object,
 * so pass the same `opts` object on every call (or use createDecoder directly).
 */
export function decode(raw: Uint8Array | string, opts: DecodeOptions, recordTimestampMs?: number, partition = 0): LogEvent | DecodeError {
  let d = decoders.get(opts);
  if (d === undefined) {
    d = createDecoder(opts);
    decoders.set(opts, d);
  }
  return d(raw, recordTimestampMs, partition);
}
