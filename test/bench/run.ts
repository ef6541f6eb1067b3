/**
 * `npm run bench [-- <scenario>...] [-- --lines N --reps R --only a,b --seconds S --rate R --background B]`: runs every registered scenario
 * (or the named ones), prints each result as JSON and writes it to bench-results/<name>.json.
 *
 * A scenario is one file in test/bench/ exporting a `Scenario`; register it in SCENARIOS below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { consumeScenario } from './consume.js';
import { e2eScenario } from './e2e.js';
import { burstScenario } from './burst.js';
import { engineScenario } from './engine.js';
import { engineIsolatedScenario } from './engine-isolated.js';
import { latencyScenario } from './latency.js';
import { memoryScenario } from './memory.js';
import { restoreScenario } from './restore.js';
import { scaleScenario } from './scale.js';
import type { Scenario, ScenarioArgs } from './lib/scenario.js';
import { load } from './lib/measure.js';

const SCENARIOS: Record<string, Scenario> = {
  engine: engineScenario,
  'engine-isolated': engineIsolatedScenario,
  consume: consumeScenario,
  e2e: e2eScenario,
  memory: memoryScenario,
  scale: scaleScenario,
  restore: restoreScenario,
  latency: latencyScenario,
  burst: burstScenario,
};

function parseArgs(argv: readonly string[]): { names: string[]; args: ScenarioArgs } {
  const names: string[] = [];
  const args: ScenarioArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lines') args.lines = Number(argv[++i]);
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--only') args.only = argv[++i]!.split(',');
    else if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--rate') args.rate = Number(argv[++i]);
    else if (a === '--background') args.background = Number(argv[++i]);
    else names.push(a);
  }
  return { names, args };
}

const { names, args } = parseArgs(process.argv.slice(2));
const selected = names.length === 0 ? Object.keys(SCENARIOS) : names;
for (const n of selected) {
  if (SCENARIOS[n] === undefined) {
    console.error(`unknown scenario "${n}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}
mkdirSync('bench-results', { recursive: true });
for (const name of selected) {
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadBefore: load() };
  let result: Record<string, unknown>;
  try {
    result = await SCENARIOS[name]!.run(args);
  } catch (e) {
    console.error(`bench ${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const out = { scenario: name, at: new Date().toISOString(), machine: { ...machine, loadAfter: load() }, ...result };
  const json = JSON.stringify(out, null, 2);
  writeFileSync(`bench-results/${name}.json`, json + '\n');
  console.log(json);
}
