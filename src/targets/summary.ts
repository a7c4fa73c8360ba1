import type { Finding } from '../core/finding.js';
import { severityLabel } from '../core/finding.js';
import { safeText } from '../core/text.js';

/**
 * Human-readable views of a finding for notification targets (e-mail, Slack, Teams). Every string that comes from the
 * finding may be attacker-controlled (user agents, user and bucket names, error codes): `findingFacts` returns them
 * raw for each target to escape for its own medium, `summarizeFinding` escapes control characters itself.
 */

export interface SummaryOptions {
  /**
   * Where a finding's link points. A URL containing `{id}` (and optionally `{region}`, `{account}`) is filled in;
   * any other URL gets the URL-encoded finding id appended. Default: the GuardDuty console's page of the finding.
   */
  consoleUrl?: string;
}

/** A finding, if the event's `detail` looks like one (a "GuardDuty Finding" event). */
export function findingOf(event: { 'detail-type'?: string; detail?: unknown } | undefined): Finding | undefined {
  const d = event?.detail as Partial<Finding> | undefined;
  if (!d || typeof d !== 'object') return undefined;
  if (typeof d.id !== 'string' || typeof d.type !== 'string' || typeof d.severity !== 'number' || !d.service || !d.resource) return undefined;
  return d as Finding;
}

function consoleHost(partition: string, region: string): string {
  if (partition === 'aws-cn') return 'console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'console.amazonaws-us-gov.com';
  return `${region}.console.aws.amazon.com`;
}

/** The link for a finding: the configured console URL, or GuardDuty's console deep link. */
export function findingLink(f: Finding, options: SummaryOptions = {}): string {
  const id = encodeURIComponent(f.id);
  const region = encodeURIComponent(f.region);
  if (options.consoleUrl) {
    const u = options.consoleUrl;
    if (u.includes('{id}')) return u.replaceAll('{id}', id).replaceAll('{region}', region).replaceAll('{account}', encodeURIComponent(f.accountId));
    return `${u}${id}`;
  }
  return `https://${consoleHost(f.partition, f.region)}/guardduty/home?region=${region}#/findings?macros=current&fId=${id}`;
}

/** `8.0`, `5.5`: GuardDuty shows severity with one decimal. */
export function formatSeverity(severity: number): string {
  return Number.isInteger(severity) ? severity.toFixed(1) : String(severity);
}

export interface Fact {
  label: string;
  value: string;
}

export interface FindingFacts {
  /** `High 8.0` */
  severity: string;
  type: string;
  title: string;
  description: string;
  account: string;
  region: string;
  resource: Fact[];
  actor: Fact[];
  when: Fact[];
  link: string;
}

function principalLabel(userType: string): string {
  if (userType === 'AssumedRole' || userType === 'Role') return 'Role';
  if (userType === 'Root') return 'Root';
  if (userType === 'FederatedUser') return 'Federated user';
  return 'User';
}

function remoteAddress(f: Finding): string | undefined {
  const a = f.service.action.awsApiCallAction;
  const r = a?.remoteIpDetails;
  const ip = r?.ipAddressV4 ?? r?.ipAddressV6;
  if (ip) {
    const extra = [r?.organization?.asnOrg ?? r?.organization?.org, r?.organization?.asn ? `AS${r.organization.asn}` : undefined, r?.country?.countryName]
      .filter((x): x is string => Boolean(x))
      .join(', ');
    return extra ? `${ip} (${extra})` : ip;
  }
  if (a?.domainDetails?.domain) return a.domainDetails.domain;
  if (a?.remoteAccountDetails) return `account ${a.remoteAccountDetails.accountId}`;
  return undefined;
}

const when = (iso: string) => iso.replace('.000Z', 'Z');

/** The facts of a finding, raw (unescaped), grouped as notifications show them. */
export function findingFacts(f: Finding, options: SummaryOptions = {}): FindingFacts {
  const resource: Fact[] = [];
  const r = f.resource;
  if (r.accessKeyDetails) {
    const k = r.accessKeyDetails;
    if (k.accessKeyId) resource.push({ label: 'Access key', value: k.accessKeyId });
    if (k.userName) resource.push({ label: principalLabel(k.userType), value: k.userType ? `${k.userName} (${k.userType})` : k.userName });
  }
  if (r.instanceDetails?.instanceId) resource.push({ label: 'Instance', value: r.instanceDetails.instanceId });
  const buckets = (r.s3BucketDetails ?? []).map((b) => ({ label: 'Bucket', value: b.name || b.arn }));
  // The finding's subject first: the bucket for S3 findings, the credentials otherwise.
  if (r.resourceType === 'S3Bucket') resource.unshift(...buckets);
  else resource.push(...buckets);
  if (resource.length === 0) resource.push({ label: 'Resource', value: r.resourceType });

  const actor: Fact[] = [];
  const a = f.service.action.awsApiCallAction;
  const address = remoteAddress(f);
  if (address) actor.push({ label: 'Address', value: address });
  if (a?.api) actor.push({ label: 'API', value: a.api });
  if (a?.serviceName) actor.push({ label: 'Service', value: a.serviceName });
  if (a?.userAgent) actor.push({ label: 'User agent', value: a.userAgent });
  if (a?.errorCode) actor.push({ label: 'Error code', value: a.errorCode });
  for (const t of f.service.evidence?.threatIntelligenceDetails ?? []) actor.push({ label: 'Threat list', value: t.threatListName });

  return {
    severity: `${severityLabel(f.severity)} ${formatSeverity(f.severity)}`,
    type: f.type,
    title: f.title,
    description: f.description,
    account: f.accountId,
    region: f.region,
    resource,
    actor,
    when: [
      { label: 'First seen', value: when(f.service.eventFirstSeen) },
      { label: 'Last seen', value: when(f.service.eventLastSeen) },
      { label: 'Count', value: String(f.service.count) },
    ],
    link: findingLink(f, options),
  };
}

/** Escapes control, bidi and zero-width characters (as the CLI does) and caps the length. */
export function plain(s: string, max = 500): string {
  return safeText(s, max);
}

/**
 * A plain-text summary of a finding: what, which resource, when, who (the actor), and a link. Attacker-controlled
 * strings have their control characters escaped, so a user agent cannot forge lines or terminal sequences.
 */
export function summarizeFinding(f: Finding, options: SummaryOptions = {}): string {
  const facts = findingFacts(f, options);
  const section = (title: string, rows: Fact[]) => {
    const width = Math.max(...rows.map((x) => x.label.length)) + 1;
    return [title, ...rows.map((x) => `  ${`${x.label}:`.padEnd(width + 1)} ${plain(x.value)}`)].join('\n');
  };
  const parts = [
    `[${facts.severity}] ${plain(f.type, 200)}`,
    plain(f.title, 1000),
    '',
    section('What', [
      { label: 'Type', value: f.type },
      { label: 'Severity', value: `${severityLabel(f.severity)} (${formatSeverity(f.severity)})` },
      { label: 'Account', value: `${f.accountId} (${f.region})` },
      { label: 'Finding ID', value: f.id },
    ]),
    '',
    section('Resource', facts.resource),
    '',
    section('When', facts.when),
  ];
  if (facts.actor.length > 0) parts.push('', section('Actor', facts.actor));
  parts.push('', 'Description', `  ${plain(f.description, 2000)}`, '', `Link: ${facts.link}`);
  return `${parts.join('\n')}\n`;
}

/** A short one-line subject: `[High 8.0] <type> (<resource>)`, escaped, at most `max` characters. */
export function findingHeadline(f: Finding, max = 150): string {
  const facts = findingFacts(f);
  const res = facts.resource[0]?.value;
  return plain(`[${facts.severity}] ${f.type}${res ? ` (${res})` : ''}`, max);
}

/** For an event that is not a finding: what it is, in a few lines. */
export function summarizeEvent(event: { id?: string; 'detail-type'?: string; source?: string; time?: string; detail?: unknown }): string {
  return [
    `${plain(String(event['detail-type'] ?? 'event'), 200)} from ${plain(String(event.source ?? 'unknown source'), 200)}`,
    `  Event ID: ${plain(String(event.id ?? ''), 200)}`,
    `  Time:     ${plain(String(event.time ?? ''), 200)}`,
    `  Detail:   ${plain(JSON.stringify(event.detail ?? null), 2000)}`,
    '',
  ].join('\n');
}
