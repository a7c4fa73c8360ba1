/**
 * Runs every row of the EventBridge conformance files (shared/conformance/eventbridge/, see
 * shared/reference/eventbridge.md §2) through the pattern engine:
 * - match files: each (pattern, event, match) triple through `matchesPattern` and through a RuleMatcher holding that
 *   one rule, from the raw text when the row has it (number literals and duplicate keys matter);
 * - validity files: each pattern through `validatePattern`; the verdict always, and the message whenever the row
 *   gives one (AWS's full text, or event-ruler's first line without Jackson's `at [Source: ...]` location).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVALID_PATTERN_PREFIX, InvalidEventPatternError, matchesPattern, RuleMatcher, validatePattern } from './index.js';

const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'conformance', 'eventbridge');

/** Rows skipped entirely: name -> reason. */
const SKIP: Record<string, string> = {};

/**
 * Validity rows whose verdict is checked but whose message is not: name -> reason. These come from event-ruler's
 * legacy `RuleCompiler`, whose wording differs from `JsonRuleCompiler`, the compiler EventBridge uses (AWS's messages
 * in conformance-aws-localstack-validity.jsonl are JsonRuleCompiler's). We report JsonRuleCompiler's wording, which
 * the JsonRuleCompiler rows for the same patterns check.
 */
const LEGACY_WORDING =
  'legacy RuleCompiler wording; EventBridge (JsonRuleCompiler) words this error differently and the JsonRuleCompiler row for the same pattern checks that wording';
const MESSAGE_NOT_COMPARED: Record<string, string> = {
  'RuleCompilerTest.testCompile #198': LEGACY_WORDING,
  'RuleCompilerTest.testCompile #199': LEGACY_WORDING,
  'RuleCompilerTest.testCompile #202': LEGACY_WORDING,
  'RuleCompilerTest.testCompile #203': LEGACY_WORDING,
  'RuleCompilerTest.testCompile #204': LEGACY_WORDING,
  'RuleCompilerTest.testCompile #205': LEGACY_WORDING,
};

function rows(file: string): Array<Record<string, unknown>> {
  return readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface MatchRow {
  name: string;
  pattern: unknown;
  event: unknown;
  match: boolean;
  raw_pattern?: string;
  raw_event?: string;
}

for (const file of ['conformance.jsonl', 'conformance-aws-localstack.jsonl', 'conformance-probes.jsonl']) {
  describe(file, () => {
    const all = rows(file) as unknown as MatchRow[];
    it('has rows', () => expect(all.length).toBeGreaterThan(0));
    for (const row of all) {
      const skip = SKIP[row.name];
      it.skipIf(skip !== undefined)(`${row.name} -> ${row.match}`, () => {
        const pattern = row.raw_pattern ?? JSON.stringify(row.pattern);
        const event = row.raw_event ?? JSON.stringify(row.event);
        expect(matchesPattern(pattern, event)).toBe(row.match);
        const matcher = new RuleMatcher();
        matcher.add('rule', pattern);
        expect(matcher.match(event)).toEqual(row.match ? ['rule'] : []);
        if (row.raw_pattern === undefined && row.raw_event === undefined) {
          // The parsed forms must agree too when nothing depends on the literal text.
          expect(matchesPattern(row.pattern as object, row.event)).toBe(row.match);
        }
      });
    }
  });
}

interface ValidityRow {
  name: string;
  pattern_raw: string;
  valid: boolean;
  compiler: string;
  error?: string;
}

/** The reason text a row expects: AWS's message without its prefix, or event-ruler's without Jackson's location. */
function expectedReason(error: string): string {
  const first = error.split('\n at [Source: ')[0]!;
  return first.replace(/^JsonParseException: /, '').replace(INVALID_PATTERN_PREFIX, '');
}

for (const file of ['conformance-validity.jsonl', 'conformance-aws-localstack-validity.jsonl', 'conformance-probes-validity.jsonl']) {
  describe(file, () => {
    const all = rows(file) as unknown as ValidityRow[];
    it('has rows', () => expect(all.length).toBeGreaterThan(0));
    for (const row of all) {
      const skip = SKIP[row.name];
      it.skipIf(skip !== undefined)(`${row.name} -> ${row.valid ? 'valid' : 'invalid'}`, () => {
        const ruleOverriding = !row.compiler.includes('override=false');
        let caught: unknown;
        try {
          validatePattern(row.pattern_raw, { ruleOverriding });
        } catch (e) {
          caught = e;
        }
        if (row.valid) {
          expect(caught).toBeUndefined();
          return;
        }
        expect(caught).toBeInstanceOf(InvalidEventPatternError);
        const err = caught as InvalidEventPatternError;
        expect(err.code).toBe('E_PATTERN');
        expect(err.message.startsWith(INVALID_PATTERN_PREFIX)).toBe(true);
        if (row.error !== undefined && MESSAGE_NOT_COMPARED[row.name] === undefined) {
          if (row.error.startsWith(INVALID_PATTERN_PREFIX)) expect(err.message).toBe(row.error);
          else expect(err.reason).toBe(expectedReason(row.error));
        }
      });
    }
  });
}
