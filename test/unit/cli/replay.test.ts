import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parsePatterns } from '../../../src/config/index.js';
import { replayLines, splitLines } from '../../../src/cli/replay.js';
import { corpusRaw, loadCorpus } from '../../support/bad-input-corpus.js';

function corpusBytes(): { bytes: Buffer; expected: Record<string, number>; lines: number } {
  const entries = loadCorpus();
  const expected: Record<string, number> = {};
  const parts: Buffer[] = [];
  for (const e of entries) {
    const r = corpusRaw(e);
    const s = typeof r === 'string' ? Buffer.from(r, 'utf8') : Buffer.from(r);
    // A line that itself contains a newline cannot be one line of an NDJSON file.
    if (s.includes(10)) continue;
    parts.push(s, Buffer.from('\n'));
    expected[e.reason] = (expected[e.reason] ?? 0) + 1;
  }
  return { bytes: Buffer.concat(parts), expected, lines: Object.values(expected).reduce((a, b) => a + b, 0) };
}

const PATTERN = `
- id: blocked
  match: { event: export_webhook_blocked }
  group_by: [destination_host]
  detect: { type: threshold, window: 1m, op: '>=', value: 2 }
`;

describe('splitLines', () => {
  it('splits on newlines across chunk borders and keeps a last unterminated line', async () => {
    const chunks = [Buffer.from('ab\ncd'), Buffer.from('ef\n\ngh')];
    const out: string[] = [];
    for await (const l of splitLines(Readable.from(chunks))) out.push(Buffer.from(l).toString());
    expect(out).toEqual(['ab', 'cdef', '', 'gh']);
  });
});

describe('replay', () => {
  it('takes the whole bad-input corpus without crashing and counts each line under its reason', async () => {
    const { bytes, expected, lines } = corpusBytes();
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    expect(lines).toBeGreaterThanOrEqual(30);
    const good = [
      '{"timestamp":"2026-11-20T14:00:00Z","event":"export_webhook_blocked","destination_host":"a.example"}',
      '{"timestamp":"2026-11-20T14:00:10Z","event":"export_webhook_blocked","destination_host":"a.example"}',
      '{"timestamp":"2026-11-20T14:05:00Z","event":"other"}',
    ];
    const input = Buffer.concat([Buffer.from(good[0] + '\n'), bytes, Buffer.from(good.slice(1).join('\n') + '\n')]);
    const res = await replayLines(splitLines(Readable.from([input])), parsePatterns(PATTERN, 'p.yaml'));
    expect(res.counters.invalid).toEqual(expected);
    expect(res.counters.read).toBe(lines + good.length);
    expect(res.counters.decoded).toBe(good.length);
    expect(res.transitions.map((t) => t.alert.state)).toEqual(['firing', 'resolved']);
  });

  it('the CLI prints one JSON object per transition with --format ndjson, and a summary table by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripline-replay-'));
    writeFileSync(join(dir, 'p.yaml'), PATTERN);
    const log = join(dir, 'in.ndjson');
    writeFileSync(
      log,
      [
        '{"timestamp":"2026-11-20T14:00:00Z","event":"export_webhook_blocked","destination_host":"a.example"}',
        'not json',
        '{"timestamp":"2026-11-20T14:00:20Z","event":"export_webhook_blocked","destination_host":"a.example"}',
        '{"timestamp":"2026-11-20T14:09:00Z","event":"other"}',
      ].join('\n') + '\n',
    );
    const nd = execFileSync('node', ['bin/tripline.js', 'replay', log, '--patterns', dir, '--format', 'ndjson'], { encoding: 'utf8' });
    const objs = nd.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => (o['alert'] as { state: string }).state)).toEqual(['firing', 'resolved']);
    const first = objs[0] as { '@timestamp': string; alert: { id: string; severity: string }; pattern: { id: string }; group: Record<string, string>; value: number; threshold: number };
    // window 1m -> resolution 2s: the event at :20 closes with the bucket boundary at :22.
    expect(first['@timestamp']).toBe('2026-11-20T14:00:22.000Z');
    expect(first.pattern.id).toBe('blocked');
    expect(first.group).toEqual({ destination_host: 'a.example' });
    expect(first.value).toBe(2);
    expect(first.threshold).toBe(2);
    expect(first.alert.severity).toBe('warning');
    expect(first.alert.id).toMatch(/^[0-9a-f]{16}-1$/);

    const table = execFileSync('node', ['bin/tripline.js', 'replay', log, '--patterns', dir], { encoding: 'utf8' });
    expect(table).toMatch(/lines read\s+4/);
    expect(table).toMatch(/not_json\s+1/);
    expect(table).toMatch(/blocked\s+0 \/ 1 \/ 1/);

    const filtered = execFileSync('node', ['bin/tripline.js', 'replay', log, '--patterns', dir, '--format', 'ndjson', '--from', '2026-11-20T14:00:10Z'], { encoding: 'utf8' });
    expect(filtered.trim()).toBe('');
  });

  it('tripline check exits 1 with file: key: message lines on an invalid pattern', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripline-check-'));
    writeFileSync(join(dir, 'bad.yaml'), "id: x\nmatch: {event: a}\ndetect: {type: threshold, window: 1m, op: '=>', value: 1}\n");
    let code = 0;
    let stdout = '';
    try {
      execFileSync('node', ['bin/tripline.js', 'check', dir], { encoding: 'utf8' });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      code = err.status;
      stdout = err.stdout;
    }
    expect(code).toBe(1);
    expect(stdout.trim()).toBe(`${join(dir, 'bad.yaml')}: detect.op: must be one of >=, >, <=, < (got "=>")`);
  });
});
