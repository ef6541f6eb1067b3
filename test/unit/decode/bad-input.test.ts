import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/decode/decode.js';
import { DECODE_ERROR_REASONS, isDecodeError } from '../../../src/model/event.js';
import { corpusRaw, loadCorpus } from '../../support/bad-input-corpus.js';

const corpus = loadCorpus();
const raw = corpusRaw;

describe('bad-input corpus', () => {
  const dec = createDecoder();

  it('has at least 30 kinds of malformed lines covering every reason', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((e) => e.reason))).toEqual(new Set(DECODE_ERROR_REASONS));
  });

  for (const e of corpus) {
    it(`${e.name} -> ${e.reason}`, () => {
      const r = dec(raw(e));
      expect(isDecodeError(r) ? r.reason : 'decoded').toBe(e.reason);
      // The same bytes given as a string decode to the same reason (except invalid UTF-8 bytes).
      const input = raw(e);
      if (typeof input === 'string') {
        const rb = dec(Buffer.from(input));
        expect(isDecodeError(rb) ? rb.reason : 'decoded').toBe(e.reason);
      }
    });
  }
});
