import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOCK, detectLogCase, tempDir, testContext } from '../../../test/helpers.js';
import { schemaErrors } from '../../../test/schema.js';
import type { Finding } from '../../core/finding.js';
import type { DomainListCategory } from '../../intel/categories.js';
import { Intel } from '../../intel/intel.js';
import { runDetect } from '../../pipeline/detect.js';
import type { DnsDetector, LogCase } from '../types.js';
import {
  builtinRules,
  detector as c2,
  GUARDDUTY_TEST_DOMAINS_FILE,
  GUARDDUTY_TEST_DOMAINS_LIST,
  MINING_POOLS_FILE,
} from './backdoor-ec2-c-and-c-activity-b-dns.js';
import { detector as crypto, MINING_POOLS_LIST } from './crypto-currency-ec2-bitcoin-tool-b-dns.js';
import { detector as domainCustom, query } from './impact-ec2-malicious-domain-request-custom.js';
import {
  EXFIL_MAX_NAMES_PER_KEY,
  EXFIL_THRESHOLD,
  detector as exfil,
  exfilNames,
  looksEncoded,
  qualifying,
  queryAt,
  shannonEntropy,
  splitBaseDomain,
} from './trojan-ec2-dns-data-exfiltration.js';

const DETECTORS: DnsDetector<any>[] = [c2, crypto, exfil];

async function findingsOf(detector: DnsDetector<any>, c: LogCase): Promise<Finding[]> {
  const result = await detectLogCase(detector, c, 'dns');
  expect(result.rejected.map((e) => e.message)).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return result.findings.filter((f) => f.type === detector.meta.findingType);
}

const caseNamed = (d: DnsDetector<any>, prefix: string): LogCase => {
  const c = d.cases.find((x) => x.name.startsWith(prefix));
  if (!c) throw new Error(`${d.meta.id}: no case starting with ${prefix}`);
  return c;
};

/**
 * Runs DNS lines through one detector with domain threat lists of any names (LogCase names only `test-domains`);
 * `categories` gives some of them a category.
 */
async function detectWithDomainLists(
  detector: DnsDetector<any>,
  lines: string[],
  lists: Record<string, string[]>,
  categories: Record<string, DomainListCategory> = {},
): Promise<Finding[]> {
  const dir = join(tempDir(), 'AWSLogs', '111122223333', 'vpcdnsquerylogs', 'us-west-2', '2021', '03', '08');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'case.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const base = await testContext();
  const domainLists = Object.entries(lists).map(([name, domains]) => ({
    name,
    path: `${name}.txt`,
    domains,
    sha256: '1'.repeat(64),
    ...(categories[name] ? { category: categories[name] } : {}),
  }));
  const ctx = { ...base, intel: new Intel(base.intel.awsRanges, [], [], domainLists) };
  const result = await runDetect({ paths: [file], ctx, clock: CLOCK, network: { flow: [], dns: [detector] } });
  expect(result.rejected).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return result.findings.filter((f) => f.type === detector.meta.findingType);
}

describe.each(DETECTORS.map((d) => [d.meta.id, d] as const))('%s', (id, detector) => {
  it('is a DNS detector named after its file, High, with positive and negative cases', () => {
    expect(id).toMatch(/^[a-z0-9-]+$/);
    expect(detector.meta.dataSource).toBe('DNS logs');
    expect(detector.meta.severity).toBe(8);
    expect(detector.cases.some((c) => c.expect > 0)).toBe(true);
    expect(detector.cases.some((c) => c.expect === 0)).toBe(true);
    expect(detector.createState).toBeTypeOf('function');
    expect(detector.stats).toBeTypeOf('function');
  });

  it.each(detector.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await findingsOf(detector, c)).toHaveLength(c.expect);
  });
});

describe('built-in domain data', () => {
  it('parses, with the tester domains in their categories and the pools as rules', () => {
    expect(builtinRules(GUARDDUTY_TEST_DOMAINS_FILE, 'c2')).toEqual([
      'guarddutyc2activityb.com',
      'c2.guarddutyc2activityb.com',
      '*.c2.guarddutyc2activityb.com',
    ]);
    expect(builtinRules(GUARDDUTY_TEST_DOMAINS_FILE, 'crypto')).toEqual(['crypto.guarddutyc2activityb.com', '*.crypto.guarddutyc2activityb.com']);
    const pools = builtinRules(MINING_POOLS_FILE);
    expect(pools).toContain('*.minergate.com');
    expect(pools).toContain('donate.v2.xmrig.com');
    expect(pools.length).toBeLessThan(50);
  });

  it('rejects a malformed line', () => {
    const path = join(tempDir(), 'bad.txt');
    writeFileSync(path, 'c2 good.example.com\nc2 not a domain\n');
    expect(() => builtinRules(path, 'c2')).toThrow(/bad.txt:2/);
  });
});

describe('Backdoor:EC2/C&CActivity.B!DNS', () => {
  it('the GuardDuty test domain: High, the domain in dnsRequestAction, the built-in list as evidence', async () => {
    const [f] = await findingsOf(c2, caseNamed(c2, 'built-in: the current tester'));
    expect(f!.severity).toBe(8);
    expect(f!.service.resourceRole).toBe('ACTOR');
    expect(f!.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    expect(f!.service.action.dnsRequestAction).toEqual({ domain: 'c2.guarddutyc2activityb.com', protocol: 'UDP', blocked: false });
    expect(f!.service.evidence?.threatIntelligenceDetails.map((t) => t.threatListName)).toEqual([GUARDDUTY_TEST_DOMAINS_LIST]);
    expect(f!.title).toBe('EC2 instance i-0fedcba9876543210 is querying a domain name associated with a known command and control server.');
  });

  it('a subdomain: one finding per instance, count = queries, a blocked query still counts', async () => {
    const fs = await findingsOf(c2, caseNamed(c2, 'built-in: a subdomain'));
    const byInstance = new Map(fs.map((f) => [f.resource.instanceDetails?.instanceId, f]));
    expect(byInstance.get('i-0fedcba9876543210')!.service.count).toBe(2);
    expect(byInstance.get('i-0123456789abcdef0')!.service.count).toBe(1);
    expect(byInstance.get('i-0fedcba9876543210')!.service.action.dnsRequestAction?.domain).toBe('beacon.c2.guarddutyc2activityb.com');
  });

  it('configured domain lists named c2*, cnc*, command-and-control* feed it; others do not', async () => {
    const lines = [query('bad-c2.example.net'), query('x.cnc-host.example'), query('cc.example.org'), query('other.example')];
    const fs = await detectWithDomainLists(c2, lines, {
      'c2-feed': ['bad-c2.example.net'],
      CnC: ['cnc-host.example'],
      'command-and-control-2024': ['cc.example.org'],
      'phishing-domains': ['other.example'],
    });
    expect(fs.map((f) => f.service.action.dnsRequestAction?.domain).sort()).toEqual(['bad-c2.example.net', 'cc.example.org', 'x.cnc-host.example']);
    const cnc = fs.find((f) => f.service.action.dnsRequestAction?.domain === 'x.cnc-host.example')!;
    expect(cnc.service.evidence?.threatIntelligenceDetails).toEqual([{ threatListName: 'CnC', threatNames: [], threatFileSha256: '1'.repeat(64) }]);
  });

  it('a name on the built-in list and a configured list names both', async () => {
    const [f] = await detectWithDomainLists(c2, [query('c2.guarddutyc2activityb.com')], { c2: ['guarddutyc2activityb.com'] });
    expect(f!.service.evidence?.threatIntelligenceDetails.map((t) => t.threatListName)).toEqual([GUARDDUTY_TEST_DOMAINS_LIST, 'c2']);
  });

  it('an explicit category wins over the name: c2 lists feed it whatever their names, a c2* list of category threat does not', async () => {
    const lines = [query('beacon.example'), query('look.example')];
    const lists = { resolvers: ['beacon.example'], 'c2-lookalike': ['look.example'] };
    const categories = { resolvers: 'c2', 'c2-lookalike': 'threat' } as const;
    const fs = await detectWithDomainLists(c2, lines, lists, categories);
    expect(fs.map((f) => [f.service.action.dnsRequestAction?.domain, f.service.additionalInfo.threatListName])).toEqual([['beacon.example', 'resolvers']]);
    const custom = await detectWithDomainLists(domainCustom, lines, lists, categories);
    expect(custom.map((f) => [f.service.action.dnsRequestAction?.domain, f.service.additionalInfo.threatListName])).toEqual([['look.example', 'c2-lookalike']]);
  });

  it('stats count the configured lists and matches', () => {
    const s = c2.createState!({ intel: new Intel({} as never, [], [], [{ name: 'c2', path: 'c2.txt', domains: ['a.example'], sha256: '' }]) } as never);
    expect(c2.stats!(s)).toMatchObject({ configuredLists: 1, matchedQueries: 0, builtinRules: 3 });
  });
});

describe('CryptoCurrency:EC2/BitcoinTool.B!DNS', () => {
  it("the tester's crypto domain: High, domain and built-in evidence", async () => {
    const [f] = await findingsOf(crypto, caseNamed(crypto, "built-in: the GuardDuty tester's"));
    expect(f!.severity).toBe(8);
    expect(f!.service.action.dnsRequestAction?.domain).toBe('crypto.guarddutyc2activityb.com');
    expect(f!.service.evidence?.threatIntelligenceDetails.map((t) => t.threatListName)).toEqual([GUARDDUTY_TEST_DOMAINS_LIST]);
  });

  it('a mining pool names the built-in pool list; a blocked query says so', async () => {
    const fs = await findingsOf(crypto, caseNamed(crypto, 'built-in: a public Monero pool'));
    const donate = fs.find((f) => f.service.action.dnsRequestAction?.domain === 'donate.v2.xmrig.com')!;
    expect(donate.service.action.dnsRequestAction?.blocked).toBe(true);
    expect(donate.service.evidence?.threatIntelligenceDetails.map((t) => t.threatListName)).toEqual([MINING_POOLS_LIST]);
  });

  it('configured domain lists named crypto*, bitcoin*, mining* feed it; c2 lists do not', async () => {
    const lines = [query('pool.newcoin.example'), query('btc.example'), query('m.example'), query('c2.example')];
    const fs = await detectWithDomainLists(crypto, lines, {
      'crypto-pools': ['newcoin.example'],
      Bitcoin: ['btc.example'],
      mining: ['m.example'],
      c2: ['c2.example'],
    });
    expect(fs.map((f) => f.service.action.dnsRequestAction?.domain).sort()).toEqual(['btc.example', 'm.example', 'pool.newcoin.example']);
    expect(fs.every((f) => f.service.count === 1)).toBe(true);
  });
  it('lists of category mining feed it whatever their names; a mining* list of category threat does not', async () => {
    const lines = [query('eu.pool.example'), query('x.mining-lookalike.example')];
    const lists = { pools: ['pool.example'], 'mining-lookalike': ['mining-lookalike.example'] };
    const fs = await detectWithDomainLists(crypto, lines, lists, { pools: 'mining', 'mining-lookalike': 'threat' });
    expect(fs.map((f) => [f.service.action.dnsRequestAction?.domain, f.service.additionalInfo.threatListName])).toEqual([['eu.pool.example', 'pools']]);
  });
});

describe('Trojan:EC2/DNSDataExfiltration', () => {
  it('base domains (last two labels, three under common second-level suffixes)', () => {
    expect(splitBaseDomain('abc.def.example.com')).toEqual({ base: 'example.com', sub: ['abc', 'def'] });
    expect(splitBaseDomain('abc.tunnel.co.uk')).toEqual({ base: 'tunnel.co.uk', sub: ['abc'] });
    expect(splitBaseDomain('example.com')).toBeUndefined();
    expect(splitBaseDomain('tunnel.co.uk')).toBeUndefined();
  });

  it('encoded-looking labels: long and high-entropy, or hex', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(looksEncoded('a'.repeat(60))).toBe(false);
    expect(looksEncoded('mzxw6ytboi2dcmrtgq2tmnzyhe3dgnbvgy3tqojqgexdembr')).toBe(true);
    expect(looksEncoded('0ubb0EnPJyobGCgvGSgK36CdGWkyY87aklIyGzJW3GuhS1TzzuqXaSiaPvenqJ'.toLowerCase())).toBe(true);
    expect(looksEncoded('3f2a9c0d81e47b65a0c9d3e2f1b4a7c8d9e0f1a2')).toBe(true);
    expect(looksEncoded('shortbutrandom8x2k')).toBe(false);
    expect(qualifying(`${'mzxw6ytboi2dcmrtgq2tmnzyhe3dgnbvgy3tqojqgexdembr'}.x.s3.amazonaws.com`)).toBeUndefined();
    expect(qualifying('mzxw6ytboi2dcmrtgq2tmnzyhe3dgnbvgy3tqojqgexdembr.b.example.com')).toEqual({ base: 'example.com', bytes: 49 });
  });

  it('crossing the threshold: one finding per instance and base domain, count = qualifying names, base domain in the action', async () => {
    const [f] = await findingsOf(exfil, caseNamed(exfil, 'positive: 25 distinct'));
    expect(f!.severity).toBe(8);
    expect(f!.service.resourceRole).toBe('ACTOR');
    expect(f!.service.count).toBe(25);
    expect(f!.service.action.actionType).toBe('DNS_REQUEST');
    expect(f!.service.action.dnsRequestAction?.domain).toBe('exfil-attacker.example');
    expect(f!.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    // The first qualifying query to the one that crossed the threshold (19 x 10 s), then the rest up to 24 x 10 s.
    expect(Date.parse(f!.service.eventLastSeen) - Date.parse(f!.service.eventFirstSeen)).toBe(24 * 10_000);
    const info = f!.service.additionalInfo as Record<string, any>;
    expect(info.dnsExfiltration.baseDomain).toBe('exfil-attacker.example');
    expect(info.dnsExfiltration.queryThreshold).toBe(EXFIL_THRESHOLD);
  });

  it('hex chunks behind a tag under a co.uk domain are reported under the three-label base domain', async () => {
    const fs = await findingsOf(exfil, caseNamed(exfil, 'positive: dnscat2-style'));
    expect(fs.map((f) => f.service.action.dnsRequestAction?.domain).sort()).toEqual(['exfil-attacker.example', 'tunnel.co.uk']);
    expect(fs.find((f) => f.service.action.dnsRequestAction?.domain === 'tunnel.co.uk')!.service.count).toBe(22);
  });

  it('the byte threshold: 10 names of about 216 encoded bytes each (2.1 KB) are enough', async () => {
    const long = exfilNames(40, 'x.example').map((n) => n.split('.')[0]!);
    const lines = Array.from({ length: 10 }, (_, i) =>
      queryAt(`${long[4 * i]}${long[4 * i + 1]!.slice(0, 8)}.${long[4 * i + 2]}.${long[4 * i + 3]}.${long[i]}.big.example`, i),
    );
    const fs = await findingsOf(exfil, { name: 'bytes', lines, expect: 1 });
    expect(fs).toHaveLength(1);
    expect(fs[0]!.service.count).toBeLessThan(EXFIL_THRESHOLD);
  });

  it('state is bounded: names per pair are capped, evictions counted', () => {
    const s = exfil.createState!({} as never);
    const names = exfilNames(EXFIL_MAX_NAMES_PER_KEY + 10, 'cap.example');
    let hits = 0;
    names.forEach((n, i) => {
      const q = { ...baseQuery(), queryName: n, time: Date.UTC(2021, 2, 8) + i, id: `q${i}` };
      if (exfil.evaluate(q, {} as never, s)) hits++;
    });
    expect(hits).toBe(names.length - EXFIL_THRESHOLD + 1);
    expect(exfil.stats!(s)).toMatchObject({ qualifyingQueries: names.length, evictedNames: 10, trackedKeys: 1 });
  });
});

function baseQuery() {
  return {
    kind: 'dns' as const,
    id: 'q',
    time: 0,
    version: '1.1',
    account: '111122223333',
    region: 'us-west-2',
    vpcId: 'vpc-1',
    queryName: '',
    queryType: 'A',
    queryClass: 'IN',
    rcode: 'NOERROR',
    answers: [],
    srcaddr: undefined,
    srcText: '10.0.0.12',
    srcport: 53000,
    transport: 'UDP',
    instanceId: 'i-0fedcba9876543210',
    resolverEndpointId: undefined,
    firewallRuleAction: undefined,
    firewallRuleGroupId: undefined,
    firewallDomainListId: undefined,
    origin: 'test',
  };
}
