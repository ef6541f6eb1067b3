/** `tripline demo`: replays the generated sample with the bundled patterns. No services needed. */
import { loadPatterns } from '../config/load-patterns.js';
import { DEMO_INCIDENTS, DEMO_NEAR_MISSES, generateDemoSample } from './demo-sample.js';
import { replayLines } from './replay.js';
import { formatSummary, formatTable } from './replay-format.js';

export async function runDemo(
  o: { patterns: string; format: 'table' | 'ndjson'; printSample?: boolean },
  out: (s: string) => void,
): Promise<void> {
  const lines = generateDemoSample();
  if (o.printSample) {
    for (const l of lines) out(l + '\n');
    return;
  }
  const patterns = await loadPatterns(o.patterns);
  const res = await replayLines(lines, patterns);
  if (o.format === 'ndjson') {
    for (const t of res.transitions) out(JSON.stringify(t) + '\n');
    return;
  }
  out(`Replaying ${lines.length} generated log lines (4 hours of API traffic) against ${patterns.length} patterns from ${o.patterns}/\n\n`);
  out(formatTable(res.transitions));
  out(formatSummary(res.counters, patterns));
  out('\nThe sample contains these incidents (each should fire once):\n');
  for (const i of DEMO_INCIDENTS) out(`  ${i.at}  ${i.pattern}: ${i.what}\n`);
  out('and these near-misses (none should fire):\n');
  for (const n of DEMO_NEAR_MISSES) out(`  ${n.at}  ${n.pattern}: ${n.what}\n`);
}
