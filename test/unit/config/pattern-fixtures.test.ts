import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPatterns, parsePatterns } from '../../../src/config/load-patterns.js';
import { ConfigError } from '../../../src/model/errors.js';

const INVALID = 'test/fixtures/patterns/invalid';

/** Messages of the ConfigError thrown by `f`, or a failure if it does not throw one. */
function messagesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) {
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.retriable).toBe(false);
      return e.lines;
    }
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** The ConfigError a promise rejects with. */
function failure(p: Promise<unknown>): Promise<ConfigError> {
  return p.then(
    () => {
      throw new Error('expected a ConfigError');
    },
    (e: unknown) => e as ConfigError,
  );
}

/** Exact messages per invalid fixture, in the manner of Alertmanager's config/testdata. */
const EXPECTED: Record<string, string[]> = {
  'absence-without-after.yaml': [
    "patterns/absence-without-after.yaml: detect.after: is required",
    "patterns/absence-without-after.yaml: detect.window: unknown key",
  ],
  'backreference-regex.yaml': [
    "patterns/backreference-regex.yaml: match.where.path.regex: \"^/(\\\\w+)/\\\\1$\" is not linear-time safe (backreference)",
  ],
  'bad-duration.yaml': [
    "patterns/bad-duration.yaml: detect.window: must be a duration like 500ms, 30s, 5m, 1h30m or a number of milliseconds (got \"5 minutes\")",
    "patterns/bad-duration.yaml: grace: must be a duration like 500ms, 30s, 5m, 1h30m or a number of milliseconds (got \"-5s\")",
  ],
  'bad-group-by.yaml': [
    "patterns/bad-group-by.yaml: group_by[1]: must be a field path like status or http.response.status_code (got \"\")",
    "patterns/bad-group-by.yaml: group_by[2]: must be a string (got 42)",
  ],
  'bad-id.yaml': [
    "patterns/bad-id.yaml: id: must start with a lowercase letter or digit and contain only a-z, 0-9, _, . and - (got \"Login Failed\")",
  ],
  'bad-labels.yaml': [
    "patterns/bad-labels.yaml: labels.on-call: is not a valid label name (letters, digits and _, not starting with a digit)",
    "patterns/bad-labels.yaml: labels.2fa: is not a valid label name (letters, digits and _, not starting with a digit)",
  ],
  'bad-numbers.yaml': [
    "patterns/bad-numbers.yaml: max_groups: must be >= 1 (got 0)",
    "patterns/bad-numbers.yaml: detect.window: must be at least 1ms (got \"0s\")",
    "patterns/bad-numbers.yaml: detect.value: must be a number (got Infinity)",
    "patterns/bad-numbers.yaml: flap_max_changes: must be an integer (got 2.5)",
  ],
  'bad-op.yaml': [
    "patterns/bad-op.yaml: detect.op: must be one of >=, >, <=, < (got \"=>\")",
  ],
  'bad-severity.yaml': [
    "patterns/bad-severity.yaml: severity: must be one of critical, error, warning, info (got \"fatal\")",
  ],
  'duplicate-group-by.yaml': [
    "patterns/duplicate-group-by.yaml: group_by[2]: duplicate field \"user\"",
  ],
  'duplicate-yaml-key.yaml': [
    "patterns/duplicate-yaml-key.yaml: line 4, column 1: YAML syntax error: map keys must be unique",
  ],
  'empty-event-list.yaml': [
    "patterns/empty-event-list.yaml: match.event: must not be an empty list",
  ],
  'empty.yaml': [
    "patterns/empty.yaml: is empty; expected a pattern (a mapping) or a list of patterns",
  ],
  'event-list-item.yaml': [
    "patterns/event-list-item.yaml: match.event[1]: must be a non-empty string (got \"\")",
    "patterns/event-list-item.yaml: match.event[2]: must be a non-empty string (got 7)",
  ],
  'invalid-regex.yaml': [
    "patterns/invalid-regex.yaml: match.where.path.regex: \"^/v1/(users\" is not a valid regular expression (Unterminated group)",
  ],
  'list-errors.yaml': [
    "patterns/list-errors.yaml: [1].detect.value: must be a number (got \"three\")",
    "patterns/list-errors.yaml: [2]: must be a mapping (got \"not a pattern\")",
    "patterns/list-errors.yaml: [3].id: duplicate id \"list-ok\" (first defined in this file)",
  ],
  'lookbehind-regex.yaml': [
    "patterns/lookbehind-regex.yaml: match.where.path.regex: \"(?<=/v1)/admin\" is not linear-time safe (lookbehind)",
    "patterns/lookbehind-regex.yaml: match.where.route.regex: \"admin(?!/health)\" is not linear-time safe (lookahead)",
  ],
  'missing-id.yaml': [
    "patterns/missing-id.yaml: id: is required",
  ],
  'multi-document.yaml': [
    "patterns/multi-document.yaml: holds 2 YAML documents; put several patterns in one YAML list instead",
  ],
  'not-a-mapping.yaml': [
    "patterns/not-a-mapping.yaml: must be a pattern (a mapping) or a list of patterns (got \"just a string\")",
  ],
  'predicate-types.yaml': [
    "patterns/predicate-types.yaml: match.where.status.in: must not be an empty list",
    "patterns/predicate-types.yaml: match.where.status.gte: must be a number (got \"500\")",
    "patterns/predicate-types.yaml: match.where.path.exists: must be true or false (got \"yes\")",
    "patterns/predicate-types.yaml: match.where.path.prefix: must be a string (got 5)",
    "patterns/predicate-types.yaml: match.where.user.equals: must be a string, number, boolean or null (got a mapping)",
  ],
  'ratio-value-range.yaml': [
    "patterns/ratio-value-range.yaml: detect.value: must be <= 1 (got 5)",
    "patterns/ratio-value-range.yaml: detect.min_total: must be >= 0 (got -1)",
  ],
  'ratio-without-numerator.yaml': [
    "patterns/ratio-without-numerator.yaml: detect.numerator: is required",
  ],
  'summary-placeholders.yaml': [
    "patterns/summary-placeholders.yaml: summary: {{group.host}} refers to \"host\", which is not in group_by",
    "patterns/summary-placeholders.yaml: summary: unknown placeholder {{priority}} (use value, threshold, count, severity, pattern.id, baseline, score or group.<group_by field>)",
  ],
  'too-many-buckets.yaml': [
    "patterns/too-many-buckets.yaml: detect.resolution: gives 36000 buckets per detect.window (1h); at most 10000 allowed (got 100ms)",
  ],
  'typo-top-level.yaml': [
    "patterns/typo-top-level.yaml: match.evnt: unknown key (did you mean event?)",
    "patterns/typo-top-level.yaml: severty: unknown key (did you mean severity?)",
    "patterns/typo-top-level.yaml: repeat: unknown key",
  ],
  'unknown-detect-type.yaml': [
    "patterns/unknown-detect-type.yaml: detect.type: must be one of threshold, ratio, any, absence, spike, new_value, cardinality, quantile, gauge, consecutive, missing_follow_up (got \"anomaly\")",
  ],
  'unknown-key.yaml': [
    "patterns/unknown-key.yaml: detect.window: is required",
    "patterns/unknown-key.yaml: detect.windw: unknown key (did you mean window?)",
  ],
  'unsafe-regex.yaml': [
    "patterns/unsafe-regex.yaml: match.where.path.regex: \"(a+)+$\" is not linear-time safe (nested quantifier)",
  ],
  'where-list.yaml': [
    "patterns/where-list.yaml: match.where.status: must be a value or a mapping of predicates (equals, not_equals, in, not_in, exists, gt, gte, lt, lte, prefix, regex) (got a list)",
    "patterns/where-list.yaml: match.where.level: must have at least one predicate (equals, not_equals, in, not_in, exists, gt, gte, lt, lte, prefix, regex)",
    "patterns/where-list.yaml: match.where.host.eq: unknown key",
  ],
  'window-not-multiple.yaml': [
    "patterns/window-not-multiple.yaml: detect.resolution: must divide detect.window (5m) evenly (got 7s)",
  ],
  'yaml-syntax.yaml': [
    "patterns/yaml-syntax.yaml: line 2, column 31: YAML syntax error: flow sequence in block collection must be sufficiently indented and end with a ]",
    "patterns/yaml-syntax.yaml: line 2, column 32: YAML syntax error: flow map in block collection must be sufficiently indented and end with a }",
  ],
};

describe('invalid pattern fixtures', () => {
  it('has an expectation for every fixture file (and vice versa)', () => {
    const files = readdirSync(INVALID).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}`, () => {
      const text = readFileSync(join(INVALID, file), 'utf8');
      expect(messagesOf(() => parsePatterns(text, `patterns/${file}`))).toEqual(expected);
    });
  }

  it('duplicate-ids/: ids are unique across files', async () => {
    const dir = join(INVALID, 'duplicate-ids');
    await expect(loadPatterns(dir)).rejects.toBeInstanceOf(ConfigError);
    const err = await failure(loadPatterns(dir));
    expect(err.lines).toEqual([      "test/fixtures/patterns/invalid/duplicate-ids/b.yaml: [1].id: duplicate id \"same-id\" (first defined in test/fixtures/patterns/invalid/duplicate-ids/a.yaml)",
    ]);
  });

  it('collects errors across all files of a directory', async () => {
    const err = await failure(loadPatterns(INVALID));
    expect(err).toBeInstanceOf(ConfigError);
    const expected = Object.entries(EXPECTED)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([file, msgs]) => msgs.map((m) => m.replace(`patterns/${file}`, join(INVALID, file))));
    expect(err.lines).toEqual(expected);
    expect(err.message).toContain(`${expected.length} problems`);
  });
});
