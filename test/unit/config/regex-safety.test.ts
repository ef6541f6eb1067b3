import { describe, expect, it } from 'vitest';
import { checkRegex } from '../../../src/config/regex-safety.js';

describe('checkRegex', () => {
  it.each(['^/v1/', '^[a-z]+$', 'error|fatal', '(?<name>a)b', '[(?=]x', '\\(\\?=', '^\\d{3}$', 'a[\\1]'])('accepts %s', (re) => {
    expect(checkRegex(re)).toBeUndefined();
  });

  it.each([
    ['(a+)+$', 'not linear-time safe (nested quantifier)'],
    ['(x*)*', 'not linear-time safe (nested quantifier)'],
    ['(\\w)\\1', 'not linear-time safe (backreference)'],
    ['(?<n>a)\\k<n>', 'not linear-time safe (backreference)'],
    ['(?<=a)b', 'not linear-time safe (lookbehind)'],
    ['(?<!a)b', 'not linear-time safe (lookbehind)'],
    ['a(?=b)', 'not linear-time safe (lookahead)'],
    ['a(?!b)', 'not linear-time safe (lookahead)'],
    ['a*'.repeat(26), 'not linear-time safe (more than 25 quantifiers)'],
    ['(a', 'not a valid regular expression (Unterminated group)'],
    ['a{2}{3}', 'not a valid regular expression (Nothing to repeat)'],
    ['x'.repeat(1001), 'longer than 1000 characters'],
  ])('rejects %s', (re, why) => {
    expect(checkRegex(re)).toContain(why);
  });
});
