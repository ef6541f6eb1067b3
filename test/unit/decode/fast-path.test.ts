/**
 * Differential tests of the fast decode paths (src/decode/fast.ts) against the full decoder:
 * the same LogEvent (name, time, timeSource, partition, fields) or the same DecodeError (reason
 * and detail) for every line, the same match results, and identical replay output, over random
 * valid and invalid lines, the bad-input corpus and the demo sample.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoSample } from '../../../src/cli/demo-sample.js';
import { loadPatterns } from '../../../src/config/index.js';
import { createDecoder } from '../../../src/decode/decode.js';
import type { DecodeOptions } from '../../../src/decode/decode.js';
import { createFastDecoder, DECODE_PATHS } from '../../../src/decode/fast.js';
import type { DecodePath } from '../../../src/decode/fast.js';
import { parseIsoTimestamp, parseIsoTimestampCached } from '../../../src/decode/timestamp.js';
import { createMatcher, neededEventNames, neededFields } from '../../../src/match/index.js';
import { compileFieldPath } from '../../../src/model/field-path.js';
import { isDecodeError } from '../../../src/model/event.js';
import type { DecodeError, LogEvent } from '../../../src/model/event.js';
import type { Matcher } from '../../../src/model/match.js';
import type { Pattern } from '../../../src/model/pattern.js';
import { createDetection } from '../../../src/pipeline.js';
import { corpusRaw, loadCorpus } from '../../support/bad-input-corpus.js';

let patterns: Pattern[] = [];
let matcher: Matcher;
beforeAll(async () => {
  patterns = await loadPatterns('patterns');
  matcher = createMatcher(patterns);
});

/** Field lists beyond the bundled patterns': dotted paths, ECS-style keys. */
const EXTRA_FIELDS = [[], ['a.b', 'status', 'http.response.status_code', 'event.outcome']];
const OPTION_SETS: DecodeOptions[] = [{}, { maxDepth: 3, maxBytes: 400 }, { eventField: 'a.b', timeField: 't' }, { timeField: 'ts', timeFormat: 'epoch_s' }];

interface Pair {
  full: (raw: string | Uint8Array, rec?: number, part?: number) => LogEvent | DecodeError;
  fast: (raw: string | Uint8Array, rec?: number, part?: number) => LogEvent | DecodeError;
  fields: string[];
  path: DecodePath;
}

const pairs: Pair[] = [];
function buildPairs(): Pair[] {
  if (pairs.length > 0) return pairs;
  const names = neededEventNames(patterns);
  for (const o of OPTION_SETS) {
    for (const extra of EXTRA_FIELDS) {
      const fields = [...neededFields(patterns), ...extra];
      for (const path of DECODE_PATHS) {
        pairs.push({ full: createDecoder(o), fast: createFastDecoder({ ...o, fields, names, path }), fields, path });
      }
    }
  }
  return pairs;
}

let compared = 0;
let fastTaken = 0;

/** Asserts fast == full for one input. */
function same(raw: string | Uint8Array, rec?: number, part = 0): void {
  for (const p of buildPairs()) {
    const a = p.full(raw, rec, part);
    const b = p.fast(raw, rec, part);
    compared++;
    if (isDecodeError(a)) {
      expect(b).toEqual(a);
      continue;
    }
    expect(isDecodeError(b)).toBe(false);
    const e = b as LogEvent;
    if (e.needed !== undefined) fastTaken++;
    expect({ name: e.name, time: e.time, timeSource: e.timeSource, partition: e.partition }).toEqual({ name: a.name, time: a.time, timeSource: a.timeSource, partition: a.partition });
    expect(e.fields).toEqual(a.fields);
    if (e.needed !== undefined) {
      for (const f of p.fields) {
        const get = compileFieldPath(f);
        expect(Object.is(get(e.needed), get(a.fields)), `field ${f}`).toBe(true);
      }
    }
    expect(matcher(e)).toEqual(matcher(a));
  }
}

const KEYS = ['event', 'timestamp', '@timestamp', 'time', 'ts', 'msg', 'message', 'event.action', 'event.name', 'route', 'status', 'org_id', 'destination_host', 'duration_ms', 'stripe_event_type', 'to', 'result', 'job', 'mount', 'used_ratio', 'stripe_event_id', 'a', 'a.b', 't', 'http', 'x', 'level', '__proto__', 'constructor'];
const NAMES = ['http_request', 'stripe_webhook_processed', 'organization_billing_status_changed', 'export_webhook_failed', 'email_job', 'readyz_probe', 'unrelated', ''];
const TIMES = ['2026-11-20T12:00:00.123Z', '2026-11-20T12:00:00Z', '2026-11-20T12:00:01.5+02:00', '2026-11-20 12:00', '2026-02-30T00:00:00Z', 'yesterday', '275760-09-13T00:00:00Z'];

const scalar = fc.oneof(
  fc.constantFrom(...NAMES, ...TIMES, '/healthz', '/v1/orders/{id}', 'invoice.paid', 'inactive', 'active', 'error', 'ok', 'unhealthy', 'h\\"q', 'tab\there', 'nl\nx', 'é€😀', '\ud800'),
  fc.integer({ min: -1e6, max: 2e12 }),
  fc.constantFrom(503, 429, 200, 0, -0, 1e21, 1.5, 1709287200, 1709287200000, 1e300),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const value = fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) }, { weight: 1, arbitrary: fc.record({ action: scalar, name: scalar, b: scalar }, { requiredKeys: [] }) });
const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) });
const sep = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n');

/** An object line built from entries (duplicates allowed), with random spacing. */
const objectLine = fc.tuple(fc.array(fc.tuple(key, value, sep), { maxLength: 10 }), sep, sep).map(([entries, a, b]) => {
  const body = entries.map(([k, v, s]) => `${JSON.stringify(k)}${s}:${s}${JSON.stringify(v) ?? 'null'}`).join(`,${a}`);
  return `${b}{${a}${body}${a}}${b}`;
});

/** A realistic line with the interesting fields present. */
const realistic = fc
  .record({ event: fc.constantFrom(...NAMES), timestamp: fc.constantFrom(...TIMES), route: fc.constantFrom('/healthz', '/readyz', '/v1/x'), status: fc.constantFrom(200, 503, 429, '503'), org_id: fc.constantFrom('org_1', 'org_2', 7), stripe_event_type: fc.constantFrom('invoice.paid', 'x'), to: fc.constantFrom('active', 'inactive'), extra: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: ['event', 'timestamp'] })
  .map((o) => JSON.stringify(o));

/** Random edits: the region between valid and garbage. */
const mutated = fc.tuple(fc.oneof(realistic, objectLine), fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'rep'), fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', 'e', '.', 'n', 't', '\u0001', 'x', '\\u0041')), { minLength: 1, maxLength: 3 })).map(([line, edits]) => {
  let s = line;
  for (const [pos, op, ch] of edits) {
    const i = s.length === 0 ? 0 : pos % s.length;
    s = op === 'del' ? s.slice(0, i) + s.slice(i + 1) : op === 'ins' ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
  }
  return s;
});

const recordTs = fc.option(fc.constantFrom(1_700_000_000_000, -1, Number.NaN, 0), { nil: undefined });

describe('fast decode paths == full decoder', () => {
  it('random object lines (strings and bytes)', () => {
    fc.assert(
      fc.property(objectLine, recordTs, fc.boolean(), (line, rec, bytes) => {
        same(bytes ? Buffer.from(line) : line, rec, 2);
      }),
      { numRuns: 1500 },
    );
  });

  it('realistic lines', () => {
    fc.assert(
      fc.property(realistic, recordTs, (line, rec) => {
        same(line, rec);
        same(Buffer.from(line), rec);
      }),
      { numRuns: 600 },
    );
  });

  it('mutated lines', () => {
    fc.assert(
      fc.property(mutated, recordTs, (line, rec) => {
        same(line, rec);
        same(Buffer.from(line), rec);
      }),
      { numRuns: 1200 },
    );
  });

  it('random bytes and arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => same(b, 5)),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => same(JSON.stringify(v) ?? '', 5)),
      { numRuns: 500 },
    );
  });

  it('edge cases: forbidden keys at depth, BOM, U+FFFD, invalid UTF-8, escapes', () => {
    const base = '"event":"http_request","timestamp":"2026-11-20T12:00:00Z","route":"/healthz","status":503';
    const lines: (string | Uint8Array)[] = [
      `{${base},"x":{"y":[{"__proto__":1}]}}`,
      `{${base},"x":[{"constructor":{}}]}`,
      `{${base},"prototype":null}`,
      String.raw`{${base},"x":{"protot\u0079pe":1}}`,
      String.raw`{${base},"ro\u0075te":"/readyz"}`,
      String.raw`{${base},"route":"/re\"adyz"}`,
      String.raw`{${base},"ua":"a\"b\\c\/d\n"}`,
      String.raw`{${base},"ua":"bad \x escape"}`,
      `{${base},"route":"dup"}`,
      `{${base}, "n": -0.5e-3 , "m": [1, 2, {"k": [true, false, null]}] }`,
      `{${base},"n":01}`,
      `{${base},"n":1.}`,
      `{${base},"event":"http_request"}`,
      `{${base},"msg":"\uFFFD"}`,
      `\uFEFF{${base}}`,
      `{${base}} x`,
      `{${base},}`,
      `{${base}`,
      `{"event":{"action":"a"},"timestamp":"2026-11-20T12:00:00Z"}`,
      `{"event.action":"a","timestamp":"2026-11-20T12:00:00Z","status":5e2}`,
      `{"a":{"b":"nested"},"t":1709287200,"event":"x"}`,
      `{"a.b":"literal","a":{"b":"nested"},"t":"2024-03-01T10:00:00Z"}`,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{${base}}`)]),
      Buffer.concat([Buffer.from(`{${base},"x":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from(`{${base},"x":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      Buffer.from(`{${base},"x":"\uFFFD é 😀"}`),
    ];
    for (const l of lines) {
      same(l);
      same(l, 1_700_000_000_000, 3);
      if (typeof l === 'string') same(Buffer.from(l));
    }
  });

  it('the bad-input corpus', () => {
    for (const e of loadCorpus()) {
      const raw = corpusRaw(e);
      same(raw);
      same(raw, 1_700_000_000_000);
      if (typeof raw === 'string') same(Buffer.from(raw));
    }
  });

  it('took the fast path for a good share of the valid lines', () => {
    // Guards against a fast path that silently always falls back.
    expect(compared).toBeGreaterThan(10_000);
    expect(fastTaken).toBeGreaterThan(1000);
  });
});

describe('demo sample', () => {
  it('every line decodes and matches the same on every path', () => {
    const lines = generateDemoSample();
    let fast = 0;
    const names = neededEventNames(patterns);
    const fields = neededFields(patterns);
    const full = createDecoder();
    const ex = createFastDecoder({ fields, names, path: 'extract' });
    for (const l of lines) {
      const a = full(l);
      const b = ex(Buffer.from(l));
      if (isDecodeError(a)) {
        expect(b).toEqual(a);
        continue;
      }
      if ((b as LogEvent).needed !== undefined) fast++;
      expect(matcher(b as LogEvent)).toEqual(matcher(a));
    }
    expect(fast).toBe(lines.length);
  });

  it('replay output is identical with the fast path on and off', () => {
    const lines = generateDemoSample();
    const run = (path: DecodePath): string => {
      const det = createDetection(patterns, { decodePath: path });
      const out: unknown[] = [];
      lines.forEach((l, i) => {
        det.push(Buffer.from(l));
        if (i % 1024 === 1023) out.push(...det.advance());
      });
      out.push(...det.advance(), ...det.flush());
      return JSON.stringify({ out, counters: det.counters(), stats: det.engineStats() });
    };
    const full = run('full');
    expect(full.length).toBeGreaterThan(1000);
    expect(run('prefilter')).toBe(full);
    expect(run('extract')).toBe(full);
  });
});

describe('parseIsoTimestampCached', () => {
  it('equals parseIsoTimestamp, also on cache hits', () => {
    const ts = fc.tuple(
      fc.constantFrom('2026-11-20T12:00:00', '2026-11-20T12:00:60', '2024-02-29T23:59:59', '0100-01-01T00:00:00', '275760-09-12T23:59:59', '2026-11-20t12:00:00', '2026-11-20 12:00:00'),
      fc.constantFrom('', '.', '.1', '.123', '.123456789012', '.1234567890123', ',5', 'Z', 'z', '+01:00', '-0130', '+23', '+24:00', 'Zx', '.5Z', '.999-12:59', ' '),
      fc.constantFrom('', 'Z', '+05:30'),
    ).map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(fc.array(ts, { minLength: 1, maxLength: 6 }), (xs) => {
        for (const s of xs) expect(Object.is(parseIsoTimestampCached(s), parseIsoTimestamp(s)), s).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
