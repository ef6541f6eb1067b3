import type { LogEvent } from '../model/event.js';

/** How many sample events a transition carries. */
export const SAMPLE_SIZE = 5;

/**
 * The last SAMPLE_SIZE matched events of a group (arrival order), kept by reference: one array
 * write per event. Copies (and redaction) happen only when a transition is built.
 */
export class SampleRing {
  private readonly buf: (LogEvent | undefined)[] = new Array<LogEvent | undefined>(SAMPLE_SIZE);
  private next = 0;

  push(ev: LogEvent): void {
    this.buf[this.next] = ev;
    this.next = this.next === SAMPLE_SIZE - 1 ? 0 : this.next + 1;
  }

  /**
   * Up to SAMPLE_SIZE events with time < `before`, most recent event time first
   * (ties: most recently arrived first).
   */
  select(before: number): LogEvent[] {
    const out: LogEvent[] = [];
    for (let i = 1; i <= SAMPLE_SIZE; i++) {
      const ev = this.buf[(this.next - i + SAMPLE_SIZE) % SAMPLE_SIZE];
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
