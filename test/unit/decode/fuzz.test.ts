/**
 * Decoder fuzz: >= 100,000 generated lines in total. decode must never throw and must always
 * return a usable event or a known, typed reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/decode/decode.js';
import { DECODE_ERROR_REASONS, isDecodeError, type DecodeError, type LogEvent } from '../../../src/model/event.js';

const REASONS = new Set<string>(DECODE_ERROR_REASONS);
const decoders = [createDecoder(), createDecoder({ maxDepth: 4, maxBytes: 512 }), createDecoder({ eventField: 'a.b', timeField: 't' })];

let checked = 0;

function check(r: LogEvent | DecodeError): void {
  checked++;
  if (isDecodeError(r)) {
    if (!REASONS.has(r.reason)) throw new Error(`unknown reason ${r.reason}`);
    if (typeof r.detail !== 'string' || r.detail.length === 0 || r.detail.length > 200) throw new Error(`bad detail ${r.detail}`);
    return;
  }
  if (typeof r.name !== 'string' || r.name.length === 0) throw new Error('empty name');
  if (!Number.isFinite(r.time)) throw new Error('non-finite time');
  if (r.fields === null || typeof r.fields !== 'object' || Array.isArray(r.fields)) throw new Error('fields not an object');
  if (r.timeSource !== 'field' && r.timeSource !== 'record') throw new Error('bad time source');
}

function decodeAll(raw: string | Uint8Array, recordTs?: number): void {
  for (const d of decoders) check(d(raw, recordTs, 1));
}

const VALID_LINES = [
  '{"timestamp":"2024-03-01T10:00:00.123Z","level":"info","event":"export_webhook_blocked","destination_host":"evil.example.com","status":403}',
  '{"level":30,"time":1709287200000,"pid":1,"msg":"request completed","res":{"statusCode":500}}',
  '{"@timestamp":"2024-03-01T10:00:00Z","event":{"action":"user-login","outcome":"failure"},"message":"User login failed"}',
  '{"ts":1709287200.25,"logger":"x","msg":"hello","a":{"b":"named"},"t":1709287200}',
];

/** Random edits of a valid line: the interesting region between valid and garbage. */
const mutated = fc
  .tuple(
    fc.constantFrom(...VALID_LINES),
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('del' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
        fc.record({ op: fc.constant('ins' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', '__proto__', '\\u0000', 'null', '1e999', '\ud800')) }),
        fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([line, edits]) => {
    let s = line;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      if (e.op === 'del') s = s.slice(0, at) + s.slice(at + e.len);
      else if (e.op === 'ins') s = s.slice(0, at) + e.text + s.slice(at);
      else s = s.slice(0, at);
    }
    return s;
  });

/** Objects that look like log lines, with every conventional field of random type. */
const anyValue = fc.oneof(fc.string({ maxLength: 30 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.constantFrom('action', 'name', 'kind', 'b'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer())));
const isoish = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+05:30').replace('T', ' ')),
  fc.string({ maxLength: 30 }),
);
const logish = fc
  .record(
    {
      event: anyValue,
      msg: anyValue,
      message: anyValue,
      'event.action': anyValue,
      timestamp: fc.oneof(isoish, anyValue),
      '@timestamp': isoish,
      time: fc.oneof(fc.integer(), fc.double(), anyValue),
      ts: fc.oneof(fc.double(), anyValue),
      a: anyValue,
      t: anyValue,
      extra: fc.jsonValue({ maxDepth: 4 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

describe('decode fuzz', () => {
  const runs = 25_000;

  it('random JSON values (25k)', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 20 }), fc.option(fc.integer({ min: 0 })), (s, ts) => decodeAll(s, ts ?? undefined)), { numRuns: runs });
  });

  it('log-shaped objects with random field types (25k)', () => {
    fc.assert(
      fc.property(logish, fc.option(fc.oneof(fc.integer(), fc.double())), (s, ts) => {
        decodeAll(s, ts ?? undefined);
        // A well-formed structlog line always decodes.
      }),
      { numRuns: runs },
    );
  });

  it('mutations of valid lines (25k)', () => {
    fc.assert(fc.property(mutated, (s) => { decodeAll(s, 1); check(decoders[0]!(Buffer.from(s))); }), { numRuns: runs });
  });

  it('random bytes and strings (25k)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', 'a', '1', ' ') , maxLength: 200 })), (raw) => decodeAll(raw, 0)),
      { numRuns: runs },
    );
  });

  it('decoded at least 100,000 generated lines', () => {
    expect(checked / decoders.length).toBeGreaterThanOrEqual(100_000);
  });
});

describe('decode properties', () => {
  it('valid structlog lines round-trip name, time and fields', () => {
    const dec = createDecoder();
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => !['__proto__', 'constructor', 'prototype', 'event', 'timestamp', '@timestamp', 'time', 'ts'].includes(k)), fc.jsonValue({ maxDepth: 3 })),
        (name, t, extra) => {
          const fields = { ...extra, event: name, timestamp: new Date(t).toISOString() };
          const r = dec(JSON.stringify(fields));
          if (isDecodeError(r)) {
            // Only legitimate failures: forbidden keys hidden in nested extra values.
            expect(r.reason).toBe('forbidden_key');
            return;
          }
          expect([r.name, r.time]).toEqual([name, t]);
          expect(r.fields).toEqual(JSON.parse(JSON.stringify(fields)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
