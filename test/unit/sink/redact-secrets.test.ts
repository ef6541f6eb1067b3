import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../../../src/telemetry/redact.js';

describe('redactSecrets', () => {
  it('removes secrets and their base64 form', () => {
    const key = 'my-api-key-value';
    const text = `failed with ${key} and header ${Buffer.from(key).toString('base64')}`;
    const out = redactSecrets(text, [key, undefined]);
    expect(out).not.toContain(key);
    expect(out).not.toContain(Buffer.from(key).toString('base64'));
    expect(out).toContain(REDACTED);
  });

  it('removes echoed Authorization headers whatever the credential', () => {
    expect(redactSecrets('{"authorization":"ApiKey abc123=="}', [])).toBe(`{"authorization":"ApiKey ${REDACTED}"}`);
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNz', [])).toBe(`Authorization: Basic ${REDACTED}`);
  });
});
