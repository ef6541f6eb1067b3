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
  items: Buffered[];
  /** Arrival counter (tie-break). */
  seq: number;
  minT: number;
}

export function newEventBuffer(): EventBuffer {
  return { items: [], seq: 0, minT: Infinity };
}

export function bufferPush(b: EventBuffer, t: number, f: number): void {
  b.items.push({ t, seq: b.seq++, f });
  if (t < b.minT) b.minT = t;
}

const byTimeThenArrival = (a: Buffered, b: Buffered): number => a.t - b.t || a.seq - b.seq;

/** Removes and returns the events with time < T, sorted (empty array when none). */
export function bufferTake(b: EventBuffer, T: number): Buffered[] {
  if (b.minT >= T) return [];
  const due: Buffered[] = [];
  const keep: Buffered[] = [];
  let minT = Infinity;
  for (const x of b.items) {
    if (x.t < T) due.push(x);
    else {
      keep.push(x);
      if (x.t < minT) minT = x.t;
    }
  }
  b.items = keep;
  b.minT = minT;
  if (due.length > 1) due.sort(byTimeThenArrival);
  return due;
}

/** The first boundary (multiple of `res`) at which a buffered event becomes due, or Infinity. */
export function bufferNextDue(b: EventBuffer, res: number): number {
  return b.minT === Infinity ? Infinity : (Math.floor(b.minT / res) + 1) * res;
}

export function restoreEventBuffer(j: { items: Buffered[]; seq: number }): EventBuffer {
  const b: EventBuffer = { items: [...j.items], seq: j.seq, minT: Infinity };
  for (const x of b.items) if (x.t < b.minT) b.minT = x.t;
  return b;
}
