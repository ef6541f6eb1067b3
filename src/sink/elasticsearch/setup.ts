/**
 * Prepares the cluster once per process: detect data streams / ILM, choose the write mode, and
 * idempotently install the ILM policies and composable index templates (PUT overwrites).
 * A failed setup is not memoised: the next `ensureReady` tries again.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { TriplineError } from '../../model/errors.js';
import { chooseWriteMode, detectFeatures } from './features.js';
import type { ModeDecision, ModeSetting, Probe } from './features.js';
import { mapRequestError, statusOf } from './request-errors.js';
import { TEMPLATE_SPECS, templateBody } from './templates.js';

export interface EsSetupOptions {
  readonly mode: ModeSetting;
  readonly manageTemplates: boolean;
  /** Prefix per template spec name, e.g. { 'tripline-alerts': 'tripline-alerts' }. */
  readonly prefixes: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  readonly logger: Logger;
}

export class EsSetup {
  private ready: Promise<ModeDecision> | undefined;

  constructor(
    private readonly client: Client,
    private readonly opts: EsSetupOptions,
  ) {}

  ensureReady(): Promise<ModeDecision> {
    this.ready ??= this.run().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private readonly probe: Probe = async (path) => {
    try {
      const r = await this.client.transport.request({ method: 'GET', path }, { meta: true });
      return r.statusCode ?? 200;
    } catch (e) {
      const status = statusOf(e);
      if (status !== undefined) return status;
      throw mapRequestError(e, `probe ${path}`, this.opts.secrets);
    }
  };

  private async run(): Promise<ModeDecision> {
    const { logger } = this.opts;
    if (!this.opts.manageTemplates && this.opts.mode === 'auto') {
      throw new TriplineError('CONFIG_INVALID', 'elasticsearch.mode must be data_stream or index when manage_templates is false');
    }
    let decision: ModeDecision;
    if (this.opts.mode === 'index') {
      decision = chooseWriteMode('index', { dataStreams: false, ilm: false });
    } else {
      const features = await detectFeatures(this.probe);
      if (features.forbidden.length > 0) {
        logger.warn({ forbidden: features.forbidden }, 'elasticsearch feature probe forbidden (HTTP 403); assuming absent');
      }
      decision = chooseWriteMode(this.opts.mode, features);
    }
    logger.info({ mode: decision.mode, ilm: decision.ilm }, `elasticsearch write mode: ${decision.reason}`);
    if (this.opts.manageTemplates) await this.install(decision);
    return decision;
  }

  private async install(decision: ModeDecision): Promise<void> {
    for (const spec of TEMPLATE_SPECS) {
      const prefix = this.opts.prefixes[spec.name] ?? spec.name;
      try {
        if (decision.ilm) {
          await this.client.ilm.putLifecycle({ name: spec.name, ...spec.ilmPolicy });
        }
        await this.client.indices.putIndexTemplate({ name: prefix, ...templateBody(spec, { mode: decision.mode, ilm: decision.ilm, prefix }) });
      } catch (e) {
        throw mapRequestError(e, `install template ${prefix}`, this.opts.secrets);
      }
    }
    this.opts.logger.info({ templates: TEMPLATE_SPECS.map((s) => this.opts.prefixes[s.name] ?? s.name) }, 'elasticsearch index templates installed');
  }
}
