/**
 * `tripline patterns test [DIR]`: fixture-based tests for pattern authors (like `promtool test
 * rules`). Test files live in `<DIR>/tests/*.yaml` (the pattern loader reads only *.yaml directly
 * in DIR, so the tests folder is never loaded as patterns). One file tests one pattern:
 *
 * ```yaml
 * pattern: export-webhook-blocked-by-host
 * cases:
 *   - name: three blocks to one host fire
 *     lines:                                   # log objects or JSON strings, in order
 *       - { event: export_webhook_blocked, timestamp: '2024-05-01T10:00:00Z', destination_host: a.example }
 *       - '{"event":"export_webhook_blocked","timestamp":"2024-05-01T10:01:00Z","destination_host":"a.example"}'
 *       - repeat: 3                            # shorthand: N copies, `every` apart (time field advanced)
 *         every: 30s
 *         line: { event: export_webhook_blocked, timestamp: '2024-05-01T10:02:00Z', destination_host: a.example }
 *     expect:                                  # every transition, in order ([] = no alert at all)
 *       - { state: firing, group: { destination_host: a.example }, at: '2024-05-01T10:02:10Z', severity: warning }
 * ```
 *
 * Each case replays its lines through the same code as `tripline replay` with only the tested
 * pattern loaded, and compares the transitions with `expect`: `state` always, `at`, `group` and
 * `severity` when given. A case passes when the lists match one to one. At the end of the lines the
 * engine flushes in event time and does not resolve open alerts (as replay does).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseDuration } from '../config/duration.js';
import { loadPatterns } from '../config/load-patterns.js';
import { ConfigError, formatConfigIssue } from '../model/errors.js';
import type { ConfigIssue } from '../model/errors.js';
import type { Pattern, Severity } from '../model/pattern.js';
import { SEVERITIES } from '../model/pattern.js';
import type { AlertState, AlertTransition } from '../model/transition.js';
import { replayLines } from './replay.js';

const STATES: readonly AlertState[] = ['pending', 'firing', 'resolved'];

export interface ExpectedTransition {
  /** Event time of the transition (ISO 8601 or epoch ms); compared as an instant. */
  at?: string | number;
  state: AlertState;
  group?: Record<string, string>;
  severity?: Severity;
}

export interface PatternTestCase {
  name: string;
  /** Raw lines, as fed to the decoder (objects are serialised to JSON). */
  lines: string[];
  expect: ExpectedTransition[];
}

export interface PatternTestFile {
  file: string;
  pattern: string;
  cases: PatternTestCase[];
}

export interface CaseResult {
  file: string;
  pattern: string;
  name: string;
  ok: boolean;
  /** Expected and actual transitions, one compact line each (only the keys the expectation uses). */
  expected: string[];
  actual: string[];
  /** Unified-style diff lines (`-` expected, `+` actual, ` ` equal); empty when ok. */
  diff: string[];
}

/** Time fields advanced by `repeat`/`every`, in the decoder's order of preference. */
const TIME_FIELDS = ['timestamp', '@timestamp', 'time', 'ts'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Copies `line` with its time field moved forward by `offsetMs`. */
function shiftTime(line: Record<string, unknown>, offsetMs: number): Record<string, unknown> | string {
  for (const f of TIME_FIELDS) {
    const v = line[f];
    if (v === undefined) continue;
    if (f === 'time' && typeof v === 'number') return { ...line, time: v + offsetMs };
    if (f === 'ts' && typeof v === 'number') return { ...line, ts: v + offsetMs / 1000 };
    if (typeof v === 'string') {
      const base = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : v + 'Z');
      if (!Number.isFinite(base)) return `its ${f} is not a valid time`;
      return { ...line, [f]: new Date(base + offsetMs).toISOString() };
    }
    return `its ${f} must be an ISO string (or a number for time/ts)`;
  }
  return 'needs a time field (timestamp, @timestamp, time or ts) to advance';
}

function parseLines(raw: unknown, path: string, file: string, issues: ConfigIssue[]): string[] {
  if (!Array.isArray(raw)) {
    issues.push({ file, path, message: 'must be a list of log lines (objects or JSON strings)' });
    return [];
  }
  const out: string[] = [];
  raw.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (typeof item === 'string') {
      out.push(item);
      return;
    }
    if (!isRecord(item)) {
      issues.push({ file, path: p, message: `must be a log object, a JSON string or {repeat, every, line} (got ${show(item)})` });
      return;
    }
    if ('repeat' in item && 'line' in item) {
      const extra = Object.keys(item).filter((k) => !['repeat', 'every', 'line'].includes(k));
      if (extra.length > 0) issues.push({ file, path: `${p}.${extra[0]!}`, message: 'unknown key (repeat takes repeat, every, line)' });
      const n = item['repeat'];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 100_000) {
        issues.push({ file, path: `${p}.repeat`, message: `must be an integer from 1 to 100000 (got ${show(n)})` });
        return;
      }
      const every = item['every'] === undefined ? 0 : parseDuration(item['every']);
      if (typeof every === 'string') {
        issues.push({ file, path: `${p}.every`, message: every });
        return;
      }
      const line = item['line'];
      if (!isRecord(line)) {
        issues.push({ file, path: `${p}.line`, message: `must be a log object (got ${show(line)})` });
        return;
      }
      for (let k = 0; k < n; k++) {
        const shifted = every === 0 ? line : shiftTime(line, k * every);
        if (typeof shifted === 'string') {
          issues.push({ file, path: `${p}.line`, message: shifted });
          return;
        }
        out.push(JSON.stringify(shifted));
      }
      return;
    }
    out.push(JSON.stringify(item));
  });
  return out;
}

function parseExpect(raw: unknown, path: string, file: string, issues: ConfigIssue[]): ExpectedTransition[] {
  if (!Array.isArray(raw)) {
    issues.push({ file, path, message: 'must be a list of expected transitions ([] = no alert)' });
    return [];
  }
  const out: ExpectedTransition[] = [];
  raw.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(item)) {
      issues.push({ file, path: p, message: `must be a mapping {state, at?, group?, severity?} (got ${show(item)})` });
      return;
    }
    for (const k of Object.keys(item)) {
      if (!['at', 'state', 'group', 'severity'].includes(k)) issues.push({ file, path: `${p}.${k}`, message: 'unknown key (expected at, state, group, severity)' });
    }
    const state = item['state'];
    if (typeof state !== 'string' || !(STATES as readonly string[]).includes(state)) {
      issues.push({ file, path: `${p}.state`, message: `must be one of ${STATES.join(', ')} (got ${show(state)})` });
      return;
    }
    const e: ExpectedTransition = { state: state as AlertState };
    const at = item['at'];
    if (at !== undefined) {
      if (typeof at === 'number' || (typeof at === 'string' && Number.isFinite(Date.parse(at)))) e.at = at;
      else if (at instanceof Date) e.at = at.toISOString();
      else issues.push({ file, path: `${p}.at`, message: `must be an ISO 8601 time or epoch ms (got ${show(at)})` });
    }
    const group = item['group'];
    if (group !== undefined) {
      if (isRecord(group)) e.group = Object.fromEntries(Object.entries(group).map(([k, v]) => [k, String(v)]));
      else issues.push({ file, path: `${p}.group`, message: `must be a mapping of group_by field to value (got ${show(group)})` });
    }
    const sev = item['severity'];
    if (sev !== undefined) {
      if (typeof sev === 'string' && (SEVERITIES as readonly string[]).includes(sev)) e.severity = sev as Severity;
      else issues.push({ file, path: `${p}.severity`, message: `must be one of ${SEVERITIES.join(', ')} (got ${show(sev)})` });
    }
    out.push(e);
  });
  return out;
}

/** Parses one test file; throws ConfigError listing every problem (`file: key: message`). */
export function parsePatternTestFile(text: string, file: string): PatternTestFile {
  const issues: ConfigIssue[] = [];
  let data: unknown;
  try {
    // Timestamps stay strings (YAML 1.2 core schema has no timestamp type).
    data = YAML.parse(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError([{ file, path: '', message: `invalid YAML: ${(e as Error).message.split('\n')[0]}` }]);
  }
  if (!isRecord(data)) throw new ConfigError([{ file, path: '', message: 'must be a mapping {pattern, cases}' }]);
  for (const k of Object.keys(data)) if (k !== 'pattern' && k !== 'cases') issues.push({ file, path: k, message: 'unknown key (expected pattern, cases)' });
  const pattern = data['pattern'];
  if (typeof pattern !== 'string' || pattern === '') issues.push({ file, path: 'pattern', message: 'must be the id of the pattern under test' });
  const cases: PatternTestCase[] = [];
  const rawCases = data['cases'];
  if (!Array.isArray(rawCases) || rawCases.length === 0) {
    issues.push({ file, path: 'cases', message: 'must be a non-empty list of {name, lines, expect}' });
  } else {
    const names = new Set<string>();
    rawCases.forEach((c, i) => {
      const p = `cases[${i}]`;
      if (!isRecord(c)) {
        issues.push({ file, path: p, message: 'must be a mapping {name, lines, expect}' });
        return;
      }
      for (const k of Object.keys(c)) if (!['name', 'lines', 'expect'].includes(k)) issues.push({ file, path: `${p}.${k}`, message: 'unknown key (expected name, lines, expect)' });
      const name = c['name'];
      if (typeof name !== 'string' || name === '') issues.push({ file, path: `${p}.name`, message: 'must be a non-empty string' });
      else if (names.has(name)) issues.push({ file, path: `${p}.name`, message: `duplicate case name "${name}"` });
      else names.add(name);
      const lines = parseLines(c['lines'], `${p}.lines`, file, issues);
      const expect = parseExpect(c['expect'], `${p}.expect`, file, issues);
      cases.push({ name: typeof name === 'string' ? name : `#${i}`, lines, expect });
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { file, pattern: pattern as string, cases };
}

function instant(at: string | number): number {
  if (typeof at === 'number') return at;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(at) || !at.includes('T') ? at : at + 'Z');
}

function sortedGroup(g: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(g).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Compact line for an expectation. */
function formatExpected(e: ExpectedTransition): string {
  const parts: string[] = [e.state];
  if (e.at !== undefined) parts.push(`at ${new Date(instant(e.at)).toISOString()}`);
  if (e.group !== undefined) parts.push(`group ${sortedGroup(e.group)}`);
  if (e.severity !== undefined) parts.push(`severity ${e.severity}`);
  return parts.join(' ');
}

/** Compact line for an actual transition, showing the keys `like` uses (all of them without `like`). */
function formatActual(t: AlertTransition, like: ExpectedTransition | undefined): string {
  const parts: string[] = [t.alert.state];
  if (like === undefined || like.at !== undefined) parts.push(`at ${new Date(Date.parse(t['@timestamp'])).toISOString()}`);
  if (like === undefined ? Object.keys(t.group).length > 0 : like.group !== undefined) parts.push(`group ${sortedGroup(t.group)}`);
  if (like === undefined || like.severity !== undefined) parts.push(`severity ${t.alert.severity}`);
  return parts.join(' ');
}

/** Longest-common-subsequence diff of two line lists. */
export function diffLines(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]!}`);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push(`+ ${b[j]!}`);
      j++;
    } else {
      out.push(`- ${a[i]!}`);
      i++;
    }
  }
  return out;
}

/** Runs every case of one test file against `pattern` (already loaded). */
export async function runPatternTestCases(tf: PatternTestFile, pattern: Pattern): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of tf.cases) {
    // Advance after every line, so expectations do not depend on batching.
    const { transitions } = await replayLines(c.lines, [pattern], { advanceEvery: 1 });
    const expected = c.expect.map(formatExpected);
    const actual = transitions.map((t, i) => formatActual(t, c.expect[i]));
    const ok = expected.length === actual.length && expected.every((e, i) => e === actual[i]);
    results.push({ file: tf.file, pattern: tf.pattern, name: c.name, ok, expected, actual, diff: ok ? [] : diffLines(expected, actual) });
  }
  return results;
}

export interface PatternTestRun {
  results: CaseResult[];
  /** Problems with the test files themselves (unknown pattern id, invalid YAML...). */
  errors: string[];
  /** Bundled pattern ids with no test file (reported, not a failure). */
  untested: string[];
}

/** Test files of a directory: `*.yaml`/`*.yml` directly in it, sorted by name. */
async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory() && /\.ya?ml$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * Loads the patterns of `patternsDir` and runs every test file of `testsDir` (default
 * `<patternsDir>/tests`). Throws ConfigError when the patterns themselves are invalid.
 */
export async function runPatternTests(patternsDir: string, testsDir = join(patternsDir, 'tests')): Promise<PatternTestRun> {
  const patterns = await loadPatterns(patternsDir);
  const byId = new Map(patterns.map((p) => [p.id, p]));
  let files: string[];
  try {
    files = await testFiles(testsDir);
  } catch (e) {
    return { results: [], errors: [`${testsDir}: cannot read test directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`], untested: [...byId.keys()] };
  }
  const results: CaseResult[] = [];
  const errors: string[] = [];
  const tested = new Set<string>();
  if (files.length === 0) errors.push(`${testsDir}: has no *.yaml test files`);
  for (const file of files) {
    let tf: PatternTestFile;
    try {
      tf = parsePatternTestFile(await readFile(file, 'utf8'), file);
    } catch (e) {
      if (e instanceof ConfigError) {
        errors.push(...e.issues.map(formatConfigIssue));
        continue;
      }
      throw e;
    }
    const pattern = byId.get(tf.pattern);
    if (pattern === undefined) {
      errors.push(`${file}: pattern: no pattern "${tf.pattern}" in ${patternsDir}`);
      continue;
    }
    tested.add(tf.pattern);
    results.push(...(await runPatternTestCases(tf, pattern)));
  }
  return { results, errors, untested: [...byId.keys()].filter((id) => !tested.has(id)) };
}

/** Human output of a run; returns the exit code (1 on any failure or test-file error). */
export function formatPatternTestRun(run: PatternTestRun, out: (line: string) => void): number {
  for (const r of run.results) {
    out(`${r.ok ? 'PASS' : 'FAIL'}  ${r.pattern}: ${r.name}`);
    if (!r.ok) {
      out(`      ${r.file}: expected (-) vs actual (+) transitions:`);
      for (const d of r.diff) out(`      ${d}`);
    }
  }
  for (const e of run.errors) out(`ERROR ${e}`);
  const failed = run.results.filter((r) => !r.ok).length;
  const passed = run.results.length - failed;
  if (run.untested.length > 0) out(`untested patterns: ${run.untested.join(', ')}`);
  out(`${failed === 0 && run.errors.length === 0 ? 'ok' : 'FAILED'}: ${passed} passed, ${failed} failed${run.errors.length > 0 ? `, ${run.errors.length} test file error${run.errors.length === 1 ? '' : 's'}` : ''}`);
  return failed > 0 || run.errors.length > 0 ? 1 : 0;
}

/** The command: run and print; 0 when every case passes, 1 otherwise. */
export async function runPatternsTestCommand(patternsDir: string, testsDir: string | undefined, out: (line: string) => void): Promise<number> {
  let run: PatternTestRun;
  try {
    run = await runPatternTests(patternsDir, testsDir);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.lines) out(line);
      return 1;
    }
    throw e;
  }
  return formatPatternTestRun(run, out);
}
