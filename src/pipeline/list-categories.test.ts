import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOCK, tempDir } from '../../test/helpers.js';
import { schemaErrors } from '../../test/schema.js';
import { ConfigError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { query } from '../detectors/dns/impact-ec2-malicious-domain-request-custom.js';
import { loadConfig, validateConfig } from './config.js';
import { buildContext } from './context.js';
import { runDetect } from './detect.js';

/**
 * Threat-list categories from the configuration file to the findings: `category` decides which finding type a list
 * feeds, over every registered flow and DNS detector; the naming convention applies only without one.
 */
const TOR = 'UnauthorizedAccess:EC2/TorClient';
const CUSTOM = 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom';
const DOMAIN = 'Impact:EC2/MaliciousDomainRequest.Custom';
const C2 = 'Backdoor:EC2/C&CActivity.B!DNS';
const MINING = 'CryptoCurrency:EC2/BitcoinTool.B!DNS';

const ENI = 'eni-0123456789abcdef0';
const INSTANCE = '10.0.0.12';
const t0 = 1615225630;
/** `n` client connections from the instance to `node`:9001 (version-2 default format). */
const connections = (node: string, n = 3) =>
  Array.from({ length: n }, (_, i) => `2 111122223333 ${ENI} ${INSTANCE} ${node} ${41000 + i} 9001 6 22 5120 ${t0 + i * 60} ${t0 + i * 60 + 50} ACCEPT OK`);

/** Writes flow and DNS logs in AWS's S3 layout and a configuration file with lists beside them; returns the paths. */
function workspace(config: string, lists: Record<string, string>, flows: string[], queries: string[]) {
  const dir = tempDir();
  for (const [file, text] of Object.entries(lists)) writeFileSync(join(dir, file), text);
  const flowDir = join(dir, 'logs', 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-west-2', '2021', '03', '08');
  const dnsDir = join(dir, 'logs', 'AWSLogs', '111122223333', 'vpcdnsquerylogs', 'us-west-2', '2021', '03', '08');
  mkdirSync(flowDir, { recursive: true });
  mkdirSync(dnsDir, { recursive: true });
  if (flows.length > 0) writeFileSync(join(flowDir, 'flows.log'), `${flows.join('\n')}\n`);
  if (queries.length > 0) writeFileSync(join(dnsDir, 'queries.jsonl'), `${queries.join('\n')}\n`);
  const configPath = join(dir, 'trailhound.yaml');
  writeFileSync(configPath, config);
  return { configPath, logs: join(dir, 'logs') };
}

async function detect(configPath: string, logs: string): Promise<{ findings: Finding[]; warnings: string[] }> {
  const config = await loadConfig(configPath);
  const warnings: string[] = [];
  const ctx = await buildContext(config, {}, (m) => warnings.push(m));
  const result = await runDetect({ paths: [logs], ctx, clock: CLOCK });
  expect(result.rejected.map((r) => r.message)).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return { findings: result.findings, warnings };
}

/** `type -> remote address or domain -> threat list names`, for compact expectations. */
function byType(findings: Finding[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of findings) {
    const a = f.service.action;
    const what = a.networkConnectionAction?.remoteIpDetails?.ipAddressV4 ?? a.dnsRequestAction?.domain ?? '?';
    out[f.type] = { ...out[f.type], [what]: f.service.evidence?.threatIntelligenceDetails?.map((t) => t.threatListName) };
  }
  return out;
}

describe('threat list categories, configuration to findings', () => {
  it('IP lists: category tor gives TorClient and not MaliciousIPCaller.Custom; category threat beats a tor* name', async () => {
    const { configPath, logs } = workspace(
      `threatLists:
  - { name: exit-nodes, path: exit-nodes.txt, category: tor }
  - { name: tor-lookalike, path: lookalike.txt, category: threat }
  - { name: feed, path: feed.txt }
detectors:
  interfaces: { ${ENI}: i-0fedcba9876543210 }
`,
      { 'exit-nodes.txt': '203.0.113.66\n', 'lookalike.txt': '203.0.113.77\n', 'feed.txt': '203.0.113.99\n' },
      [...connections('203.0.113.66'), ...connections('203.0.113.77'), ...connections('203.0.113.99')],
      [],
    );
    const { findings, warnings } = await detect(configPath, logs);
    expect(byType(findings)).toEqual({
      [TOR]: { '203.0.113.66': ['exit-nodes'] },
      [CUSTOM]: { '203.0.113.77': ['tor-lookalike'], '203.0.113.99': ['feed'] },
    });
    const tor = findings.find((f) => f.type === TOR)!;
    expect(tor.service.additionalInfo.threatListName).toBe('exit-nodes');
    expect(tor.service.count).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('IP lists without a category: a tor* name still makes a Tor list (fallback), announced as a warning', async () => {
    const { configPath, logs } = workspace(
      'threatLists: [ "tor-exit-nodes=exits.txt", { name: exit-nodes, path: other.txt } ]\n',
      { 'exits.txt': '203.0.113.66\n', 'other.txt': '203.0.113.67\n' },
      [...connections('203.0.113.66'), ...connections('203.0.113.67')],
      [],
    );
    const { findings, warnings } = await detect(configPath, logs);
    expect(byType(findings)).toEqual({ [TOR]: { '203.0.113.66': ['tor-exit-nodes'] }, [CUSTOM]: { '203.0.113.67': ['exit-nodes'] } });
    expect(warnings).toEqual([expect.stringMatching(/^threat list "tor-exit-nodes" has no category: taken as tor by its name/)]);
  });

  it('domain lists: c2 and mining feed C&C and BitcoinTool, not MaliciousDomainRequest.Custom; threat beats a c2* name', async () => {
    const { configPath, logs } = workspace(
      `threatDomainLists:
  - { name: bad-resolvers, path: c2.txt, category: c2 }
  - { name: pools, path: pools.txt, category: mining }
  - { name: c2-lookalike, path: lookalike.txt, category: threat }
  - { name: crypto-legacy, path: legacy.txt }
`,
      { 'c2.txt': 'beacon.example\n', 'pools.txt': 'pool.example\n', 'lookalike.txt': 'phish.example\n', 'legacy.txt': 'oldpool.example\n' },
      [],
      [query('x.beacon.example'), query('eu.pool.example'), query('phish.example'), query('oldpool.example')],
    );
    const { findings, warnings } = await detect(configPath, logs);
    expect(byType(findings)).toEqual({
      [C2]: { 'x.beacon.example': ['bad-resolvers'] },
      [MINING]: { 'eu.pool.example': ['pools'], 'oldpool.example': ['crypto-legacy'] },
      [DOMAIN]: { 'phish.example': ['c2-lookalike'] },
    });
    expect(findings.find((f) => f.type === C2)!.service.additionalInfo.threatListName).toBe('bad-resolvers');
    expect(warnings).toEqual([expect.stringMatching(/^domain list "crypto-legacy" has no category: taken as mining by its name/)]);
  });
});

describe('threat list categories in the configuration: validated, errors with their path', () => {
  const issues = (doc: unknown): string[] => {
    try {
      validateConfig(doc, 'test.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message.split('\n').slice(1);
    }
    throw new Error('expected a ConfigError');
  };

  it('names the path of a category that is not the list kind’s, misspelt, or not a string', () => {
    expect(
      issues({
        threatLists: [{ name: 'a', path: 'a.txt', category: 'c2' }, 'b.txt', { name: 'c', path: 'c.txt', category: 'Tor' }],
        threatDomainLists: [
          { name: 'd', path: 'd.txt', category: 'tor' },
          { name: 'e', path: 'e.txt', category: 7 },
        ],
      }),
    ).toEqual([
      '  - threatLists.0.category: "c2" is not a category of this list (one of threat, tor)',
      '  - threatLists.2.category: "Tor" is not a category of this list (one of threat, tor)',
      '  - threatDomainLists.0.category: "tor" is not a category of this list (one of threat, c2, mining)',
      '  - threatDomainLists.1.category: 7 is not a category of this list (one of threat, c2, mining)',
    ]);
  });

  it('accepts every category of each kind, and keeps it through loadConfig (paths made absolute)', async () => {
    const dir = tempDir();
    const path = join(dir, 'c.yaml');
    writeFileSync(
      path,
      `threatLists:
  - { name: t, path: t.txt, category: threat }
  - { name: n, path: n.txt, category: tor, format: TXT }
threatDomainLists:
  - { name: a, path: a.txt, category: threat }
  - { name: b, path: b.txt, category: c2 }
  - { name: c, path: c.txt, category: mining }
  - d.txt
`,
    );
    const config = await loadConfig(path);
    expect(config.threatLists).toEqual([
      { name: 't', path: join(dir, 't.txt'), category: 'threat' },
      { name: 'n', path: join(dir, 'n.txt'), category: 'tor', format: 'TXT' },
    ]);
    expect(config.threatDomainLists.map((l) => (typeof l === 'string' ? l : l.category))).toEqual(['threat', 'c2', 'mining', join(dir, 'd.txt')]);
  });
});
