/**
 * The byte-level scanner of the fast path (src/decode/byte-scan.ts) and the byte form of the ISO
 * timestamp memo: what the scanner accepts is valid JSON with exactly JSON.parse's values for the
 * interesting keys; what it rejects is left to the string path (checked end to end by
 * fast-path.test.ts). parseIsoTimestampBytes equals parseIsoTimestamp, also on cache hits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiString, createByteScanner } from '../../../src/decode/byte-scan.js';
import { parseIsoTimestamp, parseIsoTimestampBytes } from '../../../src/decode/timestamp.js';

const KEYS = ['event', 'timestamp', 'route', 'status', 'org_id', 'a.b', 'a', 'x'];

const asciiStr = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const scalar = fc.oneof(asciiStr, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constantFrom(-0, 1e21, 1234567890123456, 0.1));
const value = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS, '__proto__', 'constructor', 'prototype') }, { weight: 1, arbitrary: asciiStr });
const sp = fc.constantFrom('', '', ' ', '  ');
const line = fc.tuple(fc.array(fc.tuple(key, value, sp), { maxLength: 8 }), sp).map(([es, s]) => `{${s}${es.map(([k, v, t]) => `${JSON.stringify(k)}${t}:${t}${JSON.stringify(v) ?? 'null'}`).join(`,${s}`)}${s}}${s}`);
const mutated = fc.tuple(line, fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', '{', '}', '[', ']', ',', ':', ' ', '0', '-', 'e', '.', 'n', 't', '\\', '\u0001', '\u00e9')), { minLength: 1, maxLength: 3 })).map(([l, edits]) => {
  let s = l;
  for (const [pos, ch] of edits) {
    const i = s.length === 0 ? 0 : pos % s.length;
    s = pos % 3 === 0 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ch + s.slice(i);
  }
  return s;
});

function check(text: string): void {
  const scanner = createByteScanner(KEYS, 4);
  const b = Buffer.from(text);
  if (!scanner.scan(b)) return;
  // Accepted: plain ASCII, valid JSON object, no forbidden key, no duplicate/nested interesting key.
  expect(/^[\x20-\x7f]*$/.test(text) && !text.includes('\\'), text).toBe(true);
  const o = JSON.parse(text) as Record<string, unknown>;
  expect(o !== null && typeof o === 'object' && !Array.isArray(o)).toBe(true);
  expect(text.startsWith('{')).toBe(true);
  for (let k = 0; k < KEYS.length; k++) {
    const has = Object.prototype.hasOwnProperty.call(o, KEYS[k]!);
    expect(scanner.type(k) !== 0, `${KEYS[k]} in ${text}`).toBe(has);
    if (has) expect(Object.is(scanner.value(k), o[KEYS[k]!]), `${KEYS[k]} in ${text}`).toBe(true);
  }
  expect(text.includes('"__proto__"') || text.includes('"constructor"') || text.includes('"prototype"')).toBe(false);
}

describe('byte scanner', () => {
  it('accepts only valid plain objects, with JSON.parse values', () => {
    fc.assert(fc.property(line, (l) => check(l)), { numRuns: 3000 });
    fc.assert(fc.property(mutated, (l) => check(l)), { numRuns: 3000 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => check(JSON.stringify(v) ?? 'null')), { numRuns: 1000 });
  });

  it('accepts typical compact and spaced lines; rejects depth, duplicates, nested interesting keys', () => {
    const s = createByteScanner(KEYS, 3);
    const ok = ['{"event":"x","timestamp":"2026-11-20T12:00:00.123Z","status":503,"route":"/healthz"}', '{ "event": "x" , "y": [1, {"z": null}] }  ', '{}'];
    for (const l of ok) expect(s.scan(Buffer.from(l)), l).toBe(true);
    const bad = ['{"y":[[[1]]]}', '{"status":1,"status":2}', '{"a":{"b":1}}', '{"event":"é"}', '{"event":"a\\"b"}', '{"event":"x"', '{"event":"x"}x', ' {"event":"x"}', '{"y":{"__proto__":1}}', '{"n":01}', '{"n":1.}', '{"n":-}', '{"t":tru}'];
    for (const l of bad) expect(s.scan(Buffer.from(l)), l).toBe(false);
    expect(s.scan(Buffer.from('{"y":[[1]]}'))).toBe(true);
  });

  it('interns repeated string values', () => {
    const s = createByteScanner(KEYS, 4);
    s.scan(Buffer.from('{"route":"/healthz"}'));
    const a = s.str(2);
    s.scan(Buffer.from('{"x":1, "route":"/healthz"}'));
    expect(s.str(2)).toBe(a);
    expect(asciiString(Buffer.from('abc'), 1, 3)).toBe('bc');
  });

  it('returns the exact value whatever collides in the interning and pinned tables', () => {
    // Long values that share their first, middle and last 4 bytes (the hash of long values)
    // and pinned strings among them: every read must still be the value of the line.
    const alphabet = fc.constantFrom('a', 'b', '/', '-', '1');
    const value = fc.oneof(fc.string({ unit: alphabet, minLength: 1, maxLength: 12 }), fc.tuple(fc.string({ unit: alphabet, minLength: 13, maxLength: 52 })).map(([x]) => `aaaa${x}zzzz`));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.array(value, { maxLength: 5 }), (vals, pinned) => {
        const s = createByteScanner(KEYS, 4, pinned);
        for (const v of vals) {
          expect(s.scan(Buffer.from(JSON.stringify({ route: v })))).toBe(true);
          expect(s.str(2)).toBe(v);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads every pinned string exactly when their hashes collide (the pin table probes)', () => {
    // 3,000 pinned strings: many share a hash slot, so lookups walk probe chains; every read
    // must still give the line's value (whether the object returned is the pinned one is not
    // observable from JS: it only makes the matcher's Set/Map lookups compare pointers).
    const pinned = Array.from({ length: 3_000 }, (_, i) => `lit-${(i * 7919).toString(36)}`);
    const s = createByteScanner(KEYS, 4, pinned);
    for (const p of pinned) {
      expect(s.scan(Buffer.from(JSON.stringify({ route: p })))).toBe(true);
      expect(s.str(2)).toBe(p);
    }
    for (const v of ['not-pinned', 'lit-', 'lit-0x', pinned[5]!.slice(0, -1)]) {
      expect(s.scan(Buffer.from(JSON.stringify({ route: v })))).toBe(true);
      expect(s.str(2)).toBe(v);
    }
    // The two bundled literals whose hashes share a slot of the smallest table.
    const two = createByteScanner(KEYS, 4, ['ignored', '/readyz']);
    for (const v of ['ignored', '/readyz']) {
      two.scan(Buffer.from(JSON.stringify({ route: v })));
      expect(two.str(2)).toBe(v);
    }
  });
});

describe('parseIsoTimestampBytes', () => {
  it('equals parseIsoTimestamp, also on cache hits', () => {
    const ts = fc.tuple(
      fc.constantFrom('2026-11-20T12:00:00', '2026-11-20T12:00:60', '2024-02-29T23:59:59', '0100-01-01T00:00:00', '275760-09-12T23:59:59', '2026-11-20t12:00:00', '2026-11-20 12:00:00', '2026-11-20T12:00', '2026-11-20'),
      fc.constantFrom('', '.', '.1', '.123', '.123456789012', '.1234567890123', ',5', 'Z', 'z', '+01:00', '-0130', '+23', '+24:00', 'Zx', '.5Z', '.999-12:59', ' ', '+1'),
      fc.constantFrom('', 'Z', '+05:30'),
    ).map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(fc.array(ts, { minLength: 1, maxLength: 6 }), fc.constantFrom('', 'xx'), (xs, pad) => {
        for (const s of xs) {
          const b = Buffer.from(pad + s + pad);
          expect(Object.is(parseIsoTimestampBytes(b, pad.length, pad.length + s.length, asciiString), parseIsoTimestamp(s)), s).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
