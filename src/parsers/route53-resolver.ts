import { InputError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import type { DnsAnswer, DnsQuery } from '../core/network.js';
import { parseEventTime } from './cloudtrail.js';
import { cloudWatchMessages, contentId, describeType, isObject, quote, readJsonItems, stripIsoPrefix } from './sniff.js';

/**
 * Route 53 Resolver query logs in, normalised `DnsQuery`s out.
 *
 * Accepted shapes, recognised from the content:
 * - JSON lines, one query per line (what Resolver delivers to S3 and Firehose);
 * - a JSON array of queries, or a single (possibly pretty-printed) query;
 * - CloudWatch Logs exports: subscription payloads (`{"logEvents":[{"message":"{...}"}],...}`, also back to back as
 *   Firehose writes them), `filter-log-events` output (`{"events":[...]}`) and `<ISO time> {json}` lines.
 * Each query is validated (types, and sizes: `query_name` at most 255 characters, at most 256 answers of at most 4 KB
 * each, identifiers at most 128 characters; a hostile huge field makes that query an error) and normalised:
 * `query_name` lower-cased without its trailing dot, answers as `{rdata, type, class}`, `srcids.instance` and
 * `srcids.resolver_endpoint`, the DNS Firewall fields. A query that cannot be used becomes an `InputError` naming
 * `file:line` (`file:line#i` for the i-th event of an envelope); every other query is still returned.
 */
export interface DnsParseResult {
  records: DnsQuery[];
  errors: InputError[];
}

/** Longest JSON line read (a query with many long answers stays far below). */
export const MAX_DNS_LINE = 1024 * 1024;
const MAX_QUERY_NAME = 255;
const MAX_ANSWERS = 256;
const MAX_RDATA = 4096;

const LIMITS: Record<string, number> = {
  version: 32,
  account_id: 64,
  region: 64,
  vpc_id: 128,
  query_timestamp: 64,
  query_type: 32,
  query_class: 32,
  rcode: 32,
  srcaddr: 64,
  transport: 16,
  firewall_rule_action: 32,
  firewall_rule_group_id: 128,
  firewall_domain_list_id: 128,
};

export function parseResolverQueryLogDocument(text: string, path: string): DnsParseResult {
  const out: DnsParseResult = { records: [], errors: [] };
  const items = readJsonItems(text, path, out.errors, MAX_DNS_LINE);
  for (const item of items) {
    const loc = `${path}:${item.line}`;
    const cw = cloudWatchMessages(item.value);
    if (cw === undefined) {
      add(item.value, loc, out);
      continue;
    }
    for (const i of cw.bad) out.errors.push(new InputError(`${loc}#${i}`, 'log event has no "message" string'));
    for (const m of cw.messages) {
      const eloc = `${loc}#${m.index}`;
      if (m.message.length > MAX_DNS_LINE) {
        out.errors.push(new InputError(eloc, `message is ${m.message.length} characters long; the limit is ${MAX_DNS_LINE}`));
        continue;
      }
      const body = m.message.trim();
      const json = stripIsoPrefix(body) ?? body;
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch (err) {
        out.errors.push(new InputError(eloc, `message is not JSON (${(err as Error).message}): ${quote(json, 60)}`));
        continue;
      }
      add(value, eloc, out);
    }
  }
  return out;
}

function add(value: unknown, loc: string, out: DnsParseResult): void {
  const r = toDnsQuery(value, loc);
  if (typeof r === 'string') out.errors.push(new InputError(loc, r));
  else out.records.push(r);
}

/** Validates and normalises one query log record; the reason otherwise. */
export function toDnsQuery(value: unknown, loc: string): DnsQuery | string {
  if (!isObject(value)) return `record is ${describeType(value)}, expected a Resolver query log object`;
  const rec = value;
  if (typeof rec.query_name !== 'string') {
    return `not a Resolver query log record: "query_name" is ${describeType(rec.query_name)}${'eventName' in rec ? ' (this looks like CloudTrail)' : ''}`;
  }
  for (const key in LIMITS) {
    const v = rec[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return `"${key}" is ${describeType(v)}, expected a string`;
    const limit = LIMITS[key] as number;
    if (v.length > limit) return `"${key}" is ${v.length} characters long; the limit is ${limit}: ${quote(v)}`;
  }
  const rawName = rec.query_name;
  if (rawName.length > MAX_QUERY_NAME) return `"query_name" is ${rawName.length} characters long; the limit is ${MAX_QUERY_NAME}: ${quote(rawName)}`;
  if (typeof rec.query_timestamp !== 'string') return `"query_timestamp" is ${describeType(rec.query_timestamp)}, expected an ISO-8601 time`;
  const time = parseEventTime(rec.query_timestamp);
  if (time === undefined) return `"query_timestamp" is not an ISO-8601 time: ${quote(rec.query_timestamp)}`;

  let srcport: number | undefined;
  const sp = rec.srcport;
  if (sp !== undefined && sp !== null && sp !== '' && sp !== '-') {
    const n = typeof sp === 'number' ? sp : typeof sp === 'string' && /^\d{1,5}$/.test(sp) ? Number(sp) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) return `"srcport" is ${typeof sp === 'string' ? quote(sp) : describeType(sp)}: not a port (0-65535)`;
    srcport = n;
  }

  const srcText = str(rec.srcaddr);
  const srcaddr = srcText ? parseIp(srcText) : undefined;
  if (srcText && srcaddr === undefined && srcText !== '-') return `"srcaddr" is ${quote(srcText)}: not an IPv4 or IPv6 address`;

  let instanceId: string | undefined;
  let resolverEndpointId: string | undefined;
  if (rec.srcids !== undefined && rec.srcids !== null) {
    if (!isObject(rec.srcids)) return `"srcids" is ${describeType(rec.srcids)}, expected an object`;
    for (const key of ['instance', 'resolver_endpoint'] as const) {
      const v = rec.srcids[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return `"srcids.${key}" is ${describeType(v)}, expected a string`;
      if (v.length > 128) return `"srcids.${key}" is ${v.length} characters long; the limit is 128: ${quote(v)}`;
    }
    instanceId = str(rec.srcids.instance) || undefined;
    resolverEndpointId = str(rec.srcids.resolver_endpoint) || undefined;
  }

  const answers: DnsAnswer[] = [];
  if (rec.answers !== undefined && rec.answers !== null) {
    if (!Array.isArray(rec.answers)) return `"answers" is ${describeType(rec.answers)}, expected an array`;
    if (rec.answers.length > MAX_ANSWERS) return `"answers" has ${rec.answers.length} entries; the limit is ${MAX_ANSWERS}`;
    for (let i = 0; i < rec.answers.length; i++) {
      const a = rec.answers[i];
      if (!isObject(a)) return `"answers[${i}]" is ${describeType(a)}, expected an object`;
      for (const [key, limit] of [
        ['Rdata', MAX_RDATA],
        ['Type', 32],
        ['Class', 32],
      ] as const) {
        const v = a[key];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'string') return `"answers[${i}].${key}" is ${describeType(v)}, expected a string`;
        if (v.length > limit) return `"answers[${i}].${key}" is ${v.length} characters long; the limit is ${limit}: ${quote(v)}`;
      }
      answers.push({ rdata: str(a.Rdata), type: str(a.Type), class: str(a.Class) });
    }
  } else {
    // The format as documented (not as delivered): one answer in flat fields.
    const rdata = rec.rdata;
    if (typeof rdata === 'string' && rdata.length <= MAX_RDATA)
      answers.push({ rdata, type: str(rec.answer_type).slice(0, 32), class: str(rec.answer_class).slice(0, 32) });
  }

  const lower = rawName.toLowerCase();
  const queryName = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  const q: Omit<DnsQuery, 'id'> = {
    kind: 'dns',
    time,
    version: str(rec.version),
    account: str(rec.account_id),
    region: str(rec.region),
    vpcId: str(rec.vpc_id),
    queryName,
    queryType: str(rec.query_type),
    queryClass: str(rec.query_class),
    rcode: str(rec.rcode),
    answers,
    srcaddr,
    srcText,
    srcport,
    transport: str(rec.transport),
    instanceId,
    resolverEndpointId,
    firewallRuleAction: str(rec.firewall_rule_action) || undefined,
    firewallRuleGroupId: str(rec.firewall_rule_group_id) || undefined,
    firewallDomainListId: str(rec.firewall_domain_list_id) || undefined,
    origin: loc,
  };
  const key = JSON.stringify([
    q.version,
    q.account,
    q.region,
    q.vpcId,
    time,
    rawName,
    q.queryType,
    q.queryClass,
    q.rcode,
    answers.map((a) => [a.rdata, a.type, a.class]),
    srcText,
    srcport ?? null,
    q.transport,
    instanceId ?? null,
    resolverEndpointId ?? null,
    q.firewallRuleAction ?? null,
    q.firewallRuleGroupId ?? null,
    q.firewallDomainListId ?? null,
  ]);
  return { ...q, id: contentId(key) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
