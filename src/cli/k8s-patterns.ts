/**
 * deploy/k8s/patterns-configmap.yaml: the bundled pattern files as a ConfigMap (one key per
 * file, mounted at TRIPLINE_PATTERNS). Generated so it never drifts from patterns/; a unit test
 * fails when the committed copy is stale. Regenerate: `npx tsx src/cli/k8s-patterns.ts`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { PATTERN_FILE } from '../config/load-patterns.js';

export const PATTERNS_CONFIGMAP_PATH = 'deploy/k8s/patterns-configmap.yaml';

export function patternsConfigMap(dir = 'patterns'): string {
  const data: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true }).filter((x) => x.isFile() && PATTERN_FILE.test(x.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    data[e.name] = readFileSync(join(dir, e.name), 'utf8');
  }
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'tripline-patterns', labels: { 'app.kubernetes.io/name': 'tripline', 'app.kubernetes.io/component': 'detector' } },
    data,
  };
  return `# Generated from patterns/*.yaml by src/cli/k8s-patterns.ts; do not edit.\n${YAML.stringify(doc, { lineWidth: 0, blockQuote: 'literal' })}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(PATTERNS_CONFIGMAP_PATH, patternsConfigMap(process.argv[2] ?? 'patterns'));
  process.stdout.write(`wrote ${PATTERNS_CONFIGMAP_PATH}\n`);
}
