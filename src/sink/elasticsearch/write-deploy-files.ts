/** Regenerates deploy/elasticsearch/*.json from templates.ts: `npx tsx src/sink/elasticsearch/write-deploy-files.ts`. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deployFiles } from './templates.js';

export const DEPLOY_DIR = join('deploy', 'elasticsearch');

export function renderDeployFile(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(DEPLOY_DIR, { recursive: true });
  for (const [name, body] of Object.entries(deployFiles())) {
    writeFileSync(join(DEPLOY_DIR, name), renderDeployFile(body));
    console.log(`wrote ${join(DEPLOY_DIR, name)}`);
  }
}
