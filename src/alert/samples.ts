import type { LogEvent } from '../model/event.js';

/** How many sample events a transition carries. */
export const SAMPLE_SIZE = 5;

/**
 * The last SAMPLE_SIZE matched events of a group (arrival order), kept by reference: one field
 * or array write per event. Copies (and redaction) happen only when a transition is built.
 *
 * Memory per group (issue 8): the ring array is allocated at the group's second event; until
 * then the one event sits in `buf` itself (in a high-cardinality group_by most groups see one
 * or two events). The engine's group object extends this class, so a group costs no separate
 * ring object either.
 */
export class SampleRing {
  /** undefined (no event yet), the only event so far, or the ring (from the second event on). */
  private buf: LogEvent | (LogEvent | undefined)[] | undefined = undefined;
  /** Ring position of the next write (1 while `buf` holds the first event). */
  private next = 0;

  push(ev: LogEvent): void {
    const b = this.buf;
    if (Array.isArray(b)) {
      b[this.next] = ev;
      this.next = this.next === SAMPLE_SIZE - 1 ? 0 : this.next + 1;
    } else if (b === undefined) {
      this.buf = ev;
      this.next = 1;
    } else {
      const ring = new Array<LogEvent | undefined>(SAMPLE_SIZE);
      ring[0] = b;
      ring[1] = ev;
      this.buf = ring;
      this.next = 2;
    }
  }

  /**
   * Up to SAMPLE_SIZE events with time < `before`, most recent event time first
   * (ties: most recently arrived first).
   */
  select(before: number): LogEvent[] {
    const out: LogEvent[] = [];
    const b = this.buf;
    if (b === undefined) return out;
    if (!Array.isArray(b)) {
      if (b.time < before) out.push(b);
      return out;
    }
    for (let i = 1; i <= SAMPLE_SIZE; i++) {
      const ev = b[(this.next - i + SAMPLE_SIZE) % SAMPLE_SIZE];
      if (ev !== undefined && ev.time < before) out.push(ev);
    }
    return out.sort((a, b) => b.time - a.time);
  }
}

const own = Object.prototype.hasOwnProperty;

function clone(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = clone((v as Record<string, unknown>)[k]);
  return out;
}

/** Removes `path` from a fresh copy: the literal dotted key and every nested interpretation. */
function removePath(obj: Record<string, unknown>, parts: readonly string[], i: number): void {
  for (let j = parts.length; j > i; j--) {
    const key = j - i === 1 ? parts[i]! : parts.slice(i, j).join('.');
    if (!own.call(obj, key)) continue;
    if (j === parts.length) {
      delete obj[key];
    } else {
      const child = obj[key];
      if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
        removePath(child as Record<string, unknown>, parts, j);
      }
    }
  }
}

/** A deep copy of the event's fields with the `redact` field paths removed. */
export function redactedCopy(
  fields: Readonly<Record<string, unknown>>,
  redact: readonly string[],
): Record<string, unknown> {
  const copy = clone(fields) as Record<string, unknown>;
  for (const path of redact) removePath(copy, path.split('.'), 0);
  return copy;
}
