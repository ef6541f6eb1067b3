import { describe, expect, it } from 'vitest';
import { createDecoder, decode } from '../../../src/decode/decode.js';
import { parseIsoTimestamp } from '../../../src/decode/timestamp.js';
import { isDecodeError, type DecodeError, type LogEvent } from '../../../src/model/event.js';

const dec = createDecoder();
const T0 = Date.UTC(2024, 2, 1, 10, 0, 0);

function ok(x: LogEvent | DecodeError): LogEvent {
  if (isDecodeError(x)) throw new Error(`expected an event, got ${x.reason}: ${x.detail}`);
  return x;
}
function err(x: LogEvent | DecodeError): DecodeError {
  if (!isDecodeError(x)) throw new Error(`expected an error, got event ${x.name}`);
  return x;
}

describe('event name conventions', () => {
  it.each([
    ['structlog event', { event: 'user_login' }, 'user_login'],
    ['pino msg', { msg: 'user_login' }, 'user_login'],
    ['message', { message: 'user_login' }, 'user_login'],
    ['ECS nested event.action', { event: { action: 'user-login', kind: 'event' }, message: 'User logged in' }, 'user-login'],
    ['ECS nested event.name', { event: { name: 'login' } }, 'login'],
    ['ECS action before name', { event: { name: 'n', action: 'a' } }, 'a'],
    ['ECS flattened event.action', { 'event.action': 'user-login', message: 'User logged in' }, 'user-login'],
    ['ECS flattened event.name', { 'event.name': 'login' }, 'login'],
    ['event wins over msg', { event: 'e', msg: 'm', message: 'x' }, 'e'],
    ['msg wins over message', { msg: 'm', message: 'x' }, 'm'],
    ['ECS object without action falls through to message', { event: { kind: 'event' }, message: 'hello' }, 'hello'],
  ])('%s', (_n, fields, name) => {
    expect(ok(dec(JSON.stringify({ ...fields, time: T0 }))).name).toBe(name);
  });

  it('eventField forces one (dotted) field', () => {
    const d = createDecoder({ eventField: 'log.kind' });
    expect(ok(d(JSON.stringify({ event: 'ignored', log: { kind: 'k' }, time: T0 }))).name).toBe('k');
    expect(ok(d(JSON.stringify({ 'log.kind': 'flat', time: T0 }))).name).toBe('flat');
    expect(err(d(JSON.stringify({ event: 'x', time: T0 }))).reason).toBe('missing_event');
    expect(err(d(JSON.stringify({ log: { kind: 3 }, time: T0 }))).reason).toBe('wrong_type');
  });
});

describe('timestamp conventions', () => {
  it.each([
    ['timestamp ISO Z', { timestamp: '2024-03-01T10:00:00Z' }, T0],
    ['timestamp ISO no zone = UTC', { timestamp: '2024-03-01T10:00:00' }, T0],
    ['timestamp offset', { timestamp: '2024-03-01T11:30:00+01:30' }, T0],
    ['timestamp compact offset', { timestamp: '2024-03-01T05:00:00-0500' }, T0],
    ['timestamp fraction', { timestamp: '2024-03-01T10:00:00.123456789Z' }, T0 + 123],
    ['timestamp space separator', { timestamp: '2024-03-01 10:00:00.5' }, T0 + 500],
    ['timestamp date only', { timestamp: '2024-03-01' }, Date.UTC(2024, 2, 1)],
    ['@timestamp (ECS)', { '@timestamp': '2024-03-01T10:00:00.000Z' }, T0],
    ['time epoch ms (pino)', { time: T0 + 7 }, T0 + 7],
    ['time ISO (bunyan)', { time: '2024-03-01T10:00:00Z' }, T0],
    ['ts epoch seconds float (zap)', { ts: T0 / 1000 + 0.25 }, T0 + 250],
    ['ts ISO', { ts: '2024-03-01T10:00:00Z' }, T0],
    ['timestamp wins over time', { timestamp: '2024-03-01T10:00:00Z', time: 5 }, T0],
  ])('%s', (_n, fields, time) => {
    const ev = ok(dec(JSON.stringify({ event: 'x', ...fields }), 99));
    expect(ev.time).toBe(time);
    expect(ev.timeSource).toBe('field');
  });

  it('falls back to the record timestamp, else missing_timestamp', () => {
    const ev = ok(dec('{"event":"x"}', 1234, 3));
    expect([ev.time, ev.timeSource, ev.partition]).toEqual([1234, 'record', 3]);
    expect(err(dec('{"event":"x"}')).reason).toBe('missing_timestamp');
    expect(err(dec('{"event":"x"}', NaN)).reason).toBe('missing_timestamp');
  });

  it('a present but bad time field is an error even with a record timestamp', () => {
    expect(err(dec('{"event":"x","timestamp":"nope"}', 1234)).reason).toBe('bad_timestamp');
    expect(err(dec('{"event":"x","timestamp":5}', 1234)).reason).toBe('wrong_type');
  });

  it('timeField and timeFormat', () => {
    const auto = createDecoder({ timeField: 'meta.at' });
    expect(ok(auto(JSON.stringify({ event: 'x', meta: { at: T0 } }))).time).toBe(T0);
    expect(ok(auto(JSON.stringify({ event: 'x', meta: { at: T0 / 1000 } }))).time).toBe(T0);
    expect(ok(auto(JSON.stringify({ event: 'x', meta: { at: '2024-03-01T10:00:00Z' } }))).time).toBe(T0);
    expect(ok(createDecoder({ timeField: 'at', timeFormat: 'epoch_s' })(JSON.stringify({ event: 'x', at: 1 }))).time).toBe(1000);
    expect(ok(createDecoder({ timeField: 'at', timeFormat: 'epoch_ms' })(JSON.stringify({ event: 'x', at: 1 }))).time).toBe(1);
    expect(err(createDecoder({ timeField: 'at', timeFormat: 'iso' })(JSON.stringify({ event: 'x', at: 1 }))).reason).toBe('wrong_type');
    expect(ok(auto(JSON.stringify({ event: 'x', timestamp: 'ignored' }), 5)).timeSource).toBe('record');
  });

  it('parseIsoTimestamp agrees with Date.parse on strict ISO strings', () => {
    for (const s of ['2024-02-29T23:59:59.999Z', '1999-12-31T00:00:00+14:00', '2000-01-01T00:00:00-12:00', '2024-06-30T23:59:60Z']) {
      expect(parseIsoTimestamp(s)).toBe(Date.parse(s.replace(':60Z', ':59Z')) + (s.endsWith(':60Z') ? 1000 : 0));
    }
    for (const s of ['2023-02-29', '2024-13-01', '2024-01-01T', '2024-01-01T10', '2024-01-01T10:00:00Zjunk', '+002024-01-01', '0050-01-01']) {
      expect(parseIsoTimestamp(s)).toBeNaN();
    }
  });
});

describe('input forms and limits', () => {
  it('accepts bytes and strings alike, strips BOM and surrounding whitespace', () => {
    const line = '{"event":"x","time":1}';
    expect(ok(dec(Buffer.from(line)))).toEqual(ok(dec(line)));
    expect(ok(dec(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(line)]))).name).toBe('x');
    expect(ok(dec(`  ${line}\r\n`)).name).toBe('x');
    expect(ok(dec(`\ufeff${line}`)).name).toBe('x');
  });

  it('keeps the parsed fields as-is', () => {
    const ev = ok(dec('{"event":"x","time":1,"a":{"b":[1,2]},"n":null}'));
    expect(ev.fields).toEqual({ event: 'x', time: 1, a: { b: [1, 2] }, n: null });
  });

  it('maxBytes counts UTF-8 bytes for strings too', () => {
    const d = createDecoder({ maxBytes: 40 });
    const line = `{"event":"${'é'.repeat(12)}","time":1}`; // 24 chars of é = 24 bytes, 12 code units
    expect(line.length).toBeLessThanOrEqual(40);
    expect(err(d(line)).reason).toBe('too_large');
    expect(ok(createDecoder({ maxBytes: 64 })(line)).name).toBe('é'.repeat(12));
  });

  it('maxDepth counts nesting with the top-level object as 1, ignoring brackets in strings', () => {
    const d = createDecoder({ maxDepth: 3 });
    expect(ok(d('{"event":"x","time":1,"a":{"b":[1]}}')).name).toBe('x');
    expect(err(d('{"event":"x","time":1,"a":{"b":[[1]]}}')).reason).toBe('too_deep');
    expect(ok(d('{"event":"x","time":1,"s":"[[[[{{{{\\"[[[["}')).name).toBe('x');
  });

  it('rejects lone surrogates in string input as invalid_utf8', () => {
    expect(err(dec('{"event":"\ud800","time":1}')).reason).toBe('invalid_utf8');
  });

  it('allows forbidden words as values, not as keys', () => {
    expect(ok(dec('{"event":"constructor","time":1,"msg":"__proto__ prototype"}')).name).toBe('constructor');
    expect(ok(dec('{"event":"caf\\u00e9","time":1}')).name).toBe('café');
  });

  it('decode() caches a decoder per options object', () => {
    const opts = { eventField: 'k' };
    expect(ok(decode('{"k":"v","time":1}', opts)).name).toBe('v');
    expect(ok(decode('{"k":"w","time":1}', opts, undefined, 2)).partition).toBe(2);
  });

  it('error details never contain the whole raw line', () => {
    const secret = 'x'.repeat(200);
    for (const line of [`{"event":"${secret}","timestamp":"${secret}"}`, `{"event":["${secret}"],"time":1}`, `not json ${secret}`]) {
      const e = err(dec(line));
      expect(e.detail.length).toBeLessThan(150);
      expect(e.detail).not.toContain(secret);
    }
  });
});
