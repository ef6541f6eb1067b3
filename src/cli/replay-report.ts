/** `tripline replay --report FILE`: collects evaluations during the replay and writes the HTML report. */
import { writeFileSync } from 'node:fs';
import type { Pattern } from '../model/pattern.js';
import { buildReportData, EvaluationCollector } from './report-data.js';
import { renderReportHtml } from './report-html.js';
import type { ReplayResult } from './replay.js';

export interface ReplayReport {
  readonly onEvaluate: EvaluationCollector['onEvaluate'];
  /** Renders and writes the report after the replay. */
  write(res: ReplayResult): void;
}

export function replayReport(file: string, patterns: readonly Pattern[], meta: { source: string; from?: number; to?: number }): ReplayReport {
  const collector = new EvaluationCollector();
  return {
    onEvaluate: collector.onEvaluate,
    write(res) {
      const c = res.counters;
      const transitions = Object.values(c.transitions).reduce((s, byState) => s + Object.values(byState).reduce((a, b) => a + (b ?? 0), 0), 0);
      const data = buildReportData(patterns, collector, res.transitions, {
        title: 'tripline backtest report',
        ...meta,
        counters: { read: c.read, decoded: c.decoded, matched: c.matched, late: c.late, transitions },
      });
      writeFileSync(file, renderReportHtml(data));
    },
  };
}
