import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.js';
import type { ApiEvent, CloudTrailRecord, Principal, SourceKind, UserIdentity } from '../core/event.js';
import { parseIp } from '../core/ip.js';
import { firstLines } from '../core/text.js';

/**
 * CloudTrail documents in, normalised `ApiEvent`s out.
 *
 * Accepted shapes, recognised from the content (never from the file name):
 * - `{"Records":[...]}` (what CloudTrail writes to S3),
 * - a JSON array of records,
 * - NDJSON, one record per line (CloudTrail Lake / Logstash exports; extra `@timestamp`-style keys are ignored),
 * - EventBridge envelopes (`"detail-type": "AWS API Call via CloudTrail"`, the record under `detail`), alone,
 *   in an array or one per line,
 * - a single record object.
 * Each record that cannot be used becomes an `InputError` naming `file#index` (or `file:line`) and the reason;
 * every other record in the document is still returned.
 */
export interface ParseResult {
  events: ApiEvent[];
  errors: InputError[];
}

/**
 * Largest length accepted for the string fields Trailhound copies into findings and history.
 * CloudTrail itself caps `userAgent` and `errorMessage` at 1 KB; anything far above is not CloudTrail.
 */
const FIELD_LIMITS: Record<string, number> = {
  eventName: 256,
  eventSource: 256,
  eventID: 256,
  awsRegion: 64,
  sourceIPAddress: 1024,
  userAgent: 8192,
  errorCode: 256,
  eventTime: 64,
  recipientAccountId: 64,
  vpcEndpointId: 256,
};
const IDENTITY_LIMITS: Record<string, number> = {
  type: 64,
  principalId: 512,
  arn: 2048,
  accountId: 64,
  accessKeyId: 128,
  userName: 1024,
  invokedBy: 1024,
};

export const API_CALL_DETAIL_TYPES = new Set(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail', 'AWS Service Event via CloudTrail']);

export function parseCloudTrailDocument(text: string, origin: string): ParseResult {
  const out: ParseResult = { events: [], errors: [] };
  const start = firstNonSpace(text);
  if (start === -1) {
    out.errors.push(new InputError(origin, 'empty document'));
    return out;
  }
  const first = text[start];
  if (first !== '{' && first !== '[') {
    out.errors.push(new InputError(origin, `not JSON: starts with ${JSON.stringify(text.slice(start, start + 20))}`));
    return out;
  }
  // A byte-order mark is not JSON: parse from the first real character.
  const body = start > 0 ? text.slice(start) : text;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    if (first === '{' && looksLikeNdjson(body)) {
      parseNdjson(body, origin, out);
      return out;
    }
    out.errors.push(new InputError(origin, `malformed JSON: ${(err as Error).message}`, { cause: err }));
    return out;
  }
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) addRecord(doc[i], `${origin}#${i}`, out);
  } else if (isObject(doc) && Array.isArray(doc.Records)) {
    const records = doc.Records as unknown[];
    for (let i = 0; i < records.length; i++) addRecord(records[i], `${origin}#${i}`, out);
  } else if (isObject(doc) && 'Records' in doc) {
    out.errors.push(new InputError(origin, `"Records" is ${describeType(doc.Records)}, expected an array`));
  } else {
    addRecord(doc, origin, out);
  }
  return out;
}

function parseNdjson(text: string, origin: string, out: ParseResult): void {
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '') continue;
    const loc = `${origin}:${lineNo}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      out.errors.push(new InputError(loc, `malformed JSON: ${(err as Error).message}`, { cause: err }));
      continue;
    }
    if (isObject(value) && Array.isArray(value.Records)) {
      const records = value.Records as unknown[];
      for (let i = 0; i < records.length; i++) addRecord(records[i], `${loc}#${i}`, out);
    } else {
      addRecord(value, loc, out);
    }
  }
}

function addRecord(value: unknown, loc: string, out: ParseResult): void {
  const result = toApiEvent(value, loc);
  if (result instanceof InputError) out.errors.push(result);
  else out.events.push(result);
}

/** Validates one record (or envelope) and normalises it; returns the reason as an `InputError` otherwise. */
export function toApiEvent(value: unknown, loc: string): ApiEvent | InputError {
  if (!isObject(value)) return new InputError(loc, `record is ${describeType(value)}, expected a CloudTrail record object`);
  let rec = value;
  if ('detail-type' in rec || ('detail' in rec && 'source' in rec)) {
    const dt = rec['detail-type'];
    if (typeof dt !== 'string' || !API_CALL_DETAIL_TYPES.has(dt)) {
      return new InputError(loc, `EventBridge event of detail-type ${JSON.stringify(String(dt).slice(0, 100))} does not carry a CloudTrail record`);
    }
    if (!isObject(rec.detail)) return new InputError(loc, `EventBridge envelope has no "detail" object`);
    rec = rec.detail;
  }
  if (typeof rec.eventName !== 'string') {
    const lower = Object.keys(rec).filter((k) => /^(eventname|eventsource|eventtime|useridentity|sourceipaddress)$/.test(k));
    if (lower.length > 0) {
      return new InputError(loc, `keys are lower-case (${lower.join(', ')}): not CloudTrail's format, whose keys are camelCase (eventName, eventSource, ...)`);
    }
    return new InputError(loc, `not a CloudTrail record: "eventName" is ${describeType(rec.eventName)}`);
  }
  // Logstash-style exports move the time into `@timestamp`; take it from there when `eventTime` is missing.
  if (rec.eventTime === undefined && typeof rec['@timestamp'] === 'string') rec = { ...rec, eventTime: rec['@timestamp'] };
  for (const key of ['eventSource', 'eventTime'] as const) {
    if (typeof rec[key] !== 'string') return new InputError(loc, `"${key}" is ${describeType(rec[key])}, expected a string`);
  }
  if (!isObject(rec.userIdentity)) return new InputError(loc, `"userIdentity" is ${describeType(rec.userIdentity)}, expected an object`);
  for (const key in FIELD_LIMITS) {
    const v = rec[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return new InputError(loc, `"${key}" is ${describeType(v)}, expected a string`);
    const limit = FIELD_LIMITS[key] as number;
    if (v.length > limit) return new InputError(loc, `"${key}" is ${v.length} characters long; the limit is ${limit} (CloudTrail never writes more)`);
  }
  const ui = rec.userIdentity as Record<string, unknown>;
  for (const key in IDENTITY_LIMITS) {
    const v = ui[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return new InputError(loc, `"userIdentity.${key}" is ${describeType(v)}, expected a string`);
    const limit = IDENTITY_LIMITS[key] as number;
    if (v.length > limit) return new InputError(loc, `"userIdentity.${key}" is ${v.length} characters long; the limit is ${limit}`);
  }
  const record = rec as unknown as CloudTrailRecord;
  const time = parseEventTime(record.eventTime);
  if (time === undefined) return new InputError(loc, `"eventTime" is not an ISO-8601 time: ${JSON.stringify(record.eventTime.slice(0, 64))}`);

  const principal = toPrincipal(record.userIdentity);
  const sourceText = record.sourceIPAddress ?? '';
  const ip = sourceText ? parseIp(sourceText) : undefined;
  const sourceKind: SourceKind = ip
    ? 'ip'
    : sourceText === ''
      ? 'missing'
      : sourceText === 'AWS Internal'
        ? 'aws-internal'
        : /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(sourceText) || /^[a-z0-9-]+\.amazonaws\.com$/.test(sourceText)
          ? 'service'
          : 'invalid';
  const region = record.awsRegion ?? '';
  const account = record.recipientAccountId || principal.accountId || accountFromArn(principal.arn) || '';
  const category = record.eventCategory ?? (record.managementEvent === false ? 'Data' : 'Management');
  return {
    id: record.eventID || `sha256:${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`,
    time,
    source: record.eventSource,
    name: record.eventName,
    region,
    account,
    partition: partitionOf(principal.arn, region),
    sourceText,
    sourceKind,
    ip,
    userAgent: record.userAgent ?? '',
    errorCode: record.errorCode || undefined,
    readOnly: typeof record.readOnly === 'boolean' ? record.readOnly : undefined,
    category,
    principal,
    record,
    origin: loc,
  };
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * CloudTrail writes `2021-03-08T17:41:02Z`. Other exports write fractions, offsets, a space for `T`, or no zone at
 * all; a time without a zone is UTC (as every CloudTrail time is), never the local time of the machine reading it.
 */
export function parseEventTime(text: string): number | undefined {
  // Fast path: CloudTrail's own form, `YYYY-MM-DDTHH:MM:SSZ`.
  if (text.length === 20 && text.charCodeAt(10) === 84 && text.charCodeAt(19) === 90 && validDate(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  const m = ISO_TIME.exec(text);
  if (!m || !validDate(text)) return undefined;
  const fraction = m[3] ? m[3].slice(0, 4) : '';
  let zone = m[4] ?? 'Z';
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}${fraction}${zone.toUpperCase()}`);
  return Number.isNaN(t) ? undefined : t;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD...`: a real calendar day (Date.parse would roll 2024-02-30 over to March 1). */
function validDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (!(month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] as number));
}

export function toPrincipal(ui: UserIdentity): Principal {
  const type = str(ui.type);
  const arn = str(ui.arn);
  const sc = isObject(ui.sessionContext) ? ui.sessionContext : undefined;
  const issuer = sc && isObject(sc.sessionIssuer) ? sc.sessionIssuer : undefined;
  let userName = str(ui.userName);
  let sessionName = '';
  let roleArn = '';
  const assumed = arn.indexOf(':assumed-role/');
  if (type === 'AssumedRole' || assumed !== -1) {
    // arn:aws:sts::<account>:assumed-role/<role>/<session>
    const rest = assumed === -1 ? '' : arn.slice(assumed + 14);
    const slash = rest.indexOf('/');
    userName = str(issuer?.userName) || (slash === -1 ? rest : rest.slice(0, slash)) || userName;
    const principalId = str(ui.principalId);
    sessionName = slash !== -1 ? rest.slice(slash + 1) : principalId.slice(principalId.indexOf(':') + 1 || principalId.length);
    roleArn = str(issuer?.arn);
  } else if (type === 'Root') {
    userName = userName || 'Root';
  } else if (type === 'AWSService') {
    userName = userName || str(ui.invokedBy);
  } else if (type === 'FederatedUser' && !userName) {
    userName = arn.split(':federated-user/')[1] ?? '';
  }
  const created = sc?.attributes && typeof sc.attributes.creationDate === 'string' ? Date.parse(sc.attributes.creationDate) : Number.NaN;
  return {
    type,
    arn,
    principalId: str(ui.principalId),
    accountId: str(ui.accountId),
    accessKeyId: str(ui.accessKeyId),
    userName,
    sessionName,
    roleArn,
    invokedBy: str(ui.invokedBy),
    ec2RoleDelivery: str(sc?.ec2RoleDelivery),
    issuedAt: Number.isNaN(created) ? undefined : created,
  };
}

function accountFromArn(arn: string): string {
  const parts = arn.split(':', 6);
  return parts.length > 4 ? (parts[4] ?? '') : '';
}

function partitionOf(arn: string, region: string): string {
  if (arn.startsWith('arn:aws:')) return 'aws';
  if (arn.startsWith('arn:')) {
    const end = arn.indexOf(':', 4);
    if (end > 4) return arn.slice(4, end);
  }
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function isObject(v: unknown): v is Record<string, unknown> & { [k: string]: any } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return i;
  }
  return -1;
}

/**
 * A document that is not one JSON value is NDJSON when one of its first lines is a complete JSON object by itself
 * (a broken pretty-printed document has no such line; an NDJSON file with a bad line still has good ones).
 */
function looksLikeNdjson(text: string): boolean {
  for (const line of firstLines(text, 10)) {
    if (line[0] !== '{') continue;
    try {
      const value = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
    } catch {
      // not this line
    }
  }
  return false;
}
