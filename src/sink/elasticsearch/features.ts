/**
 * Which write mode applies. Data streams and ILM may be absent (the integ-test zip has neither,
 * nor `GET /`): probe `GET _data_stream` and `GET _ilm/status` and treat "no handler" answers
 * (400/404/405/410/501) as absent. Data streams when available, dated indices otherwise.
 */
import { TriplineError } from '../../model/errors.js';

export type WriteMode = 'data_stream' | 'index';
export type ModeSetting = 'auto' | WriteMode;

export interface EsFeatures {
  readonly dataStreams: boolean;
  readonly ilm: boolean;
}

export interface ModeDecision {
  readonly mode: WriteMode;
  /** Attach the ILM policies (only with data streams and ILM present). */
  readonly ilm: boolean;
  /** One sentence for the startup log. */
  readonly reason: string;
}

/** A probe's outcome: HTTP status, or a thrown error for transport failures. */
export type Probe = (path: string) => Promise<number>;

const ABSENT_STATUSES = new Set([400, 404, 405, 410, 501]);

export type ProbeOutcome = 'present' | 'absent' | 'forbidden';

/** Pure: classify a probe status. 401 is an auth failure (thrown), 403 "can't tell" (forbidden). */
export function classifyProbe(status: number, what: string): ProbeOutcome {
  if (status >= 200 && status < 300) return 'present';
  if (ABSENT_STATUSES.has(status)) return 'absent';
  if (status === 403) return 'forbidden';
  if (status === 401) throw new TriplineError('SINK_AUTH', `elasticsearch refused the credentials while probing ${what} (HTTP 401)`);
  if (status === 429 || status >= 500) throw new TriplineError('SINK_RETRIABLE', `elasticsearch unavailable while probing ${what} (HTTP ${status})`);
  throw new TriplineError('SINK_STALLED', `unexpected HTTP ${status} while probing ${what}`);
}

export interface DetectedFeatures extends EsFeatures {
  /** Probes that answered 403: feature assumed absent. */
  readonly forbidden: readonly string[];
}

export async function detectFeatures(probe: Probe): Promise<DetectedFeatures> {
  const ds = classifyProbe(await probe('/_data_stream'), 'data streams');
  const ilm = classifyProbe(await probe('/_ilm/status'), 'ILM');
  const forbidden = [...(ds === 'forbidden' ? ['data streams'] : []), ...(ilm === 'forbidden' ? ['ILM'] : [])];
  return { dataStreams: ds === 'present', ilm: ilm === 'present', forbidden };
}

/** Pure: the write mode for a setting and the detected features. */
export function chooseWriteMode(setting: ModeSetting, features: EsFeatures): ModeDecision {
  if (setting === 'index') {
    return { mode: 'index', ilm: false, reason: 'dated indices (configured mode: index)' };
  }
  if (!features.dataStreams) {
    if (setting === 'data_stream') {
      throw new TriplineError('CONFIG_INVALID', 'elasticsearch.mode is data_stream but the cluster has no data stream support');
    }
    return { mode: 'index', ilm: false, reason: 'dated indices (data streams not available on this cluster)' };
  }
  return features.ilm
    ? { mode: 'data_stream', ilm: true, reason: 'data streams with ILM policies' }
    : { mode: 'data_stream', ilm: false, reason: 'data streams without ILM (ILM not available on this cluster)' };
}
