/**
 * Reservation token bucket: `reserve()` takes a token now (the count may go negative) and returns
 * how long the caller must wait for it. Sized so that no 60-second window exceeds `perMinute`
 * (PagerDuty counts ~120 events per routing key over a 60 s look-back): burst + refill·60 s = perMinute.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, Math.floor(perMinute / 12));
    this.perMs = Math.max(perMinute - this.burst, 1) / 60_000;
    this.tokens = this.burst;
    this.last = now();
  }

  /** Takes one token; returns the wait in ms before using it (0 = now). */
  reserve(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
    this.tokens -= 1;
    // The epsilon absorbs floating-point error so a wait never lands a hair inside the 60 s window.
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.perMs + 1e-6);
  }
}
