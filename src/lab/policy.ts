/**
 * IAM identity-policy evaluation for the lab: one account, identity-based policies only (no resource policies,
 * permission boundaries, session policies or SCPs).
 *
 * Decision: an explicit `Deny` that applies wins; otherwise an `Allow` that applies; otherwise implicit deny.
 * A statement applies when its `Action`/`NotAction`, `Resource`/`NotResource` and every `Condition` operator match.
 *
 * - Actions: `*` and `?` wildcards, matched case-insensitively (`DynamoDB:listtables` is `dynamodb:ListTables`).
 * - Resources: ARNs compared segment by segment (the first five colons separate them; `*` in a segment does not cross
 *   a colon, except in the last one), case-sensitively, with `*` and `?`. A request for an action without resources
 *   uses the resource `*`, which only a `*` pattern matches (and every `NotResource` list excludes nothing of it).
 * - Conditions: the string, numeric, date, Bool, binary, IP address, ARN and Null operators, each (but Null) with
 *   `...IfExists` and the `ForAnyValue:` / `ForAllValues:` set prefixes. Keys of one operator AND, values of one key OR
 *   (negated operators: NOR), operators AND. A key missing from the request makes a condition false, except for
 *   `...IfExists` (true), negated operators (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`...: true, as AWS
 *   documents), `ForAllValues:` (true) and `Null`. Condition key names are case-insensitive.
 * - Policy variables (`${aws:username}`, `${aws:username, 'default'}`, `${*}`, `${?}`, `${$}`) in resources and in
 *   string and ARN condition values, for `Version: 2012-10-17` policies (in older ones they are literal text, as in AWS).
 *   A variable whose key is not in the request (and has no default) makes the statement not apply (AWS: "causes the
 *   statement to be invalid").
 */

import { type Glob, globMatch, literalGlob, STAR, wildcardGlob } from '../core/glob.js';
import { type Cidr, maskV4, maskV6, parseCidr, parseIp } from '../core/ip.js';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface AuthzRequest {
  /** 'dynamodb:ListTables' */
  action: string;
  /** an ARN, or '*' for actions without resources */
  resource: string;
  /**
   * Condition keys; names case-insensitive (aws:SourceIp, aws:TokenIssueTime (ISO 8601), aws:CurrentTime,
   * aws:EpochTime, aws:PrincipalArn, aws:username, aws:userid, aws:SecureTransport ('true'/'false'),
   * aws:MultiFactorAuthPresent, aws:ViaAWSService, ec2:SourceInstanceARN, ...). Missing key = absent.
   */
  context: Record<string, string | string[] | undefined>;
}

export interface PolicySource {
  /** e.g. 'user/alice inline policy X' */
  name: string;
  /** The parsed JSON document (a JSON string is parsed too). */
  document: unknown;
}

export interface AuthzResult {
  decision: Decision;
  /** the statement that decided (deny) or allowed */
  by?: { policy: string; sid?: string };
}

/** A policy document that cannot be evaluated, or a malformed request. `problems` lists every error found. */
export class PolicyError extends Error {
  readonly problems: string[];

  constructor(message: string, problems: string[] = [message], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wildcard patterns (src/core/glob.ts)

function lowerGlob(g: Glob): Glob {
  return g.map((x) => (typeof x === 'string' ? x.toLowerCase() : x));
}

// ---------------------------------------------------------------------------------------------------------------
// Policy variables

/** A value that may contain `${...}` variables, resolved against each request's context. */
interface Template {
  /** Literal text pieces and variables, in order. */
  parts: Array<{ text: string } | { key: string; fallback?: string }>;
  hasVariables: boolean;
}

const VARIABLE = /\$\{([^}]*)\}/g;

function parseTemplate(text: string, variables: boolean): Template {
  if (!variables || !text.includes('${')) return { parts: [{ text }], hasVariables: false };
  const parts: Template['parts'] = [];
  let last = 0;
  let hasVariables = false;
  for (const m of text.matchAll(VARIABLE)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    const inner = m[1]!.trim();
    if (inner === '*' || inner === '?' || inner === '$') {
      // literal special characters: marked so that `*` and `?` are not wildcards
      parts.push({ key: `\0${inner}` });
    } else {
      const def = /^(.+?)\s*,\s*'([^']*)'$/.exec(inner);
      parts.push(def ? { key: def[1]!.trim(), fallback: def[2]! } : { key: inner });
    }
    hasVariables = true;
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return { parts, hasVariables };
}

/** Thrown (internally) when a variable's key is not in the request: the statement does not apply. */
class Unresolved {
  constructor(readonly key: string) {}
}

type Context = Map<string, string[]>;

/** Resolves to a glob: literal text may carry wildcards (when `wildcards`), substituted values never do. */
function resolveGlob(t: Template, ctx: Context, wildcards: boolean): Glob {
  const out: Glob = [];
  for (const part of t.parts) {
    if ('text' in part) {
      out.push(...(wildcards ? wildcardGlob(part.text) : literalGlob(part.text)));
    } else if (part.key.startsWith('\0')) {
      out.push(part.key.slice(1));
    } else {
      const values = ctx.get(part.key.toLowerCase());
      // a multivalued key cannot be substituted
      const value = values && values.length === 1 ? values[0]! : part.fallback;
      if (value === undefined) throw new Unresolved(part.key);
      out.push(...literalGlob(value));
    }
  }
  return out;
}

function resolveText(t: Template, ctx: Context): string {
  return resolveGlob(t, ctx, false).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// ARNs

/** Splits at the first five colons: partition, service, region, account, resource. Undefined if not an ARN. */
function arnParts<T>(items: T[], isColon: (x: T) => boolean): T[][] | undefined {
  const parts: T[][] = [[]];
  for (const x of items) {
    if (parts.length < 6 && isColon(x)) parts.push([]);
    else parts[parts.length - 1]!.push(x);
  }
  return parts.length === 6 ? parts : undefined;
}

/** ARN pattern match, segment by segment; a pattern that is not an ARN is matched against the whole text. */
function arnMatch(pattern: Glob, arn: string): boolean {
  const text = Array.from(arn);
  if (pattern.length === 1 && pattern[0] === STAR) return true;
  const p = arnParts(pattern, (x) => x === ':');
  const a = arnParts(text, (x) => x === ':');
  if (!p || !a) return globMatch(pattern, text);
  for (let i = 0; i < 6; i++) if (!globMatch(p[i]!, a[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Condition operators

type Family = 'String' | 'StringIgnoreCase' | 'StringLike' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'Ip' | 'Arn' | 'Null';
type Compare = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

interface OperatorSpec {
  family: Family;
  negated: boolean;
  compare: Compare;
}

const BASE_OPERATORS: Record<string, OperatorSpec> = {
  StringEquals: { family: 'String', negated: false, compare: 'eq' },
  StringNotEquals: { family: 'String', negated: true, compare: 'eq' },
  StringEqualsIgnoreCase: { family: 'StringIgnoreCase', negated: false, compare: 'eq' },
  StringNotEqualsIgnoreCase: { family: 'StringIgnoreCase', negated: true, compare: 'eq' },
  StringLike: { family: 'StringLike', negated: false, compare: 'eq' },
  StringNotLike: { family: 'StringLike', negated: true, compare: 'eq' },
  NumericEquals: { family: 'Numeric', negated: false, compare: 'eq' },
  NumericNotEquals: { family: 'Numeric', negated: true, compare: 'eq' },
  NumericLessThan: { family: 'Numeric', negated: false, compare: 'lt' },
  NumericLessThanEquals: { family: 'Numeric', negated: false, compare: 'le' },
  NumericGreaterThan: { family: 'Numeric', negated: false, compare: 'gt' },
  NumericGreaterThanEquals: { family: 'Numeric', negated: false, compare: 'ge' },
  DateEquals: { family: 'Date', negated: false, compare: 'eq' },
  DateNotEquals: { family: 'Date', negated: true, compare: 'eq' },
  DateLessThan: { family: 'Date', negated: false, compare: 'lt' },
  DateLessThanEquals: { family: 'Date', negated: false, compare: 'le' },
  DateGreaterThan: { family: 'Date', negated: false, compare: 'gt' },
  DateGreaterThanEquals: { family: 'Date', negated: false, compare: 'ge' },
  Bool: { family: 'Bool', negated: false, compare: 'eq' },
  BinaryEquals: { family: 'Binary', negated: false, compare: 'eq' },
  IpAddress: { family: 'Ip', negated: false, compare: 'eq' },
  NotIpAddress: { family: 'Ip', negated: true, compare: 'eq' },
  ArnEquals: { family: 'Arn', negated: false, compare: 'eq' },
  ArnNotEquals: { family: 'Arn', negated: true, compare: 'eq' },
  ArnLike: { family: 'Arn', negated: false, compare: 'eq' },
  ArnNotLike: { family: 'Arn', negated: true, compare: 'eq' },
  Null: { family: 'Null', negated: false, compare: 'eq' },
};

interface ParsedOperator extends OperatorSpec {
  name: string;
  ifExists: boolean;
  set?: 'ForAnyValue' | 'ForAllValues';
}

function parseOperator(name: string): ParsedOperator | string {
  let rest = name;
  let set: ParsedOperator['set'];
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const prefix = rest.slice(0, colon);
    if (prefix !== 'ForAnyValue' && prefix !== 'ForAllValues')
      return `unknown condition operator ${JSON.stringify(name)} (set prefixes: ForAnyValue:, ForAllValues:)`;
    set = prefix;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const spec = BASE_OPERATORS[rest];
  if (!spec) return `unknown condition operator ${JSON.stringify(name)}`;
  if (spec.family === 'Null' && (ifExists || set)) return `condition operator ${JSON.stringify(name)}: Null takes neither IfExists nor a set prefix`;
  return { ...spec, name, ifExists, ...(set ? { set } : {}) };
}

/** A condition value as compiled: its text (with variables for string and ARN operators) or parsed value. */
type CompiledValue =
  | { kind: 'template'; template: Template }
  | { kind: 'number'; n: number }
  | { kind: 'date'; ms: number }
  | { kind: 'text'; text: string }
  | { kind: 'cidr'; cidr: Cidr };

interface CompiledCondition {
  op: ParsedOperator;
  key: string;
  values: CompiledValue[];
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`, with offset or fraction) or epoch seconds. NaN otherwise. */
export function parsePolicyDate(text: string): number {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const m = ISO_DATE.exec(s);
  if (!m) return Number.NaN;
  const [, day, time, zone] = m;
  if (!time) return Date.parse(`${day}T00:00:00Z`);
  const tz = !zone ? 'Z' : zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${day}T${time.length === 5 ? `${time}:00` : time}${tz}`);
  return ms;
}

function parseNumber(text: string): number {
  const s = text.trim();
  return /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : Number.NaN;
}

function valueText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function compileValue(op: ParsedOperator, raw: string, variables: boolean, where: string, errors: string[]): CompiledValue | undefined {
  switch (op.family) {
    case 'String':
    case 'StringIgnoreCase':
    case 'StringLike':
    case 'Arn':
      return { kind: 'template', template: parseTemplate(raw, variables) };
    case 'Numeric': {
      const n = parseNumber(raw);
      if (Number.isNaN(n)) errors.push(`${where}: ${JSON.stringify(raw)} is not a number`);
      return { kind: 'number', n };
    }
    case 'Date': {
      const ms = parsePolicyDate(raw);
      if (Number.isNaN(ms)) errors.push(`${where}: ${JSON.stringify(raw)} is not an ISO 8601 date or epoch seconds`);
      return { kind: 'date', ms };
    }
    case 'Bool':
    case 'Null': {
      const t = raw.toLowerCase();
      if (t !== 'true' && t !== 'false') errors.push(`${where}: ${op.family} takes "true" or "false", not ${JSON.stringify(raw)}`);
      return { kind: 'text', text: t };
    }
    case 'Binary':
      return { kind: 'text', text: raw };
    case 'Ip': {
      const cidr = parseCidr(raw.trim());
      if ('error' in cidr) {
        errors.push(`${where}: ${cidr.error}`);
        return undefined;
      }
      return { kind: 'cidr', cidr };
    }
  }
}

/** Does one request value match one policy value (before negation)? */
function matchOne(op: ParsedOperator, ctxValue: string, v: CompiledValue, ctx: Context): boolean {
  switch (op.family) {
    case 'String':
      return v.kind === 'template' && ctxValue === resolveText(v.template, ctx);
    case 'StringIgnoreCase':
      return v.kind === 'template' && ctxValue.toLowerCase() === resolveText(v.template, ctx).toLowerCase();
    case 'StringLike':
      return v.kind === 'template' && globMatch(resolveGlob(v.template, ctx, true), Array.from(ctxValue));
    case 'Arn':
      return v.kind === 'template' && arnMatch(resolveGlob(v.template, ctx, true), ctxValue);
    case 'Numeric':
      return v.kind === 'number' && compare(op.compare, parseNumber(ctxValue), v.n);
    case 'Date':
      return v.kind === 'date' && compare(op.compare, parsePolicyDate(ctxValue), v.ms);
    case 'Bool':
      return v.kind === 'text' && ctxValue.toLowerCase() === v.text;
    case 'Binary':
      return v.kind === 'text' && ctxValue === v.text;
    case 'Ip': {
      if (v.kind !== 'cidr') return false;
      const ip = parseIp(ctxValue.trim());
      if (!ip || ip.v !== v.cidr.v) return false;
      return ip.v === 4 ? maskV4(ip.n, v.cidr.len) === v.cidr.n : maskV6(ip.n, v.cidr.len) === v.cidr.n;
    }
    case 'Null':
      return false;
  }
}

function compare(c: Compare, a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  switch (c) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

/**
 * One key of one operator. Every value is compared (no short-circuit), so that an unresolvable variable anywhere
 * in the values makes the statement not apply whatever the order.
 */
function evaluateCondition(c: CompiledCondition, ctx: Context): boolean {
  const present = ctx.get(c.key.toLowerCase());
  const values = present && present.length > 0 ? present : undefined;
  const { op } = c;

  if (op.family === 'Null') {
    const wantMissing = c.values.some((v) => v.kind === 'text' && v.text === 'true');
    const wantPresent = c.values.some((v) => v.kind === 'text' && v.text === 'false');
    return values === undefined ? wantMissing : wantPresent;
  }
  if (values === undefined) {
    if (op.ifExists) return true;
    if (op.set === 'ForAllValues') return true;
    if (op.set === 'ForAnyValue') return false;
    return op.negated;
  }
  // does this request value satisfy the operator (any policy value matches; negated: none does)?
  const satisfies = (value: string): boolean => {
    let any = false;
    for (const v of c.values) if (matchOne(op, value, v, ctx)) any = true;
    return op.negated ? !any : any;
  };
  const results = values.map(satisfies);
  if (op.set === 'ForAllValues') return results.every(Boolean);
  if (op.set === 'ForAnyValue') return results.some(Boolean);
  // a single-valued operator given several request values: as AWS, it asks whether any of them matches
  if (op.negated) return results.every(Boolean);
  return results.some(Boolean);
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation and validation

interface CompiledStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions: Glob[];
  notAction: boolean;
  resources: Template[];
  notResource: boolean;
  conditions: CompiledCondition[];
}

const TOP_LEVEL_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const ACTION = /^([a-zA-Z0-9-]+):([a-zA-Z0-9*?_.-]+)$/;
const CONDITION_KEY = /^[a-zA-Z0-9-]+:[^\s]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty array of strings; undefined (with an error) otherwise. */
function stringList(v: unknown, where: string, errors: string[]): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  errors.push(`${where} must be a string or a non-empty array of strings`);
  return undefined;
}

function compileStatement(raw: unknown, index: number, variables: boolean, errors: string[], sids: Set<string>): CompiledStatement | undefined {
  const where = `Statement[${index}]`;
  if (!isObject(raw)) {
    errors.push(`${where} must be an object`);
    return undefined;
  }
  const before = errors.length;
  for (const key of Object.keys(raw)) {
    if (key === 'Principal' || key === 'NotPrincipal') errors.push(`${where}: an identity policy must not specify ${key}`);
    else if (!STATEMENT_KEYS.has(key)) errors.push(`${where}: unknown element ${JSON.stringify(key)}`);
  }
  let sid: string | undefined;
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(raw.Sid)) errors.push(`${where}: Sid must be alphanumeric`);
    else {
      sid = raw.Sid;
      if (sid !== '' && sids.has(sid)) errors.push(`${where}: Sid ${JSON.stringify(sid)} is not unique in the policy`);
      sids.add(sid);
    }
  }
  const effect = raw.Effect;
  if (effect === undefined) errors.push(`${where}: Effect is required`);
  else if (effect !== 'Allow' && effect !== 'Deny') errors.push(`${where}: Effect must be "Allow" or "Deny", not ${JSON.stringify(effect)}`);

  // Action / NotAction
  const hasAction = raw.Action !== undefined;
  const hasNotAction = raw.NotAction !== undefined;
  let actions: Glob[] = [];
  if (hasAction && hasNotAction) errors.push(`${where}: Action and NotAction cannot both be present`);
  else if (!hasAction && !hasNotAction) errors.push(`${where}: Action or NotAction is required`);
  else {
    const name = hasAction ? 'Action' : 'NotAction';
    const list = stringList(hasAction ? raw.Action : raw.NotAction, `${where}.${name}`, errors) ?? [];
    for (const a of list) {
      if (a !== '*' && !ACTION.test(a)) {
        errors.push(
          `${where}.${name}: ${JSON.stringify(a)} is not a valid action (vendor:Action, e.g. "iam:GetUser", wildcards * and ? allowed after the colon, or "*")`,
        );
      }
    }
    actions = list.map((a) => lowerGlob(wildcardGlob(a)));
  }

  // Resource / NotResource
  const hasResource = raw.Resource !== undefined;
  const hasNotResource = raw.NotResource !== undefined;
  let resources: Template[] = [];
  if (hasResource && hasNotResource) errors.push(`${where}: Resource and NotResource cannot both be present`);
  else if (!hasResource && !hasNotResource) errors.push(`${where}: Resource or NotResource is required in an identity policy`);
  else {
    const name = hasResource ? 'Resource' : 'NotResource';
    const list = stringList(hasResource ? raw.Resource : raw.NotResource, `${where}.${name}`, errors) ?? [];
    for (const r of list) {
      if (r !== '*' && !(r.startsWith('arn:') && r.split(':').length >= 6)) {
        errors.push(`${where}.${name}: ${JSON.stringify(r)} must be in ARN format (arn:partition:service:region:account:resource) or "*"`);
      }
    }
    resources = list.map((r) => parseTemplate(r, variables));
  }

  // Condition
  const conditions: CompiledCondition[] = [];
  if (raw.Condition !== undefined) {
    if (!isObject(raw.Condition)) errors.push(`${where}.Condition must be an object`);
    else {
      for (const [opName, block] of Object.entries(raw.Condition)) {
        const op = parseOperator(opName);
        if (typeof op === 'string') {
          errors.push(`${where}.Condition: ${op}`);
          continue;
        }
        if (!isObject(block) || Object.keys(block).length === 0) {
          errors.push(`${where}.Condition.${opName} must be an object of condition keys and values`);
          continue;
        }
        for (const [key, rawValues] of Object.entries(block)) {
          const cw = `${where}.Condition.${opName}.${key}`;
          if (!CONDITION_KEY.test(key)) errors.push(`${cw}: condition keys must be prefixed by a vendor (e.g. aws:SourceIp)`);
          const list = Array.isArray(rawValues) ? rawValues : [rawValues];
          if (list.length === 0) {
            errors.push(`${cw}: at least one value is required`);
            continue;
          }
          const values: CompiledValue[] = [];
          for (const item of list) {
            const text = valueText(item);
            if (text === undefined) {
              errors.push(`${cw}: values must be strings, numbers or booleans`);
              continue;
            }
            const value = compileValue(op, text, variables, cw, errors);
            if (value) values.push(value);
          }
          conditions.push({ op, key, values });
        }
      }
    }
  }

  if (errors.length > before) return undefined;
  return {
    ...(sid ? { sid } : {}),
    effect: effect as 'Allow' | 'Deny',
    actions,
    notAction: hasNotAction,
    resources,
    notResource: hasNotResource,
    conditions,
  };
}

interface CompiledPolicy {
  statements: CompiledStatement[];
}

function compilePolicy(doc: unknown, errors: string[]): CompiledPolicy | undefined {
  let document = doc;
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document);
    } catch (err) {
      errors.push(`the policy is not valid JSON: ${(err as Error).message}`);
      return undefined;
    }
  }
  if (!isObject(document)) {
    errors.push('the policy document must be a JSON object');
    return undefined;
  }
  for (const key of Object.keys(document)) if (!TOP_LEVEL_KEYS.has(key)) errors.push(`unknown top-level element ${JSON.stringify(key)}`);
  const version = document.Version;
  if (version !== undefined && (typeof version !== 'string' || !VERSIONS.has(version))) {
    errors.push(`Version must be "2012-10-17" (or the older "2008-10-17"), not ${JSON.stringify(version)}`);
  }
  if (document.Id !== undefined && typeof document.Id !== 'string') errors.push('Id must be a string');
  // Variables exist from 2012-10-17 on; a document without Version is 2008-10-17, where `${...}` is literal text.
  const variables = version === '2012-10-17';
  const rawStatements = document.Statement;
  let list: unknown[] = [];
  if (rawStatements === undefined) errors.push('Statement is required');
  else if (Array.isArray(rawStatements)) {
    if (rawStatements.length === 0) errors.push('Statement must not be empty');
    list = rawStatements;
  } else if (isObject(rawStatements)) list = [rawStatements];
  else errors.push('Statement must be an object or an array of objects');

  const sids = new Set<string>();
  const statements: CompiledStatement[] = [];
  list.forEach((s, i) => {
    const compiled = compileStatement(s, i, variables, errors, sids);
    if (compiled) statements.push(compiled);
  });
  return errors.length === 0 ? { statements } : undefined;
}

/**
 * Checks a policy document as IAM would before storing it (`MalformedPolicyDocument`): Version, Statement, Effect,
 * Action or NotAction, Resource or NotResource, no Principal, no unknown elements, known condition operators with
 * well-formed values. Returns every problem found; `[]` when valid.
 */
export function validatePolicyDocument(doc: unknown): string[] {
  const errors: string[] = [];
  compilePolicy(doc, errors);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

function statementApplies(s: CompiledStatement, action: string, resource: string, ctx: Context): boolean {
  const actionText = Array.from(action.toLowerCase());
  const actionMatched = s.actions.some((g) => globMatch(g, actionText));
  if (actionMatched === s.notAction) return false;

  // every pattern is resolved, so an unresolvable variable in any of them makes the statement not apply
  let resourceMatched = false;
  for (const t of s.resources) if (arnMatch(resolveGlob(t, ctx, true), resource)) resourceMatched = true;
  if (resourceMatched === s.notResource) return false;

  for (const c of s.conditions) if (!evaluateCondition(c, ctx)) return false;
  return true;
}

function contextMap(context: AuthzRequest['context']): Context {
  const map: Context = new Map();
  if (!isObject(context)) return map;
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [String(value)];
    const k = key.toLowerCase();
    map.set(k, [...(map.get(k) ?? []), ...values]);
  }
  return map;
}

/**
 * Evaluates identity policies for one request: `ExplicitDeny` when a Deny statement applies, else `Allow` when an
 * Allow statement applies, else `ImplicitDeny`. `by` names the deciding statement. Throws `PolicyError` if a
 * document is malformed (every problem listed, the policy named) or the action is not `service:Action`.
 */
export function evaluate(policies: PolicySource[], request: AuthzRequest): AuthzResult {
  if (typeof request.action !== 'string' || !/^[a-zA-Z0-9-]+:[a-zA-Z0-9_.-]+$/.test(request.action)) {
    throw new PolicyError(`the request's action must be service:Action (e.g. dynamodb:ListTables), got ${JSON.stringify(request.action)}`);
  }
  if (typeof request.resource !== 'string' || request.resource === '') {
    throw new PolicyError(`the request's resource must be an ARN or "*", got ${JSON.stringify(request.resource)}`);
  }
  const compiled = policies.map((p) => {
    const errors: string[] = [];
    const policy = compilePolicy(p.document, errors);
    if (!policy) throw new PolicyError(`policy ${JSON.stringify(p.name)} is malformed: ${errors.join('; ')}`, errors);
    return { name: p.name, policy };
  });
  const ctx = contextMap(request.context);

  let allow: AuthzResult['by'];
  for (const { name, policy } of compiled) {
    for (const s of policy.statements) {
      let applies: boolean;
      try {
        applies = statementApplies(s, request.action, request.resource, ctx);
      } catch (err) {
        if (err instanceof Unresolved) continue;
        throw err;
      }
      if (!applies) continue;
      const by = { policy: name, ...(s.sid ? { sid: s.sid } : {}) };
      if (s.effect === 'Deny') return { decision: 'ExplicitDeny', by };
      allow ??= by;
    }
  }
  return allow ? { decision: 'Allow', by: allow } : { decision: 'ImplicitDeny' };
}
