/**
 * docs/configuration.md, generated from the zod schema of the service configuration
 * (src/config/service-config.ts `serviceConfigSchema`, with `.describe()` on every field) and the
 * environment variable table (src/config/env-config.ts `ENV_VARS`). A unit test fails when the
 * committed copy is stale. Regenerate:
 *
 *   npx tsx src/cli/config-docs.ts --write        (or: npx tsx src/cli/config-docs.ts > docs/configuration.md)
 *
 * The walker reads zod v4 internals (`schema._zod.def`): wrappers (optional, default, prefault,
 * nullable, readonly, pipe/preprocess, lazy) are unwrapped to the inner type while collecting
 * description, default and optionality; objects and records of objects become their own section.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { ENV_VARS } from '../config/env-config.js';
import type { EnvVarSpec } from '../config/env-config.js';
import { serviceConfigSchema } from '../config/service-config.js';

export const CONFIGURATION_DOC_PATH = 'docs/configuration.md';
export const REGENERATE_COMMAND = 'npx tsx src/cli/config-docs.ts --write';

/** The parts of zod v4's internal definition the walker reads. */
interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  options?: Schema[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  in?: Schema;
  out?: Schema;
  getter?: () => Schema;
  format?: string;
  checks?: unknown[];
}

interface Schema {
  /** `innerType` of a lazy schema: the getter's result, cached by zod (same instance every time). */
  _zod: { def: Def; innerType?: Schema };
  description?: string | undefined;
  safeParse(v: unknown): { success: boolean; data?: unknown };
  minValue?: number | null;
  maxValue?: number | null;
  minLength?: number | null;
  maxLength?: number | null;
}

const asSchema = (s: z.ZodType): Schema => s as unknown as Schema;

/** A schema with its wrappers peeled off. */
interface Unwrapped {
  core: Schema;
  description: string | undefined;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
}

function unwrap(schema: Schema): Unwrapped {
  let cur = schema;
  let description: string | undefined;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  for (let i = 0; i < 32; i++) {
    description ??= cur.description;
    const def = cur._zod.def;
    switch (def.type) {
      case 'optional':
        optional = true;
        cur = def.innerType!;
        continue;
      case 'default':
      case 'prefault':
        if (!hasDefault) {
          hasDefault = true;
          defaultValue = def.defaultValue;
        }
        cur = def.innerType!;
        continue;
      case 'nullable':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        cur = def.innerType!;
        continue;
      case 'pipe':
        // z.preprocess(fn, schema) is pipe(transform, schema): the user writes what `out` takes.
        cur = def.in!._zod.def.type === 'transform' ? def.out! : def.in!;
        continue;
      case 'lazy':
        cur = cur._zod.innerType ?? def.getter!();
        continue;
    }
    break;
  }
  return { core: cur, description, optional, hasDefault, defaultValue };
}

export interface FieldRow {
  /** Dotted YAML path (`kafka.sasl.mechanism`; `<name>` for record keys, `[]` for list items). */
  path: string;
  key: string;
  env: string | undefined;
  type: string;
  default: string;
  description: string;
  secret: string;
}

export interface Section {
  /** Dotted YAML path of the object, `` for the top level. */
  path: string;
  title: string;
  description: string;
  rows: FieldRow[];
}

export interface ConfigDocsModel {
  sections: Section[];
  /** Paths of fields with no `.describe()` (the test wants none). */
  undocumented: string[];
  /** ENV_VARS entries whose path is not in the schema (the test wants none). */
  unknownEnvVars: string[];
}

const isObject = (s: Schema): boolean => s._zod.def.type === 'object';

function code(s: string): string {
  return `\`${s}\``;
}

function numberRange(s: Schema): string {
  const min = s.minValue;
  const max = s.maxValue;
  const lo = typeof min === 'number' && Number.isFinite(min) && Math.abs(min) < 2 ** 50 ? min : undefined;
  const hi = typeof max === 'number' && Number.isFinite(max) && Math.abs(max) < 2 ** 50 ? max : undefined;
  if (lo !== undefined && hi !== undefined) return ` ${lo}–${hi}`;
  if (lo !== undefined) return ` ≥ ${lo}`;
  if (hi !== undefined) return ` ≤ ${hi}`;
  return '';
}

/** Human type of a schema; `section` is the link target for objects. */
function typeOf(schema: Schema, section: (path: string, core: Schema) => string, path: string): string {
  const { core } = unwrap(schema);
  const def = core._zod.def;
  switch (def.type) {
    case 'string':
      return 'string';
    case 'number': {
      const int = def.format === 'safeint' || def.format === 'int32' || def.format === 'uint32';
      return `${int ? 'integer' : 'number'}${numberRange(core)}`;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => code(String(v)))
        .join(' | ');
    case 'literal':
      return (def.values ?? []).map((v) => code(JSON.stringify(v))).join(' | ');
    case 'union':
      return (def.options ?? []).map((o, i) => typeOf(o, section, `${path}|${i}`)).join(' | ');
    case 'array': {
      const el = unwrap(def.element!).core;
      if (isObject(el)) return `list of objects (${section(`${path}[]`, el)})`;
      return `list of ${typeOf(def.element!, section, `${path}[]`)}`;
    }
    case 'record': {
      const val = unwrap(def.valueType!).core;
      if (isObject(val)) return `map of name → object (${section(`${path}.<name>`, val)})`;
      return `map of name → ${typeOf(def.valueType!, section, `${path}.<name>`)}`;
    }
    case 'object':
      return `object (${section(path, core)})`;
    case 'custom':
      return 'secret';
    default:
      return def.type;
  }
}

function renderDefault(field: Schema, u: Unwrapped): string {
  if (!u.hasDefault) {
    if (u.optional) return '—';
    // A preprocess (`v ?? {}`) or similar makes the key omittable without a declared default.
    const r = field.safeParse(undefined);
    if (!r.success) return 'required';
    return r.data !== null && typeof r.data === 'object' ? 'see fields' : code(JSON.stringify(r.data));
  }
  const v = u.defaultValue;
  if (v !== null && typeof v === 'object') return 'see fields';
  return code(JSON.stringify(v));
}

/** Drops a trailing "Env NAME." from a description when the env column already says it. */
function withoutEnvSuffix(desc: string, env: string | undefined): string {
  if (env === undefined) return desc;
  return desc.replace(new RegExp(`\\s*Env ${env}\\.$`), '');
}

function secretColumn(key: string, u: Unwrapped, env: EnvVarSpec | undefined, siblings: Record<string, Schema>): string {
  if (u.core._zod.def.type === 'custom' || env?.kind === 'secret') return '**yes**: env only, masked';
  if (key === 'routing_key_env') return 'names the env var holding the secret';
  if (key.endsWith('_file')) {
    const base = key.slice(0, -'_file'.length);
    const sib = siblings[base];
    if (sib !== undefined && unwrap(sib).core._zod.def.type === 'custom') return 'path of a file holding the secret';
  }
  return 'no';
}

/** Table cell text: pipes escaped, `<x>` kept visible (GitHub would take it for an HTML tag). */
function escapeCell(s: string): string {
  return s
    .replace(/\|/g, '\\|')
    .replace(/<([A-Za-z_ ]+)>/g, '&lt;$1&gt;')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The model of the docs: one section per object in the schema, in schema order. */
export function buildConfigDocsModel(root: z.ZodType = serviceConfigSchema, envVars: readonly EnvVarSpec[] = ENV_VARS): ConfigDocsModel {
  const envByPath = new Map(envVars.map((e) => [e.path.join('.'), e]));
  const sections: Section[] = [];
  const undocumented: string[] = [];
  const seenPaths = new Set<string>();
  const link = (path: string): string => `[${code(path === '' ? '(top level)' : path)}](#${slug(sectionTitle(path))})`;

  // `ancestors`: the objects on the way down, by section path; a schema met again among its own
  // ancestors (the recursive route tree) links to the ancestor's section instead of recursing.
  const walkObject = (obj: Schema, path: string, description: string, ancestors: ReadonlyMap<Schema, string>): void => {
    const inner = new Map(ancestors).set(obj, path);
    const anchor = (p: string, core: Schema): string => link(inner.get(core) ?? p);
    const shape = obj._zod.def.shape ?? {};
    const section: Section = { path, title: sectionTitle(path), description, rows: [] };
    sections.push(section);
    const nested: Array<[Schema, string, string]> = [];
    for (const [key, field] of Object.entries(shape)) {
      const fieldPath = path === '' ? key : `${path}.${key}`;
      seenPaths.add(fieldPath);
      const u = unwrap(field);
      const env = envByPath.get(fieldPath);
      const desc = u.description ?? '';
      if (desc === '') undocumented.push(fieldPath);
      section.rows.push({
        path: fieldPath,
        key,
        env: env?.name,
        type: typeOf(field, anchor, fieldPath),
        default: renderDefault(field, u),
        description: withoutEnvSuffix(desc, env?.name),
        secret: secretColumn(key, u, env, shape),
      });
      const def = u.core._zod.def;
      if (def.type === 'object') nested.push([u.core, fieldPath, desc]);
      else if (def.type === 'array') {
        const el = unwrap(def.element!);
        if (isObject(el.core)) nested.push([el.core, `${fieldPath}[]`, el.description ?? desc]);
      } else if (def.type === 'record') {
        const val = unwrap(def.valueType!);
        if (isObject(val.core)) nested.push([val.core, `${fieldPath}.<name>`, val.description ?? desc]);
      }
    }
    // Recursive schemas (the PagerDuty route tree): a node whose children are the same schema.
    for (const [schema, p, d] of nested) {
      if (inner.has(schema)) continue;
      walkObject(schema, p, d, inner);
    }
  };

  const top = unwrap(asSchema(root));
  walkObject(top.core, '', top.description ?? '', new Map());
  const unknownEnvVars = envVars.filter((e) => !seenPaths.has(e.path.join('.'))).map((e) => e.name);
  return { sections, undocumented, unknownEnvVars };
}

function sectionTitle(path: string): string {
  return path === '' ? 'Top level' : code(path);
}

/** GitHub's heading anchor: lowercase, punctuation other than - and _ dropped, spaces to -. */
export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const INTRO = `# Configuration reference

<!-- Generated from src/config/service-config.ts and src/config/env-config.ts by src/cli/config-docs.ts.
     Do not edit by hand; regenerate with: ${REGENERATE_COMMAND} -->

\`tripline run\` reads an optional YAML file (\`--config FILE\`) and the environment. The
environment wins over the file. Everything is validated at start; every problem is reported as
one sentence naming the YAML key (with the file) or the environment variable, and the service
does not start. \`tripline run --print-config\` prints the effective configuration with every
secret masked.

Secrets never come from the file: a password or API key comes from its environment variable or
from a \`*_file\` (a path to a file holding it, e.g. a mounted Kubernetes Secret); a PagerDuty
routing key is referenced by the *name* of the environment variable that holds it
(\`routing_key_env\`). A literal secret in the file (\`password:\`, \`api_key:\`, \`routing_key:\`,
\`token:\` …) is rejected. Secrets are masked in logs, errors and \`--print-config\`.

Columns: **YAML key** as written in the file (nested keys are in their own section);
**env** the environment variable that sets it; **default** \`—\` = optional, no default,
\`required\` = must be set when its section is present (\`kafka\` itself is required by
\`tripline run\`); **secret** whether the value is a secret and where it may come from.
Lists from the environment are comma-separated; booleans accept true/false, 1/0, yes/no, on/off.
`;

const ROUTING = `## PagerDuty routing tree

\`pagerduty.routing_keys\` declares the receivers: a name and the environment variable holding
its Events API v2 routing key. \`pagerduty.route\` is an Alertmanager-style tree deciding which
receivers get an alert. The labels a matcher sees are the pattern's \`labels\` plus \`pattern\`
(the pattern id) and \`severity\` (the alert's current severity); those two win over a pattern
label of the same name. The root matches every alert. A node's \`routes\` are tried in order; the
first child whose \`matchers\` all hold is descended into and the search stops there, unless that
child has \`continue: true\`, in which case the later siblings are tried too. A matched node with no
matching child delivers to its \`receiver\` (inherited from the parent when unset). Receivers are
de-duplicated. Without \`route\`, every alert goes to the first \`routing_keys\` entry.
At start the tree is checked: the root must name a receiver, and every receiver must be a
\`routing_keys\` name. See the README's "PagerDuty routing" section for a complete example.
`;

const ES_NOTE = `## Elasticsearch sink options

\`elasticsearch.sink\` tunes the sink and has a default for everything, so \`{}\` (or leaving it out)
is valid. It has no environment variables. Alerts go to \`<alerts_prefix>-<namespace>\` and the
per-window metric documents to \`<metrics_prefix>-<namespace>\` (data streams, or plain indices in
\`index\` mode); the Kibana data views in deploy/kibana match \`tripline-alerts-*\` and
\`tripline-metrics-*\`, so change the prefixes only together with them.
`;

function renderTable(rows: readonly FieldRow[]): string {
  const lines = ['| YAML key | env | type | default | description | secret |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${code(r.key)} | ${r.env === undefined ? '—' : code(r.env)} | ${r.type.replace(/\|/g, '\\|')} | ${r.default} | ${escapeCell(r.description)} | ${r.secret} |`,
    );
  }
  return lines.join('\n');
}

function renderEnvIndex(envVars: readonly EnvVarSpec[]): string {
  const lines = ['| variable | YAML key | kind | description |', '|---|---|---|---|'];
  for (const e of envVars) {
    lines.push(`| ${code(e.name)} | ${code(e.path.join('.'))} | ${e.kind} | ${escapeCell(e.description)} |`);
  }
  return lines.join('\n');
}

/** The full Markdown of docs/configuration.md. */
export function renderConfigurationDocs(root: z.ZodType = serviceConfigSchema, envVars: readonly EnvVarSpec[] = ENV_VARS): string {
  const model = buildConfigDocsModel(root, envVars);
  const out: string[] = [INTRO];
  out.push('## Sections\n');
  for (const s of model.sections) out.push(`- [${s.title}](#${slug(s.title)})`);
  out.push('- [PagerDuty routing tree](#pagerduty-routing-tree)');
  out.push('- [Elasticsearch sink options](#elasticsearch-sink-options)');
  out.push('- [Environment variables](#environment-variables)');
  out.push('');
  for (const s of model.sections) {
    out.push(`## ${s.title}\n`);
    if (s.description !== '') out.push(`${escapeCell(s.description)}\n`);
    out.push(renderTable(s.rows));
    out.push('');
  }
  out.push(ROUTING);
  out.push(ES_NOTE);
  out.push('## Environment variables\n');
  out.push('Every variable `tripline run` reads, in the order of the table in src/config/env-config.ts.\n');
  out.push(renderEnvIndex(envVars));
  out.push('');
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = renderConfigurationDocs();
  if (process.argv.includes('--write')) {
    writeFileSync(CONFIGURATION_DOC_PATH, text);
    process.stderr.write(`wrote ${CONFIGURATION_DOC_PATH}\n`);
  } else {
    process.stdout.write(text);
  }
}
