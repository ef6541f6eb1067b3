export { createDecoder, decode, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH } from './decode.js';
export type { Decoder, DecodeOptions, TimeFormat } from './decode.js';
export { parseIsoTimestamp, MAX_EPOCH_MS } from './timestamp.js';
export { FORBIDDEN_KEYS } from './scan.js';
