import type { Ip } from '../core/ip.js';
import { isNonPublic } from '../core/ip.js';
import type { AwsRanges } from './aws-ranges.js';
import { type DomainListCategory, domainListCategory, type IpListCategory, ipListCategory } from './categories.js';
import { DomainIndex } from './domain-index.js';
import { IpIndex } from './ip-index.js';
import { type DomainList, type IpList, MAX_THREAT_LIST_ENTRIES } from './threat-list.js';

/** GuardDuty accepts 2,000 entries in its trusted list; Trailhound allows more but keeps the same default. */
export const MAX_TRUSTED_LIST_ENTRIES = MAX_THREAT_LIST_ENTRIES;

/**
 * Everything the detectors ask about an address, compiled once. Per event: one threat lookup (the lists of a
 * category are merged into one index whose values are list names), one trusted lookup when that hits, and the AWS
 * lookup only for instance credentials.
 *
 * Each list feeds the findings of its category only (`categories.ts`: explicit, else by the list's name): `threat`
 * lists answer `threat()` (the .Custom findings), `tor` lists answer `torNode()` (TorClient); domain lists answer
 * `domainThreat(name, category)`.
 */
export class Intel {
  readonly threatLists: Array<{ name: string; path: string; entries: number; sha256: string; category: IpListCategory }>;
  readonly trustedLists: Array<{ name: string; path: string; entries: number }>;
  private threats = new IpIndex<string>();
  private tor = new IpIndex<string>();
  private trusted = new IpIndex();
  private domains: Record<DomainListCategory, DomainIndex<string>> = { threat: new DomainIndex(), c2: new DomainIndex(), mining: new DomainIndex() };
  private readonly ipCounts: Record<IpListCategory, number> = { threat: 0, tor: 0 };
  private readonly domainCounts: Record<DomainListCategory, number> = { threat: 0, c2: 0, mining: 0 };

  constructor(
    readonly awsRanges: AwsRanges,
    threatLists: IpList[] = [],
    trustedLists: IpList[] = [],
    /** Threat lists of domains (GuardDuty's threat entity sets with domain entries); kept to rebuild the index. */
    readonly domainLists: readonly DomainList[] = [],
  ) {
    for (const list of domainLists) {
      const category = domainListCategory(list);
      this.domainCounts[category]++;
      for (const d of list.domains) this.domains[category].add(d, list.name);
    }
    for (const list of threatLists) {
      const category = ipListCategory(list);
      this.ipCounts[category]++;
      const index = category === 'tor' ? this.tor : this.threats;
      for (const cidr of list.entries) index.add(cidr, list.name);
    }
    for (const list of trustedLists) for (const cidr of list.entries) this.trusted.add(cidr, true);
    this.threatLists = threatLists.map((l) => ({ name: l.name, path: l.path, entries: l.entries.length, sha256: l.sha256, category: ipListCategory(l) }));
    this.trustedLists = trustedLists.map((l) => ({ name: l.name, path: l.path, entries: l.entries.length }));
  }

  /** How many IP lists of a category are loaded. */
  ipListCount(category: IpListCategory): number {
    return this.ipCounts[category];
  }

  /** How many domain lists of a category are loaded. */
  domainListCount(category: DomainListCategory): number {
    return this.domainCounts[category];
  }

  /** The domain lists of `category` (default `threat`) that hold `name` (or a parent domain of it), or `undefined`. */
  domainThreat(name: string, category: DomainListCategory = 'threat'): string[] | undefined {
    return this.domains[category].lookup(name);
  }

  /** The SHA-256 of a threat list's file, IP or domain list. */
  domainListSha256(name: string): string | undefined {
    return this.domainLists.find((l) => l.name === name)?.sha256;
  }

  /**
   * The `threat` lists that hold `ip`, or `undefined`. A trusted address never matches (the trusted list wins,
   * as in GuardDuty), and neither do private, loopback or link-local addresses (lists apply to public traffic).
   */
  threat(ip: Ip): string[] | undefined {
    return this.publicMatch(ip, this.threats.lookup(ip));
  }

  /** The `tor` lists (Tor node lists) that hold `ip`, or `undefined`; the same rules as `threat`. */
  torNode(ip: Ip): string[] | undefined {
    if (this.ipCounts.tor === 0) return undefined;
    return this.publicMatch(ip, this.tor.lookup(ip));
  }

  private publicMatch(ip: Ip, names: string[] | undefined): string[] | undefined {
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
