import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/decode/decode.js';
import { DECODE_ERROR_REASONS, isDecodeError } from '../../../src/model/event.js';

interface CorpusEntry {
  name: string;
  reason: string;
  /** The raw line as a string... */
  line?: string;
  /** ...or as hex bytes (invalid UTF-8 and the like). */
  hex?: string;
  /** Placeholder -> [text, repeat count], to keep huge lines out of the file. */
  expand?: Record<string, [string, number]>;
}

const corpus: CorpusEntry[] = readFileSync('test/fixtures/bad-input/corpus.ndjson', 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as CorpusEntry);

function raw(e: CorpusEntry): string | Uint8Array {
  if (e.hex !== undefined) return Buffer.from(e.hex, 'hex');
  let s = e.line!;
  for (const [k, [text, n]] of Object.entries(e.expand ?? {})) s = s.split(k).join(text.repeat(n));
  return s;
}

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
