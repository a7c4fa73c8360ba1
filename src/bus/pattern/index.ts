/**
 * The EventBridge event-pattern language, as EventBridge runs it (aws/event-ruler semantics; see
 * shared/reference/eventbridge.md and the header comments of each module):
 * - compile.ts: parsing and validation, with AWS's error messages;
 * - evaluate.ts: events, array consistency, what each operator matches;
 * - rule-matcher.ts: many rules against one event, indexed;
 * - select.ts: events flattened only along the paths the rules use (RuleMatcher's fast path from JSON text);
 * - numbers.ts, ip.ts, strings.ts: number comparison, IP/CIDR, wildcard and equals-ignore-case.
 */
import type { CompileOptions } from './compile.js';
import { flattenEvent, matchSubRule } from './evaluate.js';
import type { PatternInput } from './rule-matcher.js';
import { toCompiled } from './rule-matcher.js';

export type { CompiledPattern, CompileOptions, FieldPattern, SubRule, ValueMatcher } from './compile.js';
export { compilePattern, compilePatternObject, MAX_FIELDS_PER_RULE, MAX_OR_COMBINATIONS, MAX_PATTERN_LENGTH, validatePattern } from './compile.js';
export { INVALID_PATTERN_PREFIX, InvalidEventError, InvalidEventPatternError } from './errors.js';
export type { EventValue, FlatEvent } from './evaluate.js';
export { flattenEvent } from './evaluate.js';
export type { PatternInput } from './rule-matcher.js';
export { RuleMatcher } from './rule-matcher.js';

/**
 * TestEventPattern: whether the event matches the pattern. Either may be JSON text (numbers then keep their literal
 * text) or a parsed value. Throws InvalidEventPatternError for an invalid pattern, InvalidEventError for an event
 * that is not a JSON object.
 */
export function matchesPattern(pattern: PatternInput, event: unknown, options?: CompileOptions): boolean {
  const compiled = toCompiled(pattern, options);
  const ev = flattenEvent(event);
  return compiled.subRules.some((sub) => matchSubRule(sub, ev));
}
