/**
 * Events of one group held until the watermark passes them, then released in event-time order
 * (ties by arrival). Used by the order-sensitive detectors (consecutive, new_value,
 * missing_follow_up): at boundary T every event with time < T is final (later arrivals with
 * such times are late), so processing them sorted is deterministic whatever the arrival order.
 */
export interface Buffered {
  t: number;
  seq: number;
  /** Detector-specific flags (ROLE_* bits). */
  f: number;
}

export interface EventBuffer {
  /** Sorted by (t, seq): events mostly arrive in time order, so a push is usually an append. */
  items: Buffered[];
  /** Arrival counter (tie-break). */
  seq: number;
  minT: number;
}

export function newEventBuffer(): EventBuffer {
  return { items: [], seq: 0, minT: Infinity };
}

export function bufferPush(b: EventBuffer, t: number, f: number): void {
  const items = b.items;
  const x: Buffered = { t, seq: b.seq++, f };
  const n = items.length;
  if (n === 0 || items[n - 1]!.t <= t) items.push(x);
  else {
    // Out of order: after every item with time <= t (seq grows, so ties stay in arrival order).
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.t <= t) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, x);
  }
  if (t < b.minT) b.minT = t;
}

const byTimeThenArrival = (a: Buffered, b: Buffered): number => a.t - b.t || a.seq - b.seq;

const NONE: Buffered[] = [];

/**
 * Removes and returns the events with time < T, sorted (an empty array when none; callers only
 * iterate it). The items are kept sorted, so this is the prefix: O(due), not O(buffered) (a
 * consecutive or new_value group buffers grace x rate events, evaluated every second).
 */
export function bufferTake(b: EventBuffer, T: number): Buffered[] {
  if (b.minT >= T) return NONE;
  const items = b.items;
  let k = 0;
  while (k < items.length && items[k]!.t < T) k++;
  let due: Buffered[];
  if (k === items.length) {
    due = items;
    b.items = [];
  } else due = items.splice(0, k);
  b.minT = b.items.length === 0 ? Infinity : b.items[0]!.t;
  return due;
}

/** The first boundary (multiple of `res`) at which a buffered event becomes due, or Infinity. */
export function bufferNextDue(b: EventBuffer, res: number): number {
  return b.minT === Infinity ? Infinity : (Math.floor(b.minT / res) + 1) * res;
}

/** From a snapshot (older snapshots hold the items in arrival order: sorted here). */
export function restoreEventBuffer(j: { items: Buffered[]; seq: number }): EventBuffer {
  const items = j.items.map((x) => ({ t: x.t, seq: x.seq, f: x.f })).sort(byTimeThenArrival);
  return { items, seq: j.seq, minT: items.length === 0 ? Infinity : items[0]!.t };
}
