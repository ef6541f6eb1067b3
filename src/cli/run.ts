/**
 * `tripline run [--config FILE] [--print-config]`: the service. Loads the service config (file +
 * environment, secrets masked in --print-config), the patterns, starts /healthz /readyz /metrics
 * (TRIPLINE_HTTP_PORT) and the pipeline (src/pipeline.ts runService), and stops gracefully on
 * SIGTERM/SIGINT within shutdown_timeout_ms: stop fetching, deliver, checkpoint, commit, leave the
 * group, exit 0. Exit 1 on invalid config, an unrecoverable error or an overrun shutdown budget.
 */
import { collectSecrets, loadServiceConfig, printConfig } from '../config/service-config.js';
import { loadPatterns } from '../config/load-patterns.js';
import { isTriplineError } from '../model/errors.js';
import { runService } from '../pipeline.js';
import type { ServiceHandle } from '../pipeline.js';
import { TelemetryServer } from '../telemetry/http-server.js';
import { createLogger } from '../telemetry/logger.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { redactSecrets, secretValues } from '../telemetry/redact.js';

export interface RunOptions {
  config?: string;
  printConfig?: boolean;
}

const flushLogs = (logger: Logger): Promise<void> =>
  new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });

/** Runs the service until a signal or a fatal error; returns the exit code. */
export async function runCommand(o: RunOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const cfg = loadServiceConfig(o.config === undefined ? {} : { file: o.config });
  if (o.printConfig === true) {
    out(printConfig(cfg));
    return 0;
  }
  const secrets = collectSecrets(cfg);
  const logger = createLogger({ level: cfg.log_level, secrets });
  const scrub = (s: string): string => redactSecrets(s, secretValues(secrets));
  const metrics = createMetrics({ processMetrics: true });
  let server: TelemetryServer | undefined;
  let service: ServiceHandle | undefined;
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  try {
    const patterns = await loadPatterns(cfg.patterns);
    if (cfg.http.port !== undefined) {
      server = new TelemetryServer({ port: cfg.http.port, registry: metrics.registry, logger });
      // Not ready until the pipeline has started and registered its own probes (without this,
      // /readyz would answer 200 while Kafka, the checkpoint and the sinks are still starting).
      server.registerProbe('service', () => ({ ok: phase === 'running', detail: phase }));
      await server.start();
    }
    logger.info({ 'tripline.patterns': patterns.length, 'kafka.topics': cfg.kafka?.topics }, 'starting tripline run');
    service = await runService({ config: cfg, patterns, logger, metrics, server });
    phase = 'running';
    logger.info('tripline run started');
  } catch (e) {
    const msg = isTriplineError(e) ? e.message : e instanceof Error ? e.message : String(e);
    logger.error({ err: e }, 'startup failed');
    err(`tripline run: ${scrub(msg)}\n`);
    await service?.abort().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await flushLogs(logger);
    return 1;
  }
  const svc = service;

  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    const graceful = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      phase = 'stopping';
      logger.info({ signal, 'tripline.shutdown_timeout_ms': cfg.shutdown_timeout_ms }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error('shutdown budget exceeded; exiting without a final checkpoint (nothing unacknowledged was committed)');
        resolve(1);
      }, cfg.shutdown_timeout_ms);
      timer.unref();
      svc.stop().then(
        () => {
          clearTimeout(timer);
          logger.info('stopped cleanly');
          resolve(0);
        },
        (e: unknown) => {
          clearTimeout(timer);
          logger.error({ err: e }, 'graceful stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => graceful('SIGTERM'));
    process.once('SIGINT', () => graceful('SIGINT'));
    svc.fatal.catch((e: unknown) => {
      if (stopping) return;
      stopping = true;
      phase = 'stopping';
      const msg = isTriplineError(e) ? e.message : String(e);
      logger.fatal({ err: e }, 'unrecoverable error; stopping');
      err(`tripline run: ${scrub(msg)}\n`);
      void svc.abort().finally(() => resolve(1));
    });
  });
  await server?.stop().catch(() => undefined);
  await flushLogs(logger);
  return code;
}
