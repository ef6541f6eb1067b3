/**
 * Backpressure of the service: consumption of every assigned partition pauses while any delivery
 * queue is stalled (failing, or a batch outstanding longer than its stallAfterMs) or has more than
 * `maxPending` batches outstanding, and resumes once every queue has drained (pending 0). The
 * hysteresis (pause above the limit, resume only when empty) avoids flapping pause/resume.
 *
 * Also the `sinks` readiness probe: not ok while any queue is stalled.
 */
import type { Logger } from 'pino';
import type { ProbeResult } from '../telemetry/http-server.js';
import type { QueueStatus } from './delivery-queue.js';

export const DEFAULT_MAX_PENDING = 32;

export interface BackpressureOptions {
  queues: () => readonly QueueStatus[];
  pause: () => void;
  resume: () => void;
  logger: Logger;
  /** More batches than this outstanding in one queue pauses consumption (default 32). */
  maxPending?: number;
}

export class Backpressure {
  readonly #o: BackpressureOptions;
  #paused = false;

  constructor(opts: BackpressureOptions) {
    this.#o = opts;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Re-evaluates after a batch or tick; while `stopping`, never pauses again (the service is draining). */
  update(stopping = false, now = Date.now()): void {
    const qs = this.#o.queues();
    const max = this.#o.maxPending ?? DEFAULT_MAX_PENDING;
    const over = qs.some((q) => q.stalled(now) || q.pending() > max);
    if (over && !stopping) {
      if (!this.#paused) this.#o.logger.warn({ stalled: qs.filter((q) => q.stalled(now)).map((q) => q.name) }, 'sink stalled or behind; pausing consumption');
      this.#paused = true;
      this.#o.pause();
    } else if (this.#paused && qs.every((q) => q.pending() === 0)) {
      this.#paused = false;
      this.#o.resume();
      this.#o.logger.info('sinks drained; resuming consumption');
    }
  }

  /** Readiness of the sinks: not ok while any queue is stalled. */
  probe(now = Date.now()): ProbeResult {
    const stalled = this.#o.queues().filter((q) => q.stalled(now)).map((q) => q.name);
    if (stalled.length > 0) return { ok: false, detail: `stalled: ${stalled.join(', ')}` };
    return { ok: true, detail: this.#paused ? 'draining' : 'delivering' };
  }
}
