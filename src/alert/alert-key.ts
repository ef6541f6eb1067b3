/**
 * Stable alert key: FNV-1a 64-bit of `<pattern id> NUL <group key>` (UTF-8), 16 hex digits.
 * Computed once per group, at its first transition (never on the hot path).
 */
const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

export function fnv1a64(text: string): string {
  let h = OFFSET;
  for (const byte of encoder.encode(text)) {
    h ^= BigInt(byte);
    h = (h * PRIME) & MASK;
  }
  return h.toString(16).padStart(16, '0');
}

export function alertKey(patternId: string, groupKey: string): string {
  return fnv1a64(`${patternId}\u0000${groupKey}`);
}

export function alertId(key: string, seq: number): string {
  return `${key}-${seq}`;
}
