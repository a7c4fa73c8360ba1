import { describe, expect, it } from 'vitest';
import { detectLogCase } from '../../../test/helpers.js';
import { schemaErrors } from '../../../test/schema.js';
import { parseIp } from '../../core/ip.js';
import type { DetectResult } from '../../pipeline/detect.js';
import type { FlowDetector, LogCase } from '../types.js';
import { detector as spambot } from './backdoor-ec2-spambot.js';
import { attemptLines, BRUTE_FORCE_THRESHOLD, BRUTE_FORCE_WINDOW_MS } from './brute-force.js';
import { detector as rdp } from './unauthorized-access-ec2-rdp-brute-force.js';
import { detector as ssh } from './unauthorized-access-ec2-ssh-brute-force.js';
import { type TorCase, detector as tor } from './unauthorized-access-ec2-tor-client.js';

const DETECTORS: FlowDetector<any>[] = [ssh, rdp, spambot, tor];

/** Runs a case through `detectLogCase` (the S3 layout, the detector alone). */
function run(detector: FlowDetector<any>, c: TorCase): Promise<DetectResult> {
  return detectLogCase(detector, c, 'vpcflow');
}

async function findingsOf(detector: FlowDetector<any>, c: TorCase) {
  const result = await run(detector, c);
  expect(result.rejected.map((e) => e.message)).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return result.findings.filter((f) => f.type === detector.meta.findingType);
}

const caseNamed = (d: FlowDetector<any>, prefix: string): TorCase => {
  const c = d.cases.find((x) => x.name.startsWith(prefix));
  if (!c) throw new Error(`${d.meta.id}: no case starting with ${prefix}`);
  return c;
};

describe.each(DETECTORS.map((d) => [d.meta.id, d] as const))('%s', (id, detector) => {
  it('is named after its file, with positive and negative cases', () => {
    expect(id).toMatch(/^[a-z0-9-]+$/);
    expect(detector.cases.some((c) => c.expect > 0)).toBe(true);
    expect(detector.cases.some((c) => c.expect === 0)).toBe(true);
    expect(detector.createState).toBeTypeOf('function');
    expect(detector.stats).toBeTypeOf('function');
  });

  it.each(detector.cases.map((c: LogCase) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await findingsOf(detector, c)).toHaveLength(c.expect);
  });
});

describe.each([
  ['SSHBruteForce', ssh, 22, 'SSH'],
  ['RDPBruteForce', rdp, 3389, 'RDP'],
] as const)('%s', (_type, detector, port, portName) => {
  it('inbound: the instance is the TARGET, severity Low, the local port is the service, count = attempts', async () => {
    const [f] = await findingsOf(detector, caseNamed(detector, 'inbound: 20 rejected'));
    expect(f!.severity).toBe(2);
    expect(f!.service.resourceRole).toBe('TARGET');
    expect(f!.service.count).toBe(BRUTE_FORCE_THRESHOLD);
    expect(f!.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    const a = f!.service.action.networkConnectionAction!;
    expect(a.connectionDirection).toBe('INBOUND');
    expect(a.protocol).toBe('TCP');
    expect(a.blocked).toBe(true);
    expect(a.localPortDetails).toEqual({ port, portName });
    expect(a.remoteIpDetails).toEqual({ ipAddressV4: '203.0.113.50' });
    expect(f!.title).toBe(`203.0.113.50 is performing ${portName} brute force attacks against i-0fedcba9876543210.`);
    // Event times: the first attempt and the one that crossed the threshold (19 x 30 s later).
    expect(Date.parse(f!.service.eventLastSeen) - Date.parse(f!.service.eventFirstSeen)).toBe(19 * 30_000);
  });

  it('outbound: the instance is the ACTOR, severity High, the remote port is the service', async () => {
    const [f] = await findingsOf(detector, caseNamed(detector, 'outbound:'));
    expect(f!.severity).toBe(8);
    expect(f!.service.resourceRole).toBe('ACTOR');
    const a = f!.service.action.networkConnectionAction!;
    expect(a.connectionDirection).toBe('OUTBOUND');
    expect(a.blocked).toBe(false);
    expect(a.remotePortDetails).toEqual({ port, portName });
    expect(a.localIpDetails).toEqual({ ipAddressV4: '10.0.0.12' });
  });

  it('every attempt past the threshold counts into the one finding', async () => {
    const [f] = await findingsOf(detector, caseNamed(detector, 'inbound: 60 accepted'));
    expect(f!.service.count).toBe(60);
  });

  it('one finding per direction and remote address', async () => {
    const lines = [
      ...attemptLines({ n: 25, stepSeconds: 10, src: '203.0.113.50', dst: '10.0.0.12', port }),
      ...attemptLines({ n: 25, stepSeconds: 10, src: '203.0.113.51', dst: '10.0.0.12', port }),
      ...attemptLines({ n: 25, stepSeconds: 10, src: '10.0.0.12', dst: '198.51.100.7', port }),
    ];
    const found = await findingsOf(detector, { name: 'three keys', lines, expect: 3 });
    expect(found.map((f) => [f.service.resourceRole, f.severity, f.service.count]).sort()).toEqual([
      ['ACTOR', 8, 25],
      ['TARGET', 2, 25],
      ['TARGET', 2, 25],
    ]);
  });

  it('a burst after a quiet window must reach the threshold again', async () => {
    const lines = [
      ...attemptLines({ n: 20, stepSeconds: 10, src: '203.0.113.50', dst: '10.0.0.12', port }),
      // 11 minutes later: 19 more attempts, under the threshold on their own.
      ...attemptLines({ n: 19, stepSeconds: 10, src: '203.0.113.50', dst: '10.0.0.12', port, start: 1615225630 + 190 + BRUTE_FORCE_WINDOW_MS / 1000 + 60 }),
    ];
    const [f] = await findingsOf(detector, { name: 'two bursts', lines, expect: 1 });
    expect(f!.service.count).toBe(20);
  });

  it('records out of order within the window still count', async () => {
    const lines = attemptLines({ n: 20, stepSeconds: 25, src: '203.0.113.50', dst: '10.0.0.12', port }).reverse();
    expect(await findingsOf(detector, { name: 'reversed', lines, expect: 1 })).toHaveLength(1);
  });

  it('state is bounded: quiet keys expire and statistics count them', () => {
    const ctx = { settings: { interfaces: {} } } as any;
    const s = detector.createState!(ctx);
    const recs = [0, 1, 2].map((i) => ({
      kind: 'flow',
      id: `r${i}`,
      time: i * (BRUTE_FORCE_WINDOW_MS + 1),
      end: i * (BRUTE_FORCE_WINDOW_MS + 1),
      interfaceId: 'eni-1',
      srcaddr: { v: 4, n: (203 << 24) + i },
      dstaddr: { v: 4, n: (10 << 24) + 12 },
      dstport: port,
      srcport: 40000,
      protocol: 6,
      packets: 3,
    }));
    for (const r of recs) detector.evaluate(r as any, ctx, s);
    expect(detector.stats!(s)).toMatchObject({ attempts: 3, expiredKeys: 2, trackedKeys: 1 });
  });
});

describe('Backdoor:EC2/Spambot', () => {
  it('Medium, the instance as ACTOR to a remote port 25; count = SMTP connections once over the threshold', async () => {
    const [f] = await findingsOf(spambot, caseNamed(spambot, '10 distinct hosts'));
    expect(f!.severity).toBe(5);
    expect(f!.service.resourceRole).toBe('ACTOR');
    // 28 when the 10th host is reached (9 hosts x 3 connections + 1), then one for each further connection.
    expect(f!.service.count).toBe(30);
    expect(f!.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    const a = f!.service.action.networkConnectionAction!;
    expect(a.connectionDirection).toBe('OUTBOUND');
    expect(a.remotePortDetails).toEqual({ port: 25, portName: 'SMTP' });
    // The latest connection's details (the 10th host's third).
    expect(a.remoteIpDetails).toEqual({ ipAddressV4: '198.51.100.10' });
  });

  it('connections after the threshold count one each; blocked when rejected', async () => {
    const [f] = await findingsOf(spambot, caseNamed(spambot, '40 hosts'));
    expect(f!.service.count).toBe(40);
    expect(f!.service.action.networkConnectionAction!.blocked).toBe(true);
  });
});

describe('UnauthorizedAccess:EC2/TorClient', () => {
  it('High, ACTOR, outbound to the node, with the Tor list as threat evidence; count = client flow records', async () => {
    const [f] = await findingsOf(tor, caseNamed(tor, 'the instance connects'));
    expect(f!.severity).toBe(8);
    expect(f!.service.resourceRole).toBe('ACTOR');
    expect(f!.service.count).toBe(12);
    const a = f!.service.action.networkConnectionAction!;
    expect(a.connectionDirection).toBe('OUTBOUND');
    expect(a.remoteIpDetails).toEqual({ ipAddressV4: '203.0.113.66' });
    expect(a.remotePortDetails?.port).toBe(9001);
    expect(f!.service.evidence?.threatIntelligenceDetails?.map((t) => t.threatListName)).toEqual(['tor-exit-nodes']);
  });

  it('takes a list as the Tor list by its name (case-insensitive prefix "tor")', async () => {
    const { isTorListName } = await import('./unauthorized-access-ec2-tor-client.js');
    expect(['tor', 'Tor', 'TOR-guards', 'tor-exit-nodes'].every(isTorListName)).toBe(true);
    expect(['test-threats', 'my-tor', 'abuse'].some(isTorListName)).toBe(false);
  });

  it('counts no Tor list in its statistics when none is configured', async () => {
    const { testContext } = await import('../../../test/helpers.js');
    const ctx = await testContext({ threatList: ['203.0.113.66'] });
    expect(tor.stats!(tor.createState!(ctx))).toMatchObject({ torListsConfigured: 0 });
  });
  it('takes the lists of category tor whatever their names, and not a tor* list of category threat', async () => {
    const { list, testContext } = await import('../../../test/helpers.js');
    const { Intel } = await import('../../intel/intel.js');
    const base = await testContext();
    const ctx = {
      ...base,
      intel: new Intel(base.intel.awsRanges, [
        { ...list('exit-nodes', ['203.0.113.66']), category: 'tor' },
        { ...list('tor-lookalike', ['203.0.113.67']), category: 'threat' },
      ]),
    };
    const state = tor.createState!(ctx);
    expect(tor.stats!(state)).toMatchObject({ torListsConfigured: 1 });
    const flow = (dst: string) =>
      ({
        id: dst,
        account: '111122223333',
        region: 'us-west-2',
        time: 1,
        interfaceId: 'eni-1',
        srcaddr: parseIp('10.0.0.12'),
        dstaddr: parseIp(dst),
        srcport: 41000,
        dstport: 9001,
        protocol: 6,
        action: 'ACCEPT',
      }) as never;
    expect(tor.evaluate(flow('203.0.113.66'), ctx, state)).toMatchObject({ type: 'UnauthorizedAccess:EC2/TorClient', threatListNames: ['exit-nodes'] });
    expect(tor.evaluate(flow('203.0.113.67'), ctx, state)).toBeUndefined();
  });

  it('uses the lists in force: a Tor list added after the state was made (an upload in serve) is used at once', async () => {
    const { list, testContext } = await import('../../../test/helpers.js');
    const { Intel } = await import('../../intel/intel.js');
    const ctx = await testContext();
    const state = tor.createState!(ctx);
    ctx.intel = new Intel(ctx.intel.awsRanges, [{ ...list('nodes', ['203.0.113.66']), category: 'tor' }]);
    const flow = {
      id: 'x',
      account: '111122223333',
      region: 'us-west-2',
      time: 1,
      interfaceId: 'eni-1',
      srcaddr: parseIp('10.0.0.12'),
      dstaddr: parseIp('203.0.113.66'),
      srcport: 41000,
      dstport: 9001,
      protocol: 6,
      action: 'ACCEPT',
    } as never;
    expect(tor.evaluate(flow, ctx, state)).toMatchObject({ threatListNames: ['nodes'] });
  });
});
