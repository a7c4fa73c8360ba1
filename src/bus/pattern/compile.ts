/**
 * The event-pattern compiler and validator: JSON text in, a list of sub-rules (one per `$or` combination) out, or an
 * InvalidEventPatternError whose message is AWS's `Event pattern is not valid. Reason: ...`.
 *
 * It follows event-ruler's JsonRuleCompiler (the compiler behind EventBridge) step by step, on a token stream:
 * - Validation happens while reading, so the first problem in document order is the one reported, and the wording is
 *   event-ruler's (AWS's texts are event-ruler's messages with AWS's prefix).
 * - A pattern is flattened into dotted field paths: `{"a":{"b":[..]}}` and `{"a.b":[..]}` are the same field.
 * - Duplicate keys: a later leaf for the same path replaces the earlier one (`{"x":["y"],"x":["z"]}` means x = z);
 *   leaves under different paths are all kept (`"p":[1],"p":{"q":[2]}` gives both p and p.q). With
 *   `ruleOverriding: false` a repeated path is an error instead ("Path `x` cannot be allowed multiple times").
 * - `$or` forks the rule: every object of its array (at least two) extends a copy of the fields read so far; fields
 *   read after it go into every branch. The number of branches (the product of `$or` lengths) is capped at 1,000,
 *   AWS's limit. When JsonRuleCompiler refuses a pattern because of its `$or` (fewer than two objects, a non-object
 *   element, an operator keyword used as a field name inside it), event-ruler's Machine retries with its older
 *   compiler, for which `$or` is an ordinary field name; we do the same (`{"$or":[{"prefix":"a"},{"suffix":"b"}]}` is
 *   the field `$or` with two operators), and report the older compiler's error when that fails too
 *   (`{"$or":[{"a":["1"]}]}` -> "Unrecognized match type a").
 * - A number in a pattern matches the same literal text, and also any number with the same value when it is
 *   comparable (see numbers.ts).
 * - A string that is an IP address literal matches that address in any textual form (see ip.ts).
 * - AWS limits we add on top of event-ruler: the 4,096-character pattern length, 1,000 `$or` combinations, 256 fields
 *   per combination, and the wildcard complexity limit (strings.ts).
 */
import { InvalidEventPatternError } from './errors.js';
import { ipHex, looksLikeIp, parseCidr } from './ip.js';
import { JsonSyntaxError, JsonTokenizer, type TokenType } from './json-tokens.js';
import { comparableNumber } from './numbers.js';
import { type CaseAlternatives, caseAlternatives, parseWildcard, WILDCARD_COMPLEXITY_LIMIT, type WildcardSegments, wildcardComplexity } from './strings.js';

export const MAX_PATTERN_LENGTH = 4096;
export const MAX_OR_COMBINATIONS = 1000;
export const MAX_FIELDS_PER_RULE = 256;

/** One way a single event value can satisfy a pattern field. */
export type ValueMatcher =
  | { kind: 'string'; value: string }
  | { kind: 'ip'; hex: string }
  | { kind: 'literal'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'null' }
  | { kind: 'prefix'; value: string }
  | { kind: 'suffix'; value: string }
  | { kind: 'prefix-ic'; alts: CaseAlternatives }
  | { kind: 'suffix-ic'; alts: CaseAlternatives }
  | { kind: 'equals-ic'; alts: CaseAlternatives }
  | { kind: 'wildcard'; segments: WildcardSegments }
  | { kind: 'anything-but-strings'; values: Set<string> }
  | { kind: 'anything-but-numbers'; values: Set<number> }
  | { kind: 'anything-but-prefix'; values: string[] }
  | { kind: 'anything-but-suffix'; values: string[] }
  | { kind: 'anything-but-ic'; values: CaseAlternatives[] }
  | { kind: 'anything-but-wildcard'; values: WildcardSegments[] }
  | { kind: 'range'; lo: number; loOpen: boolean; hi: number; hiOpen: boolean }
  | { kind: 'cidr'; lo: string; hi: string }
  | { kind: 'exists' };

/** One field of a sub-rule: the event must have a value at `path` matching one of `matchers`, or (`absent`) none. */
export interface FieldPattern {
  path: string;
  matchers: ValueMatcher[];
  /** `{"exists": false}` is among the alternatives. */
  absent: boolean;
}

/** One `$or` combination: all fields must match (array-consistently). Fields are sorted by path. */
export interface SubRule {
  fields: FieldPattern[];
}

export interface CompiledPattern {
  subRules: SubRule[];
}

export interface CompileOptions {
  /** event-ruler's `withOverriding` (default true, as EventBridge): a repeated path replaces the earlier one. */
  ruleOverriding?: boolean;
  /** Enforce AWS's limits (length, `$or` combinations, fields, wildcard complexity). Default true. */
  awsLimits?: boolean;
}

const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

/** A validation failure inside the compiler; `orRelated` marks failures the legacy compiler gets a second try on. */
class PatternFault extends Error {
  constructor(
    message: string,
    readonly orRelated = false,
  ) {
    super(message);
  }
}

type Rule = Map<string, ExprResult[]>;

class Compiler {
  private readonly p: JsonTokenizer;
  private rules: Rule[] = [];

  constructor(
    text: string,
    private readonly overriding: boolean,
    private readonly orAware: boolean,
  ) {
    this.p = new JsonTokenizer(text);
  }

  private next(): TokenType | null {
    return this.p.next();
  }

  private barf(message: string, orRelated = false): never {
    throw new PatternFault(message, orRelated);
  }

  compile(): Rule[] {
    if (this.next() !== 'START_OBJECT') this.barf('Filter is not an object');
    this.parseObject([], false);
    return this.rules;
  }

  private parseObject(path: string[], insideOr: boolean): void {
    let fieldsPresent = false;
    while (this.next() !== 'END_OBJECT') {
      fieldsPresent = true;
      const step = this.p.text;
      if (this.orAware && step === '$or') {
        this.parseOr(path);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(step)) {
        this.barf(`${step} is Ruler reserved fieldName which cannot be used inside $or.`, true);
      }
      const t = this.next();
      if (t === 'START_OBJECT') {
        this.parseObject([...path, step], insideOr);
      } else if (t === 'START_ARRAY') {
        this.writeRules([...path, step].join('.'));
      } else {
        this.barf(`"${step}" must be an object or an array`);
      }
    }
    if (!fieldsPresent) this.barf('Empty objects are not allowed');
  }

  private parseOr(path: string[]): void {
    const current = this.rules.map((r) => new Map(r));
    this.rules = [];
    if (this.next() !== 'START_ARRAY') this.barf('It must be an Array followed with $or.', true);
    let count = 0;
    for (let t = this.next(); t !== 'END_ARRAY'; t = this.next()) {
      count++;
      if (t !== 'START_OBJECT') this.barf('Only JSON object is allowed in array of $or relationship.', true);
      const saved = this.rules;
      this.rules = current.length === 0 ? [new Map()] : current.map((r) => new Map(r));
      this.parseObject(path, true);
      const branch = this.rules;
      this.rules = saved;
      for (const r of branch) this.rules.push(r);
      if (this.rules.length > MAX_OR_COMBINATIONS) {
        this.barf(`Event pattern has more than ${MAX_OR_COMBINATIONS} combinations of $or`);
      }
    }
    if (count < 2) this.barf('There must have at least 2 Objects in $or relationship.', true);
  }

  private writeRules(name: string): void {
    const values: ExprResult[] = [];
    for (let t = this.next(); t !== 'END_ARRAY'; t = this.next()) {
      switch (t) {
        case 'START_OBJECT':
          values.push(this.matchExpression());
          break;
        case 'VALUE_STRING': {
          const text = this.p.text;
          const hex = looksLikeIp(text) ? ipHex(text) : undefined;
          values.push(hex !== undefined ? { kind: 'ip', hex } : { kind: 'string', value: text });
          break;
        }
        case 'VALUE_NUMBER': {
          const d = comparableNumber(this.p.text);
          if (d !== undefined) values.push({ kind: 'number', value: d });
          values.push({ kind: 'literal', text: this.p.text });
          break;
        }
        case 'VALUE_NULL':
          values.push({ kind: 'null' });
          break;
        case 'VALUE_TRUE':
          values.push({ kind: 'true' });
          break;
        case 'VALUE_FALSE':
          values.push({ kind: 'false' });
          break;
        default:
          this.barf('Match value must be String, number, true, false, or null');
      }
    }
    if (values.length === 0) this.barf('Empty arrays are not allowed');
    if (this.rules.length === 0) this.rules.push(new Map());
    for (const rule of this.rules) {
      if (!this.overriding && rule.has(name)) this.barf(`Path \`${name}\` cannot be allowed multiple times`);
      rule.set(name, values);
    }
  }

  private expectEndObject(message = 'Only one key allowed in match expression'): void {
    if (this.next() !== 'END_OBJECT') this.barf(message);
  }

  private tooManyElements(): never {
    this.barf('Too many elements in numeric expression');
  }

  private matchExpression(): ExprResult {
    if (this.next() !== 'FIELD_NAME') this.barf('Match expression name not found');
    const op = this.p.text;
    switch (op) {
      case 'exactly': {
        if (this.next() !== 'VALUE_STRING') this.barf('exact match pattern must be a string');
        const m: ValueMatcher = { kind: 'string', value: this.p.text };
        this.expectEndObject();
        return m;
      }
      case 'prefix':
      case 'suffix': {
        const t = this.next();
        if (t === 'START_OBJECT') return this.affixIgnoreCase(op);
        if (t !== 'VALUE_STRING') this.barf(`${op} match pattern must be a string`);
        const m: ValueMatcher = { kind: op, value: this.p.text };
        this.expectEndObject();
        return m;
      }
      case 'numeric': {
        if (this.next() !== 'START_ARRAY') this.barf('Value of numeric must be an array.');
        const m = this.numeric();
        if (this.next() !== 'END_OBJECT') this.tooManyElements();
        return m;
      }
      case 'anything-but':
        return this.anythingBut();
      case 'exists': {
        const t = this.next();
        if (t !== 'VALUE_TRUE' && t !== 'VALUE_FALSE') this.barf('exists match pattern must be either true or false.');
        this.expectEndObject();
        return t === 'VALUE_TRUE' ? { kind: 'exists' } : { kind: 'absent' };
      }
      case 'cidr': {
        if (this.next() !== 'VALUE_STRING') this.barf('prefix match pattern must be a string');
        let range: { lo: string; hi: string };
        try {
          range = parseCidr(this.p.text);
        } catch (e) {
          this.barf((e as Error).message);
        }
        this.expectEndObject();
        return { kind: 'cidr', ...range };
      }
      case 'equals-ignore-case': {
        if (this.next() !== 'VALUE_STRING') this.barf('equals-ignore-case match pattern must be a string');
        const m: ValueMatcher = { kind: 'equals-ic', alts: caseAlternatives(this.p.text) };
        this.expectEndObject();
        return m;
      }
      case 'wildcard': {
        if (this.next() !== 'VALUE_STRING') this.barf('wildcard match pattern must be a string');
        const segments = this.wildcard(this.p.text);
        this.expectEndObject();
        return { kind: 'wildcard', segments };
      }
      default:
        this.barf(`Unrecognized match type ${op}`);
    }
  }

  private wildcard(text: string): WildcardSegments {
    try {
      return parseWildcard(text);
    } catch (e) {
      this.barf((e as Error).message);
    }
  }

  private affixIgnoreCase(op: 'prefix' | 'suffix'): ValueMatcher {
    const Op = op === 'prefix' ? 'Prefix' : 'Suffix';
    if (this.next() !== 'FIELD_NAME') this.barf(`${Op} expression name not found`);
    if (this.p.text !== 'equals-ignore-case') this.barf(`Unsupported ${op} pattern: ${this.p.text}`);
    if (this.next() !== 'VALUE_STRING') this.barf('equals-ignore-case match pattern must be a string');
    const alts = caseAlternatives(this.p.text);
    this.expectEndObject();
    this.expectEndObject();
    return { kind: op === 'prefix' ? 'prefix-ic' : 'suffix-ic', alts };
  }

  private comparable(text: string): number {
    const d = comparableNumber(text);
    if (d === undefined) this.barf(`Cannot compare number : ${text}`);
    return d;
  }

  private numeric(): ValueMatcher {
    let t = this.next();
    if (t !== 'VALUE_STRING') this.barf(`Invalid member in numeric match: ${this.tokenText(t)}`);
    const op = this.p.text;
    t = this.next();
    const isNum = t === 'VALUE_NUMBER';
    switch (op) {
      case '=': {
        if (!isNum) this.barf('Value of equals must be numeric');
        const val = this.p.text;
        if (this.next() !== 'END_ARRAY') this.tooManyElements();
        return { kind: 'number', value: this.comparable(val) };
      }
      case '>=':
      case '>': {
        if (!isNum) this.barf(`Value of ${op} must be numeric`);
        const bottom = this.p.text;
        t = this.next();
        if (t === 'END_ARRAY') return { kind: 'range', lo: this.comparable(bottom), loOpen: op === '>', hi: Infinity, hiOpen: false };
        return this.completeRange(t, bottom, op === '>');
      }
      case '<=':
      case '<': {
        if (!isNum) this.barf(`Value of ${op} must be numeric`);
        const top = this.p.text;
        if (this.next() !== 'END_ARRAY') this.tooManyElements();
        return { kind: 'range', lo: -Infinity, loOpen: false, hi: this.comparable(top), hiOpen: op === '<' };
      }
      default:
        this.barf(`Unrecognized numeric range operator: ${op}`);
    }
  }

  private completeRange(t: TokenType | null, bottom: string, loOpen: boolean): ValueMatcher {
    if (t !== 'VALUE_STRING') this.barf(`Bad value in numeric range: ${this.tokenText(t)}`);
    const op = this.p.text;
    if (op !== '<' && op !== '<=') this.barf(`Bad numeric range operator: ${op}`);
    if (this.next() !== 'VALUE_NUMBER') this.barf(`Value of ${op} must be numeric`);
    const top = this.p.text;
    if (this.next() !== 'END_ARRAY') this.barf('Too many terms in numeric range expression');
    const lo = this.comparable(bottom);
    const hi = this.comparable(top);
    if (lo >= hi) this.barf('Bottom must be less than top');
    return { kind: 'range', lo, loOpen, hi, hiOpen: op === '<' };
  }

  private tokenText(t: TokenType | null): string {
    switch (t) {
      case 'START_OBJECT':
        return '{';
      case 'END_OBJECT':
        return '}';
      case 'START_ARRAY':
        return '[';
      case 'END_ARRAY':
        return ']';
      case null:
        return 'null';
      default:
        return this.p.text;
    }
  }

  private anythingBut(): ValueMatcher {
    let variant: 'plain' | 'equals-ignore-case' | 'prefix' | 'suffix' | 'wildcard' = 'plain';
    let t = this.next();
    if (t === 'START_OBJECT') {
      if (this.next() !== 'FIELD_NAME') this.barf('Anything-But expression name not found');
      const op = this.p.text;
      if (op !== 'equals-ignore-case' && op !== 'prefix' && op !== 'suffix' && op !== 'wildcard') {
        this.barf(`Unsupported anything-but pattern: ${op}`);
      }
      variant = op;
      t = this.next();
    }
    if (t !== 'START_ARRAY' && t !== 'VALUE_STRING' && t !== 'VALUE_NUMBER') {
      this.barf('Value of anything-but must be an array or single string/number value.');
    }
    let m: ValueMatcher;
    if (variant === 'plain') {
      m = t === 'START_ARRAY' ? this.anythingButList() : this.anythingButSingle(t);
    } else {
      const texts: string[] = [];
      const take = (tok: TokenType | null) => {
        if (tok === 'VALUE_STRING') {
          if ((variant === 'prefix' || variant === 'suffix') && this.p.text === '') this.barf('Null prefix/suffix not allowed');
          texts.push(this.p.text);
          return;
        }
        if (variant === 'equals-ignore-case') this.barf('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
        if (variant === 'wildcard') this.barf('wildcard match pattern must be a string');
        this.barf('prefix/suffix match pattern must be a string');
      };
      if (t === 'START_ARRAY') {
        for (let tok = this.next(); tok !== 'END_ARRAY'; tok = this.next()) take(tok);
      } else {
        take(t);
      }
      switch (variant) {
        case 'equals-ignore-case':
          m = { kind: 'anything-but-ic', values: texts.map(caseAlternatives) };
          break;
        case 'prefix':
          m = { kind: 'anything-but-prefix', values: texts };
          break;
        case 'suffix':
          m = { kind: 'anything-but-suffix', values: texts };
          break;
        default:
          m = { kind: 'anything-but-wildcard', values: texts.map((w) => this.wildcard(w)) };
      }
    }
    if (this.next() !== 'END_OBJECT') this.tooManyElements();
    if (variant !== 'plain' && this.next() !== 'END_OBJECT') this.tooManyElements();
    return m;
  }

  private anythingButSingle(t: TokenType | null): ValueMatcher {
    if (t === 'VALUE_STRING') return { kind: 'anything-but-strings', values: new Set([this.p.text]) };
    return { kind: 'anything-but-numbers', values: new Set([this.comparable(this.p.text)]) };
  }

  private anythingButList(): ValueMatcher {
    const strings = new Set<string>();
    const numbers = new Set<number>();
    for (let t = this.next(); t !== 'END_ARRAY'; t = this.next()) {
      if (t === 'VALUE_STRING') strings.add(this.p.text);
      else if (t === 'VALUE_NUMBER') numbers.add(this.comparable(this.p.text));
      else this.barf('Inside anything but list, start|null|boolean is not supported.');
    }
    if (strings.size > 0 === numbers.size > 0) {
      this.barf('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return strings.size > 0 ? { kind: 'anything-but-strings', values: strings } : { kind: 'anything-but-numbers', values: numbers };
  }
}

type ExprResult = ValueMatcher | { kind: 'absent' };

function isAbsent(m: ExprResult): m is { kind: 'absent' } {
  return m.kind === 'absent';
}

function run(text: string, overriding: boolean, orAware: boolean): Rule[] {
  try {
    return new Compiler(text, overriding, orAware).compile();
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new PatternFault(e.message);
    throw e;
  }
}

function toCompiled(rules: Rule[], awsLimits: boolean): CompiledPattern {
  const subRules: SubRule[] = rules.map((rule) => {
    const paths = [...rule.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      fields: paths.map((path) => {
        const all = rule.get(path)!;
        return { path, matchers: all.filter((m): m is ValueMatcher => !isAbsent(m)), absent: all.some(isAbsent) };
      }),
    };
  });
  if (awsLimits) {
    for (const sub of subRules) {
      if (sub.fields.length > MAX_FIELDS_PER_RULE) {
        throw new PatternFault(`Event pattern has more than ${MAX_FIELDS_PER_RULE} fields in one combination`);
      }
      for (const f of sub.fields) {
        for (const m of f.matchers) {
          if (m.kind === 'wildcard' && wildcardComplexity(m.segments) > WILDCARD_COMPLEXITY_LIMIT) {
            throw new PatternFault(
              'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
            );
          }
        }
      }
    }
  }
  return { subRules };
}

/**
 * Compiles pattern JSON text. Throws InvalidEventPatternError (AWS's message) when EventBridge would refuse it.
 */
export function compilePattern(text: string, options: CompileOptions = {}): CompiledPattern {
  const overriding = options.ruleOverriding ?? true;
  const awsLimits = options.awsLimits ?? true;
  if (awsLimits && text.length > MAX_PATTERN_LENGTH) {
    throw new InvalidEventPatternError(`Event pattern is longer than ${MAX_PATTERN_LENGTH} characters (${text.length})`);
  }
  try {
    let rules: Rule[];
    try {
      rules = run(text, overriding, true);
    } catch (e) {
      if (!(e instanceof PatternFault) || !e.orRelated) throw e;
      // event-ruler's Machine retries with its older compiler, for which "$or" is an ordinary field name.
      rules = run(text, overriding, false);
    }
    return toCompiled(rules, awsLimits);
  } catch (e) {
    if (e instanceof PatternFault) throw new InvalidEventPatternError(e.message);
    throw e;
  }
}

/** Compiles a pattern given as a parsed object (its JSON text is what gets validated and measured). */
export function compilePatternObject(pattern: unknown, options: CompileOptions = {}): CompiledPattern {
  let text: string | undefined;
  try {
    text = JSON.stringify(pattern);
  } catch (e) {
    throw new InvalidEventPatternError('Filter is not an object', { cause: e });
  }
  return compilePattern(text ?? '', options);
}

/** Throws InvalidEventPatternError, with AWS's message, when EventBridge would refuse the pattern text. */
export function validatePattern(text: string, options: CompileOptions = {}): void {
  compilePattern(text, options);
}
