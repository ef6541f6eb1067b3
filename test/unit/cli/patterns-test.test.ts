import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLines, parsePatternTestFile, runPatternsTestCommand, runPatternTests } from '../../../src/cli/patterns-test.js';
import { main } from '../../../src/cli/main.js';
import { ConfigError } from '../../../src/model/errors.js';

const DIR = 'test/fixtures/pattern-tests-cli';

async function command(dir: string, tests?: string): Promise<[number, string[]]> {
  const lines: string[] = [];
  const code = await runPatternsTestCommand(dir, tests, (l) => lines.push(l));
  return [code, lines];
}

function tmpTests(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-ptest-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('tripline patterns test', () => {
  it('passes every case of DIR/tests and lists untested patterns', async () => {
    const [code, lines] = await command(DIR);
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('PASS'))).toHaveLength(7);
    expect(lines).toContain('PASS  job-heartbeat-missing: a 15 minute gap fires and the next heartbeat resolves it');
    expect(lines.at(-1)).toBe('ok: 7 passed, 0 failed');
    expect(lines.find((l) => l.startsWith('untested patterns:'))).toContain('export-webhook-failed-by-org');
  });

  it('repeat/every expands to N lines with the time field advanced', () => {
    const tf = parsePatternTestFile(
      `pattern: p\ncases:\n  - name: c\n    lines:\n      - repeat: 3\n        every: 30s\n        line: { event: e, timestamp: '2024-05-01T10:00:00Z', x: 1 }\n      - '{"event":"raw","time":1}'\n    expect: []\n`,
      'f.yaml',
    );
    expect(tf.cases[0]!.lines).toEqual([
      '{"event":"e","timestamp":"2024-05-01T10:00:00.000Z","x":1}',
      '{"event":"e","timestamp":"2024-05-01T10:00:30.000Z","x":1}',
      '{"event":"e","timestamp":"2024-05-01T10:01:00.000Z","x":1}',
      '{"event":"raw","time":1}',
    ]);
  });

  it('a failing case prints a diff of expected (-) and actual (+) transitions and exits 1', async () => {
    const tests = tmpTests({
      'wrong.yaml': `pattern: job-heartbeat-missing
cases:
  - name: wrong resolve time and a missing firing
    lines:
      - { event: job_heartbeat, timestamp: '2024-05-01T10:00:00Z' }
      - { event: job_heartbeat, timestamp: '2024-05-01T10:19:00Z' }
      # the resolve is evaluated at 10:19:01, after the last line: flush stops at the last event time
    expect:
      - { state: firing, at: '2024-05-01T10:10:00Z' }
      - { state: resolved, at: '2024-05-01T10:19:00Z' }
  - name: silent but fires
    lines:
      - { event: job_heartbeat, timestamp: '2024-05-01T10:00:00Z' }
      - { event: job_heartbeat, timestamp: '2024-05-01T10:30:00Z' }
    expect: []
`,
    });
    const [code, lines] = await command(DIR, tests);
    expect(code).toBe(1);
    expect(lines).toEqual([
      'FAIL  job-heartbeat-missing: wrong resolve time and a missing firing',
      `      ${join(tests, 'wrong.yaml')}: expected (-) vs actual (+) transitions:`,
      '        firing at 2024-05-01T10:10:00.000Z',
      '      - resolved at 2024-05-01T10:19:00.000Z',
      'FAIL  job-heartbeat-missing: silent but fires',
      `      ${join(tests, 'wrong.yaml')}: expected (-) vs actual (+) transitions:`,
      '      + firing at 2024-05-01T10:10:00.000Z severity critical',
      expect.stringMatching(/^untested patterns: /),
      'FAILED: 0 passed, 2 failed',
    ]);
  });

  it('reports test-file problems as file: key: message and exits 1', async () => {
    const tests = tmpTests({
      'a.yaml': `pattern: no-such-pattern\ncases: [{ name: x, lines: [], expect: [] }]\n`,
      'b.yaml': `pattern: job-heartbeat-missing\ncases:\n  - name: x\n    lines: [42]\n    expect: [{ state: fired, colour: red }]\n`,
    });
    const [code, lines] = await command(DIR, tests);
    expect(code).toBe(1);
    expect(lines.filter((l) => l.startsWith('ERROR'))).toEqual([
      `ERROR ${join(tests, 'a.yaml')}: pattern: no pattern "no-such-pattern" in ${DIR}`,
      `ERROR ${join(tests, 'b.yaml')}: cases[0].lines[0]: must be a log object, a JSON string or {repeat, every, line} (got 42)`,
      `ERROR ${join(tests, 'b.yaml')}: cases[0].expect[0].colour: unknown key (expected at, state, group, severity)`,
      `ERROR ${join(tests, 'b.yaml')}: cases[0].expect[0].state: must be one of pending, firing, resolved (got "fired")`,
    ]);
    expect(() => parsePatternTestFile('cases: []', 'c.yaml')).toThrow(ConfigError);
  });

  it('an empty or missing tests directory is an error, not a pass', async () => {
    const run = await runPatternTests(DIR, join(DIR, 'nope'));
    expect(run.errors[0]).toMatch(/cannot read test directory \(ENOENT\)/);
    const [code] = await command(DIR, tmpTests({}));
    expect(code).toBe(1);
  });

  it('diffLines keeps common lines and marks changes', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual(['  a', '- b', '  c', '+ d']);
  });

  it('is wired into the CLI: exit code 0 on the bundled tests', async () => {
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'tripline', 'patterns', 'test', DIR])).toBe(0);
    } finally {
      process.stdout.write = orig;
      process.exitCode = undefined;
    }
    expect(out.join('')).toContain('ok: 7 passed, 0 failed');
  });
});
