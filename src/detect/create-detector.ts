import type { Pattern } from '../model/pattern.js';
import { absenceDetector } from './absence.js';
import { anyDetector } from './any.js';
import { DEFAULT_STEP_MS } from './detector.js';
import type { Detector } from './detector.js';
import { cardinalityDetector } from './cardinality.js';
import { consecutiveDetector } from './consecutive.js';
import { gaugeDetector } from './gauge.js';
import { missingFollowUpDetector } from './missing-follow-up.js';
import { newValueDetector } from './new-value.js';
import { quantileDetector } from './quantile.js';
import { ratioDetector } from './ratio.js';
import { spikeDetector } from './spike.js';
import { thresholdDetector } from './threshold.js';

export interface DetectorOptions {
  /** Evaluation step for detectors without a resolution (`any`, `absence`), ms. Default 1s. */
  defaultStepMs?: number;
}

/** The detector for a pattern's `detect` block (one place to register new kinds). */
export function createDetector(p: Pattern, opts: DetectorOptions = {}): Detector {
  const step = opts.defaultStepMs ?? DEFAULT_STEP_MS;
  const d = p.detect;
  switch (d.type) {
    case 'threshold':
      return thresholdDetector(d, p.grace) as Detector;
    case 'ratio':
      return ratioDetector(d, p.grace) as Detector;
    case 'any':
      return anyDetector(d, p.grace, step) as Detector;
    case 'absence':
      return absenceDetector(d, p.grace, step) as Detector;
    case 'spike':
      return spikeDetector(d, p.grace) as Detector;
    case 'new_value':
      return newValueDetector(d, step) as Detector;
    case 'cardinality':
      return cardinalityDetector(d, p.grace) as Detector;
    case 'quantile':
      return quantileDetector(d, p.grace) as Detector;
    case 'gauge':
      return gaugeDetector(d, p.grace) as Detector;
    case 'consecutive':
      return consecutiveDetector(d, step) as Detector;
    case 'missing_follow_up':
      return missingFollowUpDetector(d, step) as Detector;
  }
}
