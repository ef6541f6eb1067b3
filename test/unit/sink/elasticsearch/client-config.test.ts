import { describe, expect, it } from 'vitest';
import type { ElasticsearchConfig } from '../../../../src/config/service-config.js';
import { ConfigError } from '../../../../src/model/errors.js';
import { esClientOptions } from '../../../../src/sink/elasticsearch/client.js';
import { esSinkOptionsSchema, parseEsSinkOptions } from '../../../../src/sink/elasticsearch/config.js';
import type { EsConnectionConfig } from '../../../../src/sink/elasticsearch/config.js';

const secret = (v: string) => ({ reveal: () => v, toString: () => '***', toJSON: () => '***' });
const tuning = esSinkOptionsSchema.parse({});

describe('elasticsearch client options', () => {
  it('accepts the service config shape', () => {
    const fromService = (c: ElasticsearchConfig): EsConnectionConfig => c;
    expect(typeof fromService).toBe('function');
  });

  it('uses an API key or basic auth and reports the secrets for redaction', () => {
    const a = esClientOptions({ url: 'http://es:9200', api_key: secret('KEY-123456') }, tuning);
    expect(a.options.auth).toEqual({ apiKey: 'KEY-123456' });
    expect(a.secrets).toEqual(['KEY-123456']);
    expect(a.options.maxRetries).toBe(0);
    const b = esClientOptions({ url: 'http://es:9200', username: 'elastic', password: secret('pw-abcdef') }, tuning);
    expect(b.options.auth).toEqual({ username: 'elastic', password: 'pw-abcdef' });
    expect(b.secrets).toEqual(['pw-abcdef']);
  });

  it('sets compatible-with headers only when asked', () => {
    expect(esClientOptions({ url: 'http://es:9200' }, tuning).options.headers).toBeUndefined();
    const o = esClientOptions({ url: 'http://es:9200' }, { ...tuning, compatible_with: 8 }).options;
    expect(o.headers).toMatchObject({ accept: 'application/vnd.elasticsearch+json; compatible-with=8' });
  });

  it('fails with CONFIG_INVALID on an unreadable CA file', () => {
    expect(() => esClientOptions({ url: 'http://es:9200', ca_file: '/nonexistent/ca.pem' }, tuning)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('elasticsearch sink options', () => {
  it('has defaults for everything', () => {
    expect(tuning).toMatchObject({ mode: 'auto', alerts_prefix: 'tripline-alerts', batch: { max_items: 500 }, retry: { max_attempts: 8 } });
  });

  it('reports `file: key: message`', () => {
    try {
      parseEsSinkOptions({ mode: 'stream', batch: { max_items: 0 } }, 'tripline.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const lines = (e as ConfigError).lines;
      expect(lines[0]).toMatch(/^tripline\.yaml: elasticsearch\.sink\.mode: /);
      expect(lines[1]).toMatch(/^tripline\.yaml: elasticsearch\.sink\.batch\.max_items: /);
    }
  });
});
