import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { REDACTED, redactDeep, redactSecrets, secretValues } from '../../../src/telemetry/redact.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes ECS fields', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, service: 'tripline-test' });
    log.info({ 'event.action': 'start' }, 'hello %s', 'world');
    const [line] = out.lines();
    expect(line).toMatchObject({
      'log.level': 'info',
      message: 'hello world',
      'service.name': 'tripline-test',
      'event.action': 'start',
    });
    expect(Date.parse(line!['@timestamp'] as string)).not.toBeNaN();
    expect(line).not.toHaveProperty('level');
    expect(line).not.toHaveProperty('msg');
  });

  it('writes errors as ECS error fields', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.error({ err: Object.assign(new Error('boom'), { code: 'KAFKA_AUTH' }) }, 'failed');
    const [line] = out.lines();
    expect(line).toMatchObject({ 'error.type': 'Error', 'error.message': 'boom', 'error.code': 'KAFKA_AUTH' });
    expect(line!['error.stack_trace']).toContain('boom');
  });

  it('redacts secret keys and secret values everywhere', () => {
    const out = capture();
    const pw = new Secret('hunter2-super-secret', 'env X');
    const log = createLogger({ destination: out.stream, secrets: [pw, 'pd-routing-key-abcdef', undefined], level: 'debug' });
    log.info({ password: 'literal-password-value', nested: { api_key: 'k-123456', ok: 'visible' } }, 'login');
    log.warn('auth with hunter2-super-secret failed');
    log.debug({ detail: { text: 'key=pd-routing-key-abcdef' } }, 'routing');
    log.error({ err: new Error('SASL failed for password hunter2-super-secret') }, 'kafka');
    log.info({ cfg: { sasl: { mechanism: 'plain', password: pw } } }, 'cfg');
    log.info(`basic ${Buffer.from('hunter2-super-secret').toString('base64')}`);
    const raw = out.raw();
    for (const s of ['hunter2-super-secret', 'literal-password-value', 'k-123456', 'pd-routing-key-abcdef']) {
      expect(raw).not.toContain(s);
    }
    expect(raw).not.toContain(Buffer.from('hunter2-super-secret').toString('base64'));
    expect(raw).toContain('visible');
    expect(out.lines()).toHaveLength(6);
  });
});

describe('redact helpers', () => {
  it('redactSecrets replaces values and base64 forms', () => {
    expect(redactSecrets('a s3cr3t b', ['s3cr3t'])).toBe(`a ${REDACTED} b`);
    expect(redactSecrets('abc', ['ab'])).toBe('abc');
  });
  it('secretValues reveals Secrets and drops undefined', () => {
    expect(secretValues([new Secret('v1', 'x'), 'v2', undefined])).toEqual(['v1', 'v2']);
  });
  it('redactDeep walks objects, arrays and errors', () => {
    const out = redactDeep({ a: ['xx-secret-xx'], e: new Error('xx-secret-xx') }, ['xx-secret-xx']);
    expect(JSON.stringify(out)).not.toContain('xx-secret-xx');
  });
});
