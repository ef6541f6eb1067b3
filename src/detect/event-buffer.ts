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
  /**
   * items[head..] sorted by (t, seq): events mostly arrive in time order, so a push is usually an
   * append; taken items are dropped by moving `head` (compacted once they are half the array),
   * so a take costs O(due), not O(buffered) (a consecutive or new_value group buffers grace x
   * rate events and is evaluated every second).
   */
  items: Buffered[];
  head: number;
  /** Arrival counter (tie-break). */
  seq: number;
  minT: number;
}

export function newEventBuffer(): EventBuffer {
  return { items: [], head: 0, seq: 0, minT: Infinity };
}

/** Buffered events (not yet taken). */
export function bufferSize(b: EventBuffer): number {
  return b.items.length - b.head;
}

/** The buffered events in (t, seq) order, for snapshots. */
export function bufferItems(b: EventBuffer): Buffered[] {
  return b.items.slice(b.head);
}

export function bufferPush(b: EventBuffer, t: number, f: number): void {
  const items = b.items;
  const x: Buffered = { t, seq: b.seq++, f };
  const n = items.length;
  if (n === b.head || items[n - 1]!.t <= t) items.push(x);
  else {
    // Out of order: after every item with time <= t (seq grows, so ties stay in arrival order).
    let lo = b.head;
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

/**
 * End (exclusive) of the events with time < T: they are `b.items[b.head .. end)`, in (t, seq)
 * order. The detectors walk them there, then bufferRelease(b, end): a drain that allocates
 * nothing (no closure, no array; run at every evaluation of every buffered group).
 */
export function bufferDueEnd(b: EventBuffer, T: number): number {
  if (b.minT >= T) return b.head;
  const items = b.items;
  const n = items.length;
  let k = b.head;
  while (k < n && items[k]!.t < T) k++;
  return k;
}

/** Removes the events before index `k` (from bufferDueEnd). */
export function bufferRelease(b: EventBuffer, k: number): void {
  const items = b.items;
  const n = items.length;
  if (k === b.head) return;
  if (k === n) {
    b.items = [];
    b.head = 0;
    b.minT = Infinity;
    return;
  }
  b.minT = items[k]!.t;
  if (k > 64 && 2 * k > n) {
    b.items = items.slice(k);
    b.head = 0;
  } else b.head = k;
}

/** The first boundary (multiple of `res`) at which a buffered event becomes due, or Infinity. */
export function bufferNextDue(b: EventBuffer, res: number): number {
  return b.minT === Infinity ? Infinity : (Math.floor(b.minT / res) + 1) * res;
}

/** From a snapshot (older snapshots hold the items in arrival order: sorted here). */
export function restoreEventBuffer(j: { items: Buffered[]; seq: number }): EventBuffer {
  const items = j.items.map((x) => ({ t: x.t, seq: x.seq, f: x.f })).sort(byTimeThenArrival);
  return { items, head: 0, seq: j.seq, minT: items.length === 0 ? Infinity : items[0]!.t };
}
