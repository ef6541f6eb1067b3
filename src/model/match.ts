import type { LogEvent } from './event.js';

/** Bit flags a matched event carries for its pattern's detector. */
export const ROLE_MATCH = 1;
/** The event also satisfies the detector's secondary selector (ratio `numerator`, consecutive `failure`). */
export const ROLE_SUB = 2;
/**
 * The event satisfies missing_follow_up's `follow_up` selector. Such an event reaches the
 * pattern even when `match` does not select it (then ROLE_MATCH is not set).
 */
export const ROLE_FOLLOW_UP = 4;

/** One (pattern, group) an event belongs to. Produced by src/match, consumed by window/detect. */
export interface MatchResult {
  /** Index of the pattern in the loaded pattern list. */
  readonly pattern: number;
  /** ROLE_* bit set. */
  readonly roles: number;
  /** Canonical group key: JSON of the group values in group_by order (`"[]"` with no group_by). */
  readonly groupKey: string;
  /** group_by field -> value as string (missing values are MISSING_GROUP_VALUE). */
  readonly group: Readonly<Record<string, string>>;
}

export type Matcher = (ev: LogEvent) => readonly MatchResult[];
