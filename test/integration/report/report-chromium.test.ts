// `tripline replay --report` in real headless Chromium (Debian's `chromium`; installed here when
// missing, and by .ci/run). Replays the generated demo sample with the bundled patterns through
// the CLI, renders the report, and checks the DOM after the inline JS ran: one chart per shown
// group, the expected series per chart, shaded firing spans where transitions fired, and no
// external resource. The screenshot is kept in test-artifacts/ for a human look.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { generateDemoSample } from '../../../src/cli/demo-sample.js';

function ensureChromium(): string {
  const which = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  if (which.status === 0) return which.stdout.trim();
  const install = spawnSync('sh', ['-c', 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium'], { encoding: 'utf8' });
  const again = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  if (again.status !== 0) throw new Error(`chromium is required for this test and could not be installed (apt-get exit ${install.status}): ${install.stderr.slice(-500)}`);
  return again.stdout.trim();
}

function chromiumArgs(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--window-size=1400,2000'];
}

describe('replay --report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-report-'));
  const artifacts = resolve('test-artifacts');
  const reportFile = join(dir, 'report.html');
  let chromium = '';
  let html = '';
  let dom = '';

  beforeAll(async () => {
    chromium = ensureChromium();
    const input = join(dir, 'demo.ndjson');
    writeFileSync(input, generateDemoSample().join('\n') + '\n');
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'tripline', 'replay', input, '--format', 'ndjson', '--report', reportFile])).toBe(0);
    } finally {
      process.stdout.write = orig;
      process.exitCode = undefined;
    }
    html = readFileSync(reportFile, 'utf8');
    mkdirSync(artifacts, { recursive: true });
    const url = pathToFileURL(reportFile).href;
    dom = execFileSync(chromium, [...chromiumArgs(mkdtempSync(join(tmpdir(), 'chromium-'))), '--dump-dom', url], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    execFileSync(chromium, [...chromiumArgs(mkdtempSync(join(tmpdir(), 'chromium-'))), `--screenshot=${join(artifacts, 'replay-report.png')}`, url], { timeout: 120_000, stdio: 'ignore' });
    writeFileSync(join(artifacts, 'replay-report.html'), html);
  });

  it('is self-contained: no external scripts, styles, images or fonts', () => {
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|@import|url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)[^"'\s<]*\.(js|css|woff2?)/i);
  });

  it('the inline JS ran and every shown group has a chart with value and threshold (and baseline for spikes)', () => {
    const charts = (dom.match(/<svg class="chart"/g) ?? []).length;
    const groups = (dom.match(/<div class="group"/g) ?? []).length;
    expect(charts).toBeGreaterThan(10);
    expect(charts).toBe(groups);
    const series = (dom.match(/<path class="series /g) ?? []).length;
    expect(dom).toContain(`data-charts="${charts}"`);
    expect(dom).toContain(`data-series="${series}"`);
    expect(dom).toMatch(/data-series="baseline"/);
    for (const section of dom.split('<section class="pattern"').slice(1)) {
      const detector = /<span class="badge">([a-z_]+)<\/span>/.exec(section)![1]!;
      for (const chart of section.split('<svg class="chart"').slice(1).map((s) => s.slice(0, s.indexOf('</svg>')))) {
        const kinds = [...chart.matchAll(/data-series="([a-z]+)"/g)].map((m) => m[1]);
        // A spike's threshold is a score (not drawn); its baseline exists once history does.
        if (detector === 'spike') expect(['value', 'baseline,value']).toContain(kinds.join(','));
        else expect(kinds, detector).toEqual(['threshold', 'value']);
      }
    }
  });

  it('firing spans are shaded for the demo incidents, with the transitions table', () => {
    const firingSpans = (dom.match(/class="span span-firing"/g) ?? []).length;
    const firingRows = (dom.match(/<tr class="state-firing">/g) ?? []).length;
    expect(firingSpans).toBeGreaterThan(0);
    expect(firingRows).toBeGreaterThanOrEqual(firingSpans);
    expect(dom).toContain('id="export-webhook-blocked-by-host"');
  });
});
