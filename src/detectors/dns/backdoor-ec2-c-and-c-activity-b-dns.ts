import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEVERITY } from '../../core/finding.js';
import type { DnsQuery } from '../../core/network.js';
import { DOMAIN_CATEGORY_NAME_PREFIXES, type DomainListCategory } from '../../intel/categories.js';
import { DomainIndex } from '../../intel/domain-index.js';
import { dnsHit } from '../network-common.js';
import type { DnsDetector, LogCase } from '../types.js';
import { query } from './impact-ec2-malicious-domain-request-custom.js';

/**
 * `Backdoor:EC2/C&CActivity.B!DNS`: an instance queries a domain associated with a command-and-control server.
 *
 * GuardDuty's own C&C intelligence is not public; Trailhound matches the queried name (or a parent domain) against:
 * - the built-in list `data/intel/guardduty-test-domains.txt` (category `c2`: the fake domains AWS publishes so that
 *   customers can prove GuardDuty works, `guarddutyc2activityb.com` and `c2.guarddutyc2activityb.com` with its
 *   subdomains), evidence "Trailhound built-in: GuardDuty test domains";
 * - every domain threat list (`threatDomainLists`) of category `c2` (`category: c2`; without a category, a list whose
 *   name starts with `c2`, `cnc` or `command-and-control`, case-insensitive: the fallback convention of
 *   `intel/categories.ts`). Such a list feeds this finding, not `Impact:EC2/MaliciousDomainRequest.Custom` (which
 *   reports the lists of category `threat`).
 *
 * A query DNS Firewall blocked still counts (the instance tried). One finding per instance (or source address) and
 * queried domain; `count` is the queries.
 *
 * The module also holds the logic shared with `CryptoCurrency:EC2/BitcoinTool.B!DNS` (`domainIntelDetector`).
 */

/** The built-in lists, shipped in the package's `data/` (resolved from this module: `src/` or `dist/`). */
const INTEL_DIR = new URL('../../../data/intel/', import.meta.url);
export const GUARDDUTY_TEST_DOMAINS_FILE = fileURLToPath(new URL('guardduty-test-domains.txt', INTEL_DIR));
export const MINING_POOLS_FILE = fileURLToPath(new URL('mining-pools.txt', INTEL_DIR));

export const GUARDDUTY_TEST_DOMAINS_LIST = 'Trailhound built-in: GuardDuty test domains';

const RULE = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/;

/**
 * The rules of a built-in list file: `#` starts a comment, one rule a line, optionally after a category (`c2 name`).
 * With `category`, only that category's rules; without, the file has no categories. A malformed line is a packaging
 * error and throws.
 */
export function builtinRules(file: string, category?: string): string[] {
  const rules: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim().toLowerCase();
      if (!line) return;
      const fields = line.split(/\s+/);
      const [cat, rule] = category === undefined ? [undefined, fields[0]!] : [fields[0], fields[1]];
      if (fields.length !== (category === undefined ? 1 : 2) || !rule || !RULE.test(rule)) {
        throw new Error(`${file}:${i + 1}: not a domain rule: ${raw}`);
      }
      if (cat === category) rules.push(rule);
    });
  return rules;
}

/** A built-in list: its evidence name and rules (a plain name matches itself only, `*.name` the names below). */
export interface BuiltinList {
  name: string;
  rules: readonly string[];
}

/** Compiles built-in lists into one index whose values are the list names. */
export function builtinIndex(lists: readonly BuiltinList[]): DomainIndex<string> {
  const index = new DomainIndex<string>({ subdomains: false });
  for (const l of lists) for (const r of l.rules) index.add(r, l.name);
  return index;
}

export interface DomainIntelState {
  /** `configuredLists`: the domain lists of the spec's category loaded when the state was created. */
  counters: { matchedQueries: number; builtinMatches: number; configuredMatches: number; configuredLists: number; builtinRules: number };
}

export interface DomainIntelSpec {
  id: string;
  findingType: string;
  summary: string;
  /** The category of the configured domain lists that feed this type. */
  category: Exclude<DomainListCategory, 'threat'>;
  builtin: DomainIndex<string>;
  /** What the domain is associated with, for titles: "a known command and control server". */
  association: string;
  /** The description's closing sentence. */
  consequence: string;
  cases: LogCase[];
}

/** A detector of queries to domains on built-in lists or on configured domain lists of one category. */
export function domainIntelDetector(spec: DomainIntelSpec): DnsDetector<DomainIntelState> {
  return {
    meta: {
      id: spec.id,
      findingType: spec.findingType,
      severity: SEVERITY.High,
      dataSource: 'DNS logs',
      summary: spec.summary,
      aggregation: 'instance (or source address) + queried domain',
    },

    createState(ctx) {
      return {
        counters: {
          matchedQueries: 0,
          builtinMatches: 0,
          configuredMatches: 0,
          configuredLists: ctx.intel.domainListCount(spec.category),
          builtinRules: spec.builtin.size,
        },
      };
    },

    stats: (s) => ({ ...s.counters }),

    evaluate(q: DnsQuery, ctx, s) {
      const builtin = spec.builtin.lookup(q.queryName);
      const configured = ctx.intel.domainListCount(spec.category) > 0 ? ctx.intel.domainThreat(q.queryName, spec.category) : undefined;
      if (!builtin && !configured) return undefined;
      s.counters.matchedQueries++;
      if (builtin) s.counters.builtinMatches++;
      if (configured) s.counters.configuredMatches++;
      const lists = [...(builtin ?? []), ...(configured ?? [])];
      return dnsHit(q, {
        type: spec.findingType,
        severity: SEVERITY.High,
        lists,
        text: (who) => ({
          title: `${who} is querying a domain name associated with ${spec.association}.`,
          description: `${who} is querying ${q.queryName}, a domain name associated with ${spec.association} (on ${lists.join(', ')}). ${spec.consequence}`,
        }),
      });
    },

    cases: spec.cases,
  };
}

/** Configured domain lists without a category whose names start with one of these feed C&C findings (fallback). */
export const C2_LIST_PREFIXES = DOMAIN_CATEGORY_NAME_PREFIXES.c2;

const C2_INDEX = builtinIndex([{ name: GUARDDUTY_TEST_DOMAINS_LIST, rules: builtinRules(GUARDDUTY_TEST_DOMAINS_FILE, 'c2') }]);

export const detector = domainIntelDetector({
  id: 'backdoor-ec2-c-and-c-activity-b-dns',
  findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
  summary:
    'An EC2 instance is querying a domain name associated with a known command and control server (built-in GuardDuty test domains, or a domain list of category c2; without a category, one named c2*, cnc* or command-and-control*).',
  category: 'c2',
  builtin: C2_INDEX,
  association: 'a known command and control server',
  consequence:
    'The instance is likely compromised: command and control servers issue commands to the members of a botnet (distributed denial of service, data theft, further malware).',
  cases: [
    { name: 'built-in: the GuardDuty test domain (legacy tester: dig GuardDutyC2ActivityB.com)', lines: [query('guarddutyc2activityb.com')], expect: 1 },
    { name: 'built-in: the current tester indicator c2.guarddutyc2activityb.com', lines: [query('c2.guarddutyc2activityb.com')], expect: 1 },
    {
      name: 'built-in: a subdomain of c2.guarddutyc2activityb.com, twice from one instance and once from another: a finding per instance',
      lines: [
        query('beacon.c2.guarddutyc2activityb.com'),
        query('beacon.c2.guarddutyc2activityb.com', { firewall: 'BLOCK' }),
        query('beacon.c2.guarddutyc2activityb.com', { instance: 'i-0123456789abcdef0' }),
      ],
      expect: 2,
    },
    {
      name: "built-in: the tester's other indicators under the same domain are not C&C (crypto., malicious-rep., abused-rep.)",
      lines: [
        query('crypto.guarddutyc2activityb.com'),
        query('malicious-rep.guarddutyc2activityb.com'),
        query('abused-rep.guarddutyc2activityb.com'),
        query('xguarddutyc2activityb.com'),
      ],
      expect: 0,
    },
    { name: 'ordinary domains', lines: [query('example.com'), query('www.amazon.com'), query('s3.us-west-2.amazonaws.com')], expect: 0 },
    {
      name: 'a configured domain list without a category, not named c2*/cnc* (test-domains), is not C&C intelligence',
      lines: [query('evil.example.com')],
      threatDomains: ['evil.example.com'],
      expect: 0,
    },
  ],
});
