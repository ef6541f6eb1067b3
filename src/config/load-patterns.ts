/**
 * Pattern files: `patterns/*.yaml` / `*.yml`, read in name order (not recursive).
 *
 * A file holds ONE YAML document that is either a single pattern (a mapping; key paths like
 * `detect.op`) or a list of patterns (key paths like `[1].detect.op`). Multiple documents
 * (`---`) are rejected so key paths stay unambiguous. Pattern ids are unique across all files.
 * All problems in all files are collected and thrown together as one ConfigError whose
 * `lines` are `<file>: <key.path>: <message>`.
 *
 * The directory listing and file reads here are the only I/O of the config stage.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { ConfigError, type ConfigIssue } from '../model/errors.js';
import type { Pattern } from '../model/pattern.js';
import { finalizePattern } from './finalize.js';
import { errorMap, formatPath, toConfigIssues } from './issues.js';
import { patternSchema } from './schema.js';
import { show } from './show.js';

export const PATTERN_FILE = /\.ya?ml$/;

/** Max YAML alias expansions per document (billion-laughs guard). */
const MAX_ALIAS_COUNT = 100;

interface FileResult {
  patterns: Pattern[];
  /** Key path of each pattern's `id`, for duplicate reports. */
  idPaths: string[];
  issues: ConfigIssue[];
}

function yamlMessage(msg: string): string {
  const first = msg.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** Parses one file's text without cross-file checks. Never throws. */
function parseFile(text: string, file: string): FileResult {
  const res: FileResult = { patterns: [], idPaths: [], issues: [] };
  const issue = (path: string, message: string) => res.issues.push({ file, path, message });

  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }) as YAML.Document.Parsed[];
  } catch (e) {
    issue('', `YAML syntax error: ${e instanceof Error ? yamlMessage(e.message) : 'unreadable'}`);
    return res;
  }
  if (!Array.isArray(docs)) docs = [];
  if (docs.length > 1) {
    issue('', `holds ${docs.length} YAML documents; put several patterns in one YAML list instead`);
    return res;
  }
  const doc = docs[0];
  if (doc !== undefined && doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      issue(pos === undefined ? '' : `line ${pos.line}, column ${pos.col}`, `YAML syntax error: ${yamlMessage(err.message)}`);
    }
    return res;
  }
  let data: unknown;
  try {
    data = doc === undefined ? null : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    issue('', `YAML error: ${e instanceof Error ? yamlMessage(e.message) : 'unreadable'}`);
    return res;
  }
  if (data === null || data === undefined) {
    issue('', 'is empty; expected a pattern (a mapping) or a list of patterns');
    return res;
  }

  let items: Array<[unknown, Array<string | number>]>;
  if (Array.isArray(data)) {
    if (data.length === 0) {
      issue('', 'is an empty list; expected at least one pattern');
      return res;
    }
    items = data.map((x, i) => [x, [i]]);
  } else if (typeof data === 'object') {
    items = [[data, []]];
  } else {
    issue('', `must be a pattern (a mapping) or a list of patterns (got ${show(data)})`);
    return res;
  }

  for (const [item, prefix] of items) {
    const parsed = patternSchema.safeParse(item, { error: errorMap });
    if (!parsed.success) {
      res.issues.push(...toConfigIssues(parsed.error, file, prefix));
      continue;
    }
    const before = res.issues.length;
    const p = finalizePattern(parsed.data, file, prefix, res.issues);
    if (res.issues.length === before) {
      res.patterns.push(p);
      res.idPaths.push(formatPath([...prefix, 'id']));
    }
  }
  return res;
}

/** Reports ids seen before (in this call's `seen` map: id -> file), in order. */
function checkDuplicates(r: FileResult, file: string, seen: Map<string, string>): void {
  r.patterns = r.patterns.filter((p, i) => {
    const first = seen.get(p.id);
    if (first === undefined) {
      seen.set(p.id, file);
      return true;
    }
    r.issues.push({
      file,
      path: r.idPaths[i]!,
      message: `duplicate id ${show(p.id)} (first defined in ${first === file ? 'this file' : first})`,
    });
    return false;
  });
}

/** Patterns of one file's text; throws ConfigError listing every problem. `file` is used in messages. */
export function parsePatterns(text: string, file: string): Pattern[] {
  const r = parseFile(text, file);
  checkDuplicates(r, file, new Map());
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return r.patterns;
}

/** All patterns of `dir` (files sorted by name, patterns in file order); throws ConfigError listing every problem. */
export async function loadPatterns(dir: string): Promise<Pattern[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => !e.isDirectory() && PATTERN_FILE.test(e.name)).map((e) => e.name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([{ file: dir, path: '', message: `cannot read pattern directory (${code})` }], { cause: e });
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new ConfigError([{ file: dir, path: '', message: 'has no *.yaml or *.yml pattern files' }]);

  const issues: ConfigIssue[] = [];
  const patterns: Pattern[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      issues.push({ file, path: '', message: `cannot read file (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    const r = parseFile(text, file);
    checkDuplicates(r, file, seen);
    issues.push(...r.issues);
    patterns.push(...r.patterns);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return patterns;
}
