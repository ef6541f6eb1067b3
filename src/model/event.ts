/**
 * The decoded log event: the unit that flows from `decode` to `match`.
 * Produced only by src/decode; everything downstream treats it as read-only.
 */
export interface LogEvent {
  /** Event name, e.g. `export_webhook_blocked` (from `event`, `msg`, `message`, `event.action`, `event.name`). */
  readonly name: string;
  /** Event time, epoch milliseconds. */
  readonly time: number;
  /** Where `time` came from: a field of the line, or the Kafka record timestamp (counted). */
  readonly timeSource: 'field' | 'record';
  /** The parsed JSON object (null-prototype safe: `__proto__`/`constructor` keys are rejected by decode). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Input partition (0 for files/stdin); watermarks are kept per partition. */
  readonly partition: number;
  /**
   * Set by the fast decode path (src/decode/fast.ts): the top-level fields the loaded patterns
   * read (neededFields; in the service and replay only those the patterns that can match this
   * event's name read, neededFieldsByName) with exactly their values in `fields` (absent when
   * absent), so match and detect can read them without materialising `fields`. Readers of
   * pattern-declared field paths use `ev.needed ?? ev.fields`; everything else (samples) reads
   * `fields`.
   */
  readonly needed?: Readonly<Record<string, unknown>>;
}

/** Why a line could not be decoded. Each reason is counted and sent to the dead-letter topic. */
export const DECODE_ERROR_REASONS = [
  'empty',
  'too_large',
  'invalid_utf8',
  'not_json',
  'not_object',
  'too_deep',
  'forbidden_key',
  'missing_event',
  'wrong_type',
  'bad_timestamp',
  /** No time field and no record timestamp (e.g. replay of a line without a time field). */
  'missing_timestamp',
] as const;
export type DecodeErrorReason = (typeof DECODE_ERROR_REASONS)[number];

/** A typed decode failure: a value, never a throw. */
export interface DecodeError {
  readonly kind: 'decode_error';
  readonly reason: DecodeErrorReason;
  /** One sentence, safe to log (never contains the whole raw line). */
  readonly detail: string;
}

export function isDecodeError(x: LogEvent | DecodeError): x is DecodeError {
  return (x as DecodeError).kind === 'decode_error';
}
