import { DOMAIN_CATEGORY_NAME_PREFIXES } from '../../intel/categories.js';
import {
  builtinIndex,
  builtinRules,
  domainIntelDetector,
  GUARDDUTY_TEST_DOMAINS_FILE,
  GUARDDUTY_TEST_DOMAINS_LIST,
  MINING_POOLS_FILE,
} from './backdoor-ec2-c-and-c-activity-b-dns.js';
import { query } from './impact-ec2-malicious-domain-request-custom.js';

/**
 * `CryptoCurrency:EC2/BitcoinTool.B!DNS`: an instance queries a domain associated with cryptocurrency activity
 * (mining pools, miner infrastructure).
 *
 * The queried name (or a parent domain) is matched against:
 * - the built-in `data/intel/guardduty-test-domains.txt` (category `crypto`: `crypto.guarddutyc2activityb.com`, the
 *   GuardDuty tester's indicator), evidence "Trailhound built-in: GuardDuty test domains";
 * - the built-in `data/intel/mining-pools.txt` (a short hand-written list of public mining pools and XMRig's
 *   donation endpoints), evidence "Trailhound built-in: public mining pools";
 * - every domain threat list (`threatDomainLists`) of category `mining` (`category: mining`; without a category, a
 *   list whose name starts with `crypto`, `bitcoin` or `mining`, case-insensitive: the fallback convention of
 *   `intel/categories.ts`). Such a list feeds this finding, not `Impact:EC2/MaliciousDomainRequest.Custom`.
 *
 * A query DNS Firewall blocked still counts. One finding per instance (or source address) and queried domain;
 * `count` is the queries. Instances that mine on purpose are suppressed with a filter (GuardDuty's advice).
 */
/** Configured domain lists without a category whose names start with one of these feed this type (fallback). */
export const CRYPTO_LIST_PREFIXES = DOMAIN_CATEGORY_NAME_PREFIXES.mining;

export const MINING_POOLS_LIST = 'Trailhound built-in: public mining pools';

const CRYPTO_INDEX = builtinIndex([
  { name: GUARDDUTY_TEST_DOMAINS_LIST, rules: builtinRules(GUARDDUTY_TEST_DOMAINS_FILE, 'crypto') },
  { name: MINING_POOLS_LIST, rules: builtinRules(MINING_POOLS_FILE) },
]);

export const detector = domainIntelDetector({
  id: 'crypto-currency-ec2-bitcoin-tool-b-dns',
  findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  summary:
    'An EC2 instance is querying a domain name associated with cryptocurrency-related activity (built-in GuardDuty test domain and public mining pools, or a domain list of category mining; without a category, one named crypto*, bitcoin* or mining*).',
  category: 'mining',
  builtin: CRYPTO_INDEX,
  association: 'cryptocurrency-related activity',
  consequence: 'Unless the instance mines on purpose, it is likely compromised and running a cryptocurrency miner (resource hijacking).',
  cases: [
    { name: "built-in: the GuardDuty tester's crypto.guarddutyc2activityb.com", lines: [query('crypto.guarddutyc2activityb.com')], expect: 1 },
    {
      name: "built-in: the legacy tester's MinerGate pool, and a subdomain of the test domain",
      lines: [query('xdn-xmr.pool.minergate.com'), query('pool.crypto.guarddutyc2activityb.com')],
      expect: 2,
    },
    {
      name: 'built-in: a public Monero pool and XMRig donation endpoint, from one instance',
      lines: [query('gulf.moneroocean.stream'), query('pool.supportxmr.com'), query('donate.v2.xmrig.com', { firewall: 'BLOCK' })],
      expect: 3,
    },
    {
      name: "the tester's other indicators are not crypto (c2., crypto-rep. is the Reputation type), nor look-alikes",
      lines: [
        query('c2.guarddutyc2activityb.com'),
        query('crypto-rep.guarddutyc2activityb.com'),
        query('guarddutyc2activityb.com'),
        query('notminergate.com'),
        query('xmrig.com'),
        query('github.com'),
      ],
      expect: 0,
    },
    {
      name: 'a configured domain list without a category, not named crypto*/bitcoin*/mining* (test-domains), is not crypto intelligence',
      lines: [query('evil.example.com')],
      threatDomains: ['evil.example.com'],
      expect: 0,
    },
  ],
});
