/** The bad-input corpus (test/fixtures/bad-input/corpus.ndjson): one malformed line per entry. */
import { readFileSync } from 'node:fs';

export interface CorpusEntry {
  name: string;
  reason: string;
  /** The raw line as a string... */
  line?: string;
  /** ...or as hex bytes (invalid UTF-8 and the like). */
  hex?: string;
  /** Placeholder -> [text, repeat count], to keep huge lines out of the file. */
  expand?: Record<string, [string, number]>;
}

export function loadCorpus(path = 'test/fixtures/bad-input/corpus.ndjson'): CorpusEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CorpusEntry);
}

/** The entry's raw input: bytes for `hex` entries, else the expanded string. */
export function corpusRaw(e: CorpusEntry): string | Uint8Array {
  if (e.hex !== undefined) return Buffer.from(e.hex, 'hex');
  let s = e.line!;
  for (const [k, [text, n]] of Object.entries(e.expand ?? {})) s = s.split(k).join(text.repeat(n));
  return s;
}
