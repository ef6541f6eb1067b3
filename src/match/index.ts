export { createMatcher, groupValue } from './matcher.js';
export { decoderFieldsFor, neededFields, neededEventNames, neededFieldsByName, neededLiterals } from './needed.js';
export { compileSelector, selectorMatches, fieldsMatch } from './selector.js';
export type { CompiledSelector, FieldTest } from './selector.js';
export { compilePredicate, toNumber } from './predicate.js';
export type { Predicate } from './predicate.js';
