import type { Ip } from '../core/ip.js';
import { isNonPublic } from '../core/ip.js';
import type { AwsRanges } from './aws-ranges.js';
import { DomainIndex } from './domain-index.js';
import { IpIndex } from './ip-index.js';
import { type DomainList, type IpList, MAX_THREAT_LIST_ENTRIES } from './threat-list.js';

/** GuardDuty accepts 2,000 entries in its trusted list; Trailhound allows more but keeps the same default. */
export const MAX_TRUSTED_LIST_ENTRIES = MAX_THREAT_LIST_ENTRIES;

/**
 * Everything the detectors ask about an address, compiled once. Per event: one threat lookup (all lists are
 * merged into one index whose values are list names), one trusted lookup when that hits, and the AWS lookup
 * only for instance credentials.
 */
export class Intel {
  readonly threatLists: Array<{ name: string; path: string; entries: number; sha256: string }>;
  readonly trustedLists: Array<{ name: string; path: string; entries: number }>;
  private threats = new IpIndex<string>();
  private trusted = new IpIndex();
  private domains = new DomainIndex<string>();

  constructor(
    readonly awsRanges: AwsRanges,
    threatLists: IpList[] = [],
    trustedLists: IpList[] = [],
    /** Threat lists of domains (GuardDuty's threat entity sets with domain entries); kept to rebuild the index. */
    readonly domainLists: readonly DomainList[] = [],
  ) {
    for (const list of domainLists) for (const d of list.domains) this.domains.add(d, list.name);
    for (const list of threatLists) for (const cidr of list.entries) this.threats.add(cidr, list.name);
    for (const list of trustedLists) for (const cidr of list.entries) this.trusted.add(cidr, true);
    this.threatLists = threatLists.map((l) => ({ name: l.name, path: l.path, entries: l.entries.length, sha256: l.sha256 }));
    this.trustedLists = trustedLists.map((l) => ({ name: l.name, path: l.path, entries: l.entries.length }));
  }

  /** The domain threat lists that hold `name` (or a parent domain of it), or `undefined`. */
  domainThreat(name: string): string[] | undefined {
    return this.domains.lookup(name);
  }

  /** The SHA-256 of a threat list's file, IP or domain list. */
  domainListSha256(name: string): string | undefined {
    return this.domainLists.find((l) => l.name === name)?.sha256;
  }

  /**
   * The threat lists that hold `ip`, or `undefined`. A trusted address never matches (the trusted list wins,
   * as in GuardDuty), and neither do private, loopback or link-local addresses (lists apply to public traffic).
   */
  threat(ip: Ip): string[] | undefined {
    const names = this.threats.lookup(ip);
    if (!names) return undefined;
    if (this.trusted.has(ip) || isNonPublic(ip)) return undefined;
    return names;
  }

  isTrusted(ip: Ip): boolean {
    return this.trusted.has(ip);
  }

  /** True when `ip` is in AWS's published ranges. */
  isAws(ip: Ip): boolean {
    return this.awsRanges.index.has(ip);
  }

  /** The SHA-256 of the named threat list's file. */
  listSha256(name: string): string | undefined {
    return this.threatLists.find((l) => l.name === name)?.sha256 ?? this.domainListSha256(name);
  }
}
