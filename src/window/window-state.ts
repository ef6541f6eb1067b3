import { BucketRing } from './bucket-ring.js';
import type { BucketPartial } from './bucket-ring.js';

/**
 * Shape of a sliding window: evaluation instants are multiples of `resolution`; at boundary T
 * the window is [T - buckets*resolution, T).
 */
export interface WindowGeometry {
  readonly resolution: number;
  /** Window length in buckets (window / resolution, at least 1). */
  readonly buckets: number;
  /** Ring capacity: the window plus the grace period plus slack, so in-order traffic never spills. */
  readonly capacity: number;
}

export function windowGeometry(resolution: number, windowMs: number, graceMs: number): WindowGeometry {
  if (!(resolution > 0)) throw new RangeError(`resolution must be > 0 (got ${resolution})`);
  const buckets = Math.max(1, Math.round(windowMs / resolution));
  const capacity = buckets + Math.ceil(Math.max(0, graceMs) / resolution) + 2;
  return { resolution, buckets, capacity };
}

/** Index of the bucket holding `time`. */
export function bucketIndex(time: number, resolution: number): number {
  return Math.floor(time / resolution);
}

/** The first boundary strictly after `time`. */
export function nextBoundaryAfter(time: number, resolution: number): number {
  return (Math.floor(time / resolution) + 1) * resolution;
}

/** Per-(pattern, group) window data. */
export interface WindowState {
  readonly ring: BucketRing;
  /** Event time at which the group was created (first event, or stream start for implicit groups). */
  readonly createdAt: number;
}

/**
 * The WindowState the functions below create: the ring itself carrying `createdAt` (`ring` is
 * `this`), one object per group instead of two (memory per group, issue 8).
 */
class WindowRing extends BucketRing implements WindowState {
  constructor(
    o: ConstructorParameters<typeof BucketRing>[0],
    readonly createdAt: number,
  ) {
    super(o);
  }

  get ring(): BucketRing {
    return this;
  }
}

export interface WindowStateSnapshot {
  base: number;
  createdAt: number;
  retiredMaxTime: number | null;
  buckets: BucketPartial[];
}

export interface WindowStateOptions {
  sub?: boolean;
  maxTime?: boolean;
}

/**
 * A fresh window whose base suits the next boundary `nextT` to be evaluated: every bucket that
 * boundary (or any later one) reads is live.
 */
export function createWindowState(
  geo: WindowGeometry,
  createdAt: number,
  nextT: number,
  opts: WindowStateOptions,
): WindowState {
  const base = bucketIndex(nextT, geo.resolution) - geo.buckets;
  return new WindowRing({ resolution: geo.resolution, capacity: geo.capacity, base, ...opts }, createdAt);
}

export function snapshotWindowState(s: WindowState): WindowStateSnapshot {
  const r = s.ring.retiredMaxTime;
  return {
    base: s.ring.base,
    createdAt: s.createdAt,
    retiredMaxTime: Number.isFinite(r) ? r : null,
    buckets: s.ring.partials(),
  };
}

export function restoreWindowState(
  geo: WindowGeometry,
  snap: WindowStateSnapshot,
  opts: WindowStateOptions,
): WindowState {
  const ring = new WindowRing({ resolution: geo.resolution, capacity: geo.capacity, base: snap.base, ...opts }, snap.createdAt);
  ring.merge(snap.buckets);
  if (snap.retiredMaxTime !== null) ring.retiredMaxTime = snap.retiredMaxTime;
  return ring;
}

/**
 * Detector.nextChange for a count window of `n` buckets just evaluated at T: the count changes
 * only when the oldest data bucket in the window leaves it or the next data bucket ahead enters.
 */
export function windowNextChange(ring: BucketRing, T: number, n: number): number {
  const res = ring.resolution;
  const e = Math.floor(T / res);
  const first = ring.nextDataIndex(e - n);
  if (first === Infinity) return Infinity;
  if (first >= e) return (first + 1) * res;
  const ahead = ring.nextDataIndex(e);
  const leave = (first + n + 1) * res;
  return ahead === Infinity ? leave : Math.min(leave, (ahead + 1) * res);
}
