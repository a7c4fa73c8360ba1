import { type ConfigIssue, UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';

/** GuardDuty FindingCriteria, normalised: field path -> condition (lower-case keys). */
export interface Condition {
  eq?: string[];
  neq?: string[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  equals?: string[];
  notEquals?: string[];
  greaterThan?: number;
  greaterThanOrEqual?: number;
  lessThan?: number;
  lessThanOrEqual?: number;
  matches?: string[];
  notMatches?: string[];
}
export interface FindingCriteria {
  criterion: Record<string, Condition>;
}

/** Invalid FindingCriteria: every problem with its path (e.g. `criterion["severity"].gt`), not only the first. */
export class CriteriaError extends UsageError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(`invalid finding criteria:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`, options);
    this.issues = issues;
  }
}

/** GuardDuty's limits (CreateFilter / ListFindings). */
export const MAX_ATTRIBUTES = 50;
export const MAX_VALUES = 50;
export const MAX_MATCH_VALUES = 5;

type FieldKind = 'string' | 'number' | 'timestamp' | 'boolean';

/**
 * The filterable fields: GuardDuty's attribute table (guardduty_filter-findings.md) plus the timestamps and counters
 * of the finding model that the API accepts in criteria (createdAt, service.count, service.eventFirstSeen/LastSeen).
 * The kind decides which conditions make sense (no `gt` on a type, no `matches` on a severity).
 */
export const CRITERIA_FIELDS: Readonly<Record<string, FieldKind>> = {
  accountId: 'string',
  id: 'string',
  region: 'string',
  severity: 'number',
  confidence: 'number',
  type: 'string',
  updatedAt: 'timestamp',
  createdAt: 'timestamp',
  'resource.resourceType': 'string',
  'resource.accessKeyDetails.accessKeyId': 'string',
  'resource.accessKeyDetails.principalId': 'string',
  'resource.accessKeyDetails.userName': 'string',
  'resource.accessKeyDetails.userType': 'string',
  'resource.instanceDetails.iamInstanceProfile.id': 'string',
  'resource.instanceDetails.instanceId': 'string',
  'resource.instanceDetails.instanceType': 'string',
  'resource.instanceDetails.launchTime': 'timestamp',
  'resource.instanceDetails.imageId': 'string',
  'resource.instanceDetails.networkInterfaces.ipv6Addresses': 'string',
  'resource.instanceDetails.networkInterfaces.privateIpAddresses.privateIpAddress': 'string',
  'resource.instanceDetails.networkInterfaces.publicDnsName': 'string',
  'resource.instanceDetails.networkInterfaces.publicIp': 'string',
  'resource.instanceDetails.networkInterfaces.securityGroups.groupId': 'string',
  'resource.instanceDetails.networkInterfaces.securityGroups.groupName': 'string',
  'resource.instanceDetails.networkInterfaces.subnetId': 'string',
  'resource.instanceDetails.networkInterfaces.vpcId': 'string',
  'resource.instanceDetails.outpostArn': 'string',
  'resource.instanceDetails.tags.key': 'string',
  'resource.instanceDetails.tags.value': 'string',
  'resource.s3BucketDetails.publicAccess.effectivePermissions': 'string',
  'resource.s3BucketDetails.name': 'string',
  'resource.s3BucketDetails.arn': 'string',
  'resource.s3BucketDetails.tags.key': 'string',
  'resource.s3BucketDetails.tags.value': 'string',
  'resource.s3BucketDetails.type': 'string',
  'service.action.actionType': 'string',
  'service.action.awsApiCallAction.api': 'string',
  'service.action.awsApiCallAction.callerType': 'string',
  'service.action.awsApiCallAction.errorCode': 'string',
  'service.action.awsApiCallAction.serviceName': 'string',
  'service.action.awsApiCallAction.userAgent': 'string',
  'service.action.awsApiCallAction.domainDetails.domain': 'string',
  'service.action.awsApiCallAction.remoteAccountDetails.accountId': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.ipAddressV6': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.city.cityName': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.country.countryName': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.country.countryCode': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.organization.asn': 'string',
  'service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg': 'string',
  'service.action.dnsRequestAction.domain': 'string',
  'service.action.networkConnectionAction.blocked': 'boolean',
  'service.action.networkConnectionAction.connectionDirection': 'string',
  'service.action.networkConnectionAction.localPortDetails.port': 'number',
  'service.action.networkConnectionAction.protocol': 'string',
  'service.action.networkConnectionAction.remoteIpDetails.city.cityName': 'string',
  'service.action.networkConnectionAction.remoteIpDetails.country.countryName': 'string',
  'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4': 'string',
  'service.action.networkConnectionAction.remoteIpDetails.organization.asn': 'string',
  'service.action.networkConnectionAction.remoteIpDetails.organization.asnOrg': 'string',
  'service.action.networkConnectionAction.remotePortDetails.port': 'number',
  'service.additionalInfo.threatListName': 'string',
  'service.evidence.threatIntelligenceDetails.threatListName': 'string',
  'service.archived': 'boolean',
  'service.count': 'number',
  'service.eventFirstSeen': 'timestamp',
  'service.eventLastSeen': 'timestamp',
  'service.featureName': 'string',
  'service.localIpDetails.ipAddressV4': 'string',
  'service.resourceRole': 'string',
};

/**
 * GuardDuty's attribute names where the finding model spells the field differently: the table says
 * `effectivePermissions` and `outpostARN`, the finding carries `effectivePermission` and `outpostArn`.
 */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  'resource.instanceDetails.outpostARN': 'resource.instanceDetails.outpostArn',
};
const RESOLVE_AS: Readonly<Record<string, string>> = {
  'resource.s3BucketDetails.publicAccess.effectivePermissions': 'resource.s3BucketDetails.publicAccess.effectivePermission',
};

const LIST_KEYS = ['eq', 'neq', 'equals', 'notEquals'] as const;
const NUMBER_KEYS = ['gt', 'gte', 'lt', 'lte', 'greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual'] as const;
const MATCH_KEYS = ['matches', 'notMatches'] as const;
const CONDITION_KEYS: ReadonlySet<string> = new Set<string>([...LIST_KEYS, ...NUMBER_KEYS, ...MATCH_KEYS]);

const quote = (s: string) => JSON.stringify(s);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Accepts the API form (`criterion`/`eq`) and the CLI form (`Criterion`/`Eq`); throws UsageError (a `CriteriaError`
 * with `issues`) naming every bad path. Condition keys are accepted in either spelling in either form, since the
 * documents people copy from the console, the CLI and the API mix them; the result always has lower-case keys.
 */
export function parseCriteria(doc: unknown): FindingCriteria {
  const issues: ConfigIssue[] = [];
  if (!isObject(doc)) throw new CriteriaError([{ path: '', message: 'must be an object {"criterion": {...}}' }]);
  const tops = Object.keys(doc);
  const topKey = tops.includes('criterion') ? 'criterion' : tops.includes('Criterion') ? 'Criterion' : undefined;
  for (const k of tops) {
    if (k !== topKey) issues.push({ path: k, message: k === 'Criterion' ? 'give either "criterion" or "Criterion", not both' : 'unknown key' });
  }
  if (topKey === undefined) {
    issues.push({ path: 'criterion', message: 'required' });
    throw new CriteriaError(issues);
  }
  const raw = doc[topKey];
  if (!isObject(raw)) {
    issues.push({ path: topKey, message: 'must be an object of field name -> condition' });
    throw new CriteriaError(issues);
  }
  const fields = Object.keys(raw);
  if (fields.length < 1 || fields.length > MAX_ATTRIBUTES) {
    issues.push({ path: topKey, message: `must name 1 to ${MAX_ATTRIBUTES} attributes (has ${fields.length})` });
  }
  const criterion: Record<string, Condition> = {};
  for (const rawField of fields) {
    const field = FIELD_ALIASES[rawField] ?? rawField;
    const fieldPath = `${topKey}[${quote(rawField)}]`;
    const kind = CRITERIA_FIELDS[field];
    if (kind === undefined) issues.push({ path: fieldPath, message: 'unknown field (not a filterable finding attribute)' });
    if (field in criterion) issues.push({ path: fieldPath, message: `names the same attribute as another key (${field})` });
    const c = parseCondition(raw[rawField], fieldPath, kind, issues);
    if (c && kind !== undefined) criterion[field] = c;
  }
  if (issues.length > 0) throw new CriteriaError(issues);
  return { criterion };
}

function parseCondition(raw: unknown, path: string, kind: FieldKind | undefined, issues: ConfigIssue[]): Condition | undefined {
  if (!isObject(raw)) {
    issues.push({ path, message: 'must be an object of condition -> value, e.g. {"eq": ["..."]}' });
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length === 0) issues.push({ path, message: 'must have at least one condition' });
  const out: Record<string, unknown> = {};
  for (const rawKey of keys) {
    const key = rawKey.charAt(0).toLowerCase() + rawKey.slice(1);
    const p = `${path}.${rawKey}`;
    if (!CONDITION_KEYS.has(key)) {
      issues.push({ path: p, message: `unknown condition (expected one of ${[...CONDITION_KEYS].join(', ')}, or capitalised)` });
      continue;
    }
    if (key in out) {
      issues.push({ path: p, message: `given twice (${key})` });
      continue;
    }
    const v = raw[rawKey];
    if ((NUMBER_KEYS as readonly string[]).includes(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) issues.push({ path: p, message: 'must be a number (epoch milliseconds for timestamps)' });
      else if (kind !== undefined && kind !== 'number' && kind !== 'timestamp') issues.push({ path: p, message: `compares numbers; this field is a ${kind}` });
      else out[key] = v;
      continue;
    }
    const isMatch = (MATCH_KEYS as readonly string[]).includes(key);
    const max = isMatch ? MAX_MATCH_VALUES : MAX_VALUES;
    if (!Array.isArray(v)) {
      issues.push({ path: p, message: 'must be an array of strings' });
      continue;
    }
    if (v.length < 1 || v.length > max) issues.push({ path: p, message: `must have 1 to ${max} values (has ${v.length})` });
    if (isMatch && kind !== undefined && kind !== 'string') issues.push({ path: p, message: `matches text; this field is a ${kind}` });
    v.forEach((s, i) => {
      if (typeof s !== 'string') issues.push({ path: `${p}[${i}]`, message: 'must be a string' });
    });
    out[key] = v;
  }
  return out as Condition;
}

/** A value found at a field path, in the form conditions compare: text, and a number when the field has one. */
interface Leaf {
  text: string;
  num: number | undefined;
}

/**
 * Compiles criteria into a predicate: attributes are ANDed, the values of one condition ORed, the conditions given
 * on one attribute ANDed (so `{gte, lt}` is a range). Array fields are flattened: any element satisfying counts for
 * the positive conditions, and no element may equal / match for `neq` / `notMatches` (a missing field is "not
 * equal"). Everything is prepared here (paths split, value sets built, wildcards turned into regular expressions) so
 * that the predicate only walks and looks up.
 */
export function compileCriteria(c: FindingCriteria): (f: Finding) => boolean {
  const tests = Object.entries(c.criterion).map(([field, cond]) => compileAttribute(field, cond));
  return (f) => {
    for (const t of tests) if (!t(f)) return false;
    return true;
  };
}

function compileAttribute(field: string, cond: Condition): (f: Finding) => boolean {
  const kind = CRITERIA_FIELDS[field] ?? 'string';
  const segments = (RESOLVE_AS[field] ?? field).split('.');
  const checks: Array<(leaves: Leaf[]) => boolean> = [];

  const equalsAny = (values: string[]): ((l: Leaf) => boolean) => {
    const texts = new Set(kind === 'boolean' ? values.map((v) => v.toLowerCase()) : values);
    // Numbers compare as numbers only when the field holds one, so severity ["8"] finds 8 and 8.0, while account
    // ids (text) "0123" and "123" stay different.
    const nums = new Set(values.map((v) => (v.trim() === '' ? Number.NaN : Number(v))).filter((n) => !Number.isNaN(n)));
    return (l) => texts.has(l.text) || (l.num !== undefined && nums.has(l.num));
  };
  for (const key of ['eq', 'equals'] as const) {
    const values = cond[key];
    if (values) {
      const hit = equalsAny(values);
      checks.push((leaves) => leaves.some(hit));
    }
  }
  for (const key of ['neq', 'notEquals'] as const) {
    const values = cond[key];
    if (values) {
      const hit = equalsAny(values);
      checks.push((leaves) => !leaves.some(hit));
    }
  }
  const cmp: Array<[number | undefined, (a: number, b: number) => boolean]> = [
    [cond.gt, (a, b) => a > b],
    [cond.greaterThan, (a, b) => a > b],
    [cond.gte, (a, b) => a >= b],
    [cond.greaterThanOrEqual, (a, b) => a >= b],
    [cond.lt, (a, b) => a < b],
    [cond.lessThan, (a, b) => a < b],
    [cond.lte, (a, b) => a <= b],
    [cond.lessThanOrEqual, (a, b) => a <= b],
  ];
  for (const [bound, op] of cmp) {
    if (bound !== undefined) checks.push((leaves) => leaves.some((l) => l.num !== undefined && op(l.num, bound)));
  }
  if (cond.matches) {
    const re = wildcardRegex(cond.matches);
    checks.push((leaves) => leaves.some((l) => re.test(l.text)));
  }
  if (cond.notMatches) {
    const re = wildcardRegex(cond.notMatches);
    checks.push((leaves) => !leaves.some((l) => re.test(l.text)));
  }
  return (f) => {
    const leaves: Leaf[] = [];
    collect(f, segments, 0, kind, leaves);
    for (const check of checks) if (!check(leaves)) return false;
    return true;
  };
}

/** Walks `segments` from `value`, flattening arrays at any level, and pushes every scalar found. */
function collect(value: unknown, segments: string[], i: number, kind: FieldKind, out: Leaf[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, segments, i, kind, out);
    return;
  }
  if (i === segments.length) {
    const leaf = toLeaf(value, kind);
    if (leaf) out.push(leaf);
    return;
  }
  if (typeof value !== 'object') return;
  const key = segments[i]!;
  if (!Object.hasOwn(value, key)) return;
  collect((value as Record<string, unknown>)[key], segments, i + 1, kind, out);
}

function toLeaf(v: unknown, kind: FieldKind): Leaf | undefined {
  if (typeof v === 'number') return { text: String(v), num: v };
  if (typeof v === 'boolean') return { text: String(v), num: undefined };
  if (typeof v !== 'string') return undefined;
  if (kind === 'timestamp') {
    // Timestamps are ISO text in the finding and epoch milliseconds in criteria (GuardDuty's `long` conditions).
    const ms = Date.parse(v);
    return { text: v, num: Number.isNaN(ms) ? undefined : ms };
  }
  if (kind === 'number') {
    const n = v.trim() === '' ? Number.NaN : Number(v);
    return { text: v, num: Number.isNaN(n) ? undefined : n };
  }
  return { text: v, num: undefined };
}

/** GuardDuty's `matches` wildcards: `*` any run of characters, `?` exactly one; everything else literal; anchored. */
export function wildcardRegex(patterns: string[]): RegExp {
  const parts = patterns.map((p) =>
    Array.from(p, (ch) => (ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch.replace(/[\\^$.|+()[\]{}]/g, (c) => `\\${c}`))).join(''),
  );
  return new RegExp(`^(?:${parts.join('|')})$`, 'u');
}
