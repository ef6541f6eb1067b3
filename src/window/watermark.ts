/**
 * Event-time clock over several input partitions (pure; wall time is always a parameter).
 *
 * - Each partition keeps the max event time it has delivered.
 * - The event clock is the min over *active* partitions of their max event time, and never
 *   goes backwards (a partition that appears late, or comes back from idle behind the clock,
 *   cannot pull it back; its old events are then late).
 * - Idle rule (only when `idleTimeoutMs` is set and `tick(now)` is called): a partition that
 *   received nothing for `idleTimeoutMs` of wall time is left out of the min. When every
 *   partition is idle the clock advances with wall time from the last arrival:
 *   `clock = anchorClock + (now - anchorWall)`, where (anchorClock, anchorWall) are the clock
 *   and the wall time of the most recent arrival. Arrivals are stamped with the `wallNow`
 *   passed to `observe`, or, when omitted, with the `now` of the next `tick`.
 * - Without ticks (replay) the clock is purely a function of the event sequence.
 */
export interface WatermarkSnapshot {
  clock: number | null;
  maxTime: (number | null)[];
  anchorClock: number | null;
  anchorWall: number | null;
}

const toJson = (n: number): number | null => (Number.isFinite(n) ? n : null);
const fromJson = (n: number | null | undefined): number => (typeof n === 'number' ? n : -Infinity);

export class WatermarkTracker {
  /** Max event time per partition (index = partition); -Infinity = never seen. */
  private readonly maxTime: number[] = [];
  /** Wall time of the latest stamped arrival per partition. */
  private readonly lastArrival: number[] = [];
  /** Arrived since the last tick without an explicit wall time. */
  private readonly unstamped: boolean[] = [];
  private readonly idle: boolean[] = [];
  /** Declared by `expect` (assigned, maybe not seen yet): holds the clock until idle. */
  private readonly expected: boolean[] = [];
  private clockValue = -Infinity;
  /** Max event time over all partitions. */
  private maxAll = -Infinity;
  private anchorClock = -Infinity;
  private anchorWall = -Infinity;

  constructor(private readonly idleTimeoutMs?: number) {}

  /** The event clock (epoch ms; -Infinity before the first event). */
  get clock(): number {
    return this.clockValue;
  }

  /** Max event time seen on any partition. */
  get maxEventTime(): number {
    return this.maxAll;
  }

  /** Hot path: one event arrived on `partition` with event time `time`. */
  observe(partition: number, time: number, wallNow?: number): void {
    let prev = this.maxTime[partition];
    if (prev === undefined) {
      for (let i = this.maxTime.length; i <= partition; i++) {
        this.maxTime.push(-Infinity);
        this.lastArrival.push(-Infinity);
        this.unstamped.push(false);
        this.idle.push(true);
        this.expected.push(false);
      }
      prev = -Infinity;
    }
    let recompute = false;
    if (this.idle[partition]) {
      this.idle[partition] = false;
      recompute = true;
    }
    if (time > prev) {
      this.maxTime[partition] = time;
      if (time > this.maxAll) this.maxAll = time;
      // Only the partition holding the min can raise the clock.
      if (prev <= this.clockValue) recompute = true;
    }
    if (recompute) this.recomputeFromActive();
    if (wallNow === undefined) {
      this.unstamped[partition] = true;
    } else {
      this.lastArrival[partition] = wallNow;
      this.anchorClock = this.clockValue;
      this.anchorWall = wallNow;
    }
  }

  /**
   * Declares an input partition that is assigned but may not have delivered anything yet
   * (service: Kafka assignment). Until it delivers, or `idleTimeoutMs` of wall time pass from
   * `wallNow`, it holds the clock back, so its first events are not late because another
   * partition was read first (Kafka Streams' max.task.idle.ms). No-op for a partition seen before.
   */
  expect(partition: number, wallNow: number): void {
    for (let i = this.maxTime.length; i <= partition; i++) {
      this.maxTime.push(-Infinity);
      this.lastArrival.push(-Infinity);
      this.unstamped.push(false);
      this.idle.push(true);
      this.expected.push(false);
    }
    if (this.maxTime[partition] !== -Infinity || this.expected[partition]) return;
    this.expected[partition] = true;
    this.idle[partition] = false;
    this.lastArrival[partition] = wallNow;
  }

  /** Wall-clock tick: stamps arrivals, applies the idle rule. */
  tick(now: number): void {
    let stamped = false;
    for (let p = 0; p < this.maxTime.length; p++) {
      if (this.unstamped[p]) {
        this.unstamped[p] = false;
        this.lastArrival[p] = now;
        stamped = true;
      }
    }
    if (stamped) {
      this.anchorClock = this.clockValue;
      this.anchorWall = now;
    }
    if (this.idleTimeoutMs === undefined || this.maxTime.length === 0) return;
    let anyActive = false;
    for (let p = 0; p < this.maxTime.length; p++) {
      const isIdle = (this.maxTime[p] === -Infinity && this.expected[p] !== true) || now - this.lastArrival[p]! >= this.idleTimeoutMs;
      this.idle[p] = isIdle;
      if (!isIdle) anyActive = true;
    }
    if (anyActive) {
      this.recomputeFromActive();
    } else if (Number.isFinite(this.anchorClock) && now > this.anchorWall) {
      const c = this.anchorClock + (now - this.anchorWall);
      if (c > this.clockValue) this.clockValue = c;
    }
  }

  /** End of input: the clock jumps to the max event time seen (grace is ignored by the caller). */
  flushToMax(): void {
    if (this.maxAll > this.clockValue) this.clockValue = this.maxAll;
  }

  private recomputeFromActive(): void {
    let m = Infinity;
    for (let p = 0; p < this.maxTime.length; p++) {
      if (this.idle[p]) continue;
      const t = this.maxTime[p]!;
      if (t < m) m = t;
    }
    if (m !== Infinity && m > this.clockValue) this.clockValue = m;
  }

  snapshot(): WatermarkSnapshot {
    return {
      clock: toJson(this.clockValue),
      maxTime: this.maxTime.map(toJson),
      anchorClock: toJson(this.anchorClock),
      anchorWall: toJson(this.anchorWall),
    };
  }

  /**
   * Restores a snapshot. Known partitions count as having just arrived (stamped at the next
   * tick), so downtime never jumps the clock: the idle rule restarts from the first tick.
   */
  restore(s: WatermarkSnapshot): void {
    this.maxTime.length = 0;
    this.lastArrival.length = 0;
    this.unstamped.length = 0;
    this.idle.length = 0;
    this.expected.length = 0;
    for (const t of s.maxTime) {
      this.expected.push(false);
      this.maxTime.push(fromJson(t));
      this.lastArrival.push(-Infinity);
      this.unstamped.push(t !== null);
      this.idle.push(t === null);
    }
    this.clockValue = fromJson(s.clock);
    this.maxAll = this.maxTime.reduce((a, b) => (b > a ? b : a), -Infinity);
    this.anchorClock = fromJson(s.anchorClock);
    this.anchorWall = fromJson(s.anchorWall);
  }
}
