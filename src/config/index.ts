export { loadPatterns, parsePatterns, PATTERN_FILE } from './load-patterns.js';
export { parseDuration, formatDuration, MAX_DURATION_MS } from './duration.js';
export { checkRegex } from './regex-safety.js';
export { DEFAULTS, MAX_BUCKETS, SUMMARY_VARIABLES, defaultResolution } from './finalize.js';
export { DETECT_TYPES, PREDICATE_KEYS, ID_PATTERN } from './schema.js';
