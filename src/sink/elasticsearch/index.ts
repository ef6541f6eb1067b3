/** Wiring: one client, one setup, two sinks (alerts and metrics) from the `elasticsearch:` config. */
import type { Logger } from 'pino';
import type { AlertTransition } from '../../model/transition.js';
import { createEsClient } from './client.js';
import type { EsConnectionConfig, EsSinkOptions } from './config.js';
import { alertCodecFor, metricCodec } from './documents.js';
import type { MetricRecord } from './documents.js';
import { ElasticsearchSink } from './elasticsearch-sink.js';
import { EsSetup } from './setup.js';

export interface ElasticsearchSinks {
  readonly alerts: ElasticsearchSink<AlertTransition>;
  readonly metrics: ElasticsearchSink<MetricRecord>;
  readonly setup: EsSetup;
  /** Closes both sinks, then the client. */
  close(): Promise<void>;
}

export function createElasticsearchSinks(conn: EsConnectionConfig, cfg: EsSinkOptions, deps: { logger: Logger; kibanaUrl?: string | undefined }): ElasticsearchSinks {
  const { client, secrets } = createEsClient(conn, cfg);
  const kibanaUrl = deps.kibanaUrl;
  const logger = deps.logger.child({ sink: 'elasticsearch' });
  const setup = new EsSetup(client, {
    mode: cfg.mode,
    manageTemplates: cfg.manage_templates,
    prefixes: { 'tripline-alerts': cfg.alerts_prefix, 'tripline-metrics': cfg.metrics_prefix },
    secrets,
    logger,
  });
  const common = {
    client,
    setup,
    namespace: cfg.namespace,
    limits: { maxItems: cfg.batch.max_items, maxBytes: cfg.batch.max_bytes },
    retry: { maxAttempts: cfg.retry.max_attempts, maxTimeMs: cfg.retry.max_time_ms, minDelayMs: cfg.retry.min_delay_ms, maxDelayMs: cfg.retry.max_delay_ms },
    refresh: cfg.refresh,
    secrets,
    logger,
  };
  const alerts = new ElasticsearchSink<AlertTransition>({ ...common, codec: alertCodecFor(kibanaUrl), prefix: cfg.alerts_prefix });
  const metrics = new ElasticsearchSink<MetricRecord>({ ...common, codec: metricCodec, prefix: cfg.metrics_prefix });
  return {
    alerts,
    metrics,
    setup,
    async close() {
      await Promise.all([alerts.close(), metrics.close()]);
      await client.close();
    },
  };
}

export { ElasticsearchSink } from './elasticsearch-sink.js';
export { EsSetup } from './setup.js';
export { parseEsSinkOptions, esSinkOptionsSchema } from './config.js';
export type { EsConnectionConfig, EsSinkOptions, SecretLike } from './config.js';
export type { MetricRecord } from './documents.js';
