/**
 * The `tripline` command line. Each command lives in its own file; this one only parses
 * arguments (commander) and maps errors to exit codes: 0 ok, 1 invalid input/config, 2 usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { isTriplineError } from '../model/errors.js';
import { loadPatterns } from '../config/load-patterns.js';
import { runCheck } from './check.js';
import { runReplay } from './replay.js';
import { runDemo } from './demo.js';
import { runCommand } from './run.js';
import { runPatternsTestCommand } from './patterns-test.js';
import { replayReport } from './replay-report.js';

const write = (s: string): void => {
  process.stdout.write(s);
};

function parseTime(v: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) || !v.includes('T') ? v : v + 'Z');
  if (!Number.isFinite(t)) throw new CommanderError(2, 'tripline.time', `invalid time "${v}": use ISO 8601 or epoch milliseconds`);
  return t;
}

export function buildProgram(): Command {
  const program = new Command('tripline')
    .description('Streaming log anomaly detector: Kafka in, Elasticsearch and PagerDuty out.')
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: (s) => process.stderr.write(s) });

  program
    .command('replay')
    .description('run the engine over an NDJSON log file (or - for stdin) in event time and print alert transitions')
    .argument('[file]', 'NDJSON file, or - for stdin', '-')
    .option('--patterns <dir>', 'patterns directory', process.env['TRIPLINE_PATTERNS'] ?? 'patterns')
    .option('--from <time>', 'ignore events before this time (ISO 8601 or epoch ms)', parseTime)
    .option('--to <time>', 'ignore events at or after this time', parseTime)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'ndjson']).default('table'))
    .option('--report <file>', 'also write a self-contained HTML backtest report (charts per pattern and top groups)')
    .action(async (file: string, o: { patterns: string; from?: number; to?: number; format: 'table' | 'ndjson'; report?: string }) => {
      const patterns = await loadPatterns(o.patterns);
      const progress = process.stderr.isTTY
        ? (c: { read: number }) => process.stderr.write(`\rreplay: ${c.read} lines`)
        : undefined;
      const range = { ...(o.from === undefined ? {} : { from: o.from }), ...(o.to === undefined ? {} : { to: o.to }) };
      const report = o.report === undefined ? undefined : replayReport(o.report, patterns, { source: file === '-' ? 'stdin' : file, ...range });
      const res = await runReplay(file, patterns, { format: o.format, ...range, ...(progress ? { progress } : {}), ...(report ? { onEvaluate: report.onEvaluate } : {}) }, write);
      if (progress) process.stderr.write('\n');
      report?.write(res);
    });

  program
    .command('check')
    .description('validate pattern files and print each compiled plan')
    .argument('[dir]', 'patterns directory', process.env['TRIPLINE_PATTERNS'] ?? 'patterns')
    .action(async (dir: string) => {
      const code = await runCheck(dir, (line) => write(line + '\n'));
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('demo')
    .description('replay the bundled, generated sample (four hours of API logs) with the bundled patterns; no services needed')
    .option('--patterns <dir>', 'patterns directory', 'patterns')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'ndjson']).default('table'))
    .option('--print-sample', 'print the generated sample as NDJSON instead of replaying it')
    .action(async (o: { patterns: string; format: 'table' | 'ndjson'; printSample?: boolean }) => {
      await runDemo(o, write);
    });

  program
    .command('patterns')
    .description('pattern authoring tools')
    .command('test')
    .description('run the fixture tests of DIR/tests/*.yaml against the patterns of DIR; exit 1 on any failure')
    .argument('[dir]', 'patterns directory', process.env['TRIPLINE_PATTERNS'] ?? 'patterns')
    .option('--tests <dir>', 'test files directory (default DIR/tests)')
    .action(async (dir: string, o: { tests?: string }) => {
      const code = await runPatternsTestCommand(dir, o.tests, (line) => write(line + '\n'));
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('run')
    .description('run the service: consume Kafka, detect, alert to Elasticsearch / PagerDuty (config from --config and the environment)')
    .option('--config <file>', 'YAML service config (environment variables override it)')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit')
    .action(async (o: { config?: string; printConfig?: boolean }) => {
      const code = await runCommand(o, write, (s) => process.stderr.write(s));
      // kafkajs / HTTP keep-alive handles may linger after a stop: the service owns the process.
      process.exit(code);
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      if (e.code === 'tripline.time') process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (isTriplineError(e)) {
      process.stderr.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
      return 1;
    }
    process.stderr.write(`tripline: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
