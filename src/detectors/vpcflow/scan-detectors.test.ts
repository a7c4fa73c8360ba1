import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLogCase, testContext } from '../../../test/helpers.js';
import { schemaErrors } from '../../../test/schema.js';
import type { Finding } from '../../core/finding.js';
import { parseIp } from '../../core/ip.js';
import type { FlowRecord } from '../../core/network.js';
import type { FlowDetector, LogCase } from '../types.js';
import { PORTSWEEP_THRESHOLD, portSweepState, detector as sweep } from './impact-ec2-port-sweep.js';
import { portProbeState, detector as probe } from './recon-ec2-port-probe-unprotected-port.js';
import { isAttempt, PORTSCAN_THRESHOLD, PORTSCAN_WINDOW_MS, detector as portscan, portscanState } from './recon-ec2-portscan.js';

const DETECTORS: FlowDetector<any>[] = [portscan, sweep, probe];

async function run(detector: FlowDetector<any>, c: LogCase): Promise<Finding[]> {
  const result = await detectLogCase(detector, c, 'vpcflow');
  expect(result.rejected.map((e) => e.message)).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return result.findings.filter((f) => f.type === detector.meta.findingType);
}

function caseNamed(detector: FlowDetector<any>, start: string): LogCase {
  const c = detector.cases.find((x) => x.name.startsWith(start));
  if (!c) throw new Error(`no case of ${detector.meta.id} starts with ${start}`);
  return c;
}

describe.each(DETECTORS.map((d) => [d.meta.id, d] as const))('%s', (id, detector) => {
  it('is stateful, has positive and negative cases, and an id that is its file name', () => {
    expect(detector.createState).toBeTypeOf('function');
    expect(detector.stats).toBeTypeOf('function');
    expect(detector.cases.some((c) => c.expect > 0)).toBe(true);
    expect(detector.cases.some((c) => c.expect === 0)).toBe(true);
    expect(existsSync(join(import.meta.dirname, `${id}.ts`))).toBe(true);
  });

  it.each(detector.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await run(detector, c)).toHaveLength(c.expect);
  });
});

describe('Recon:EC2/Portscan', () => {
  it('fires at the threshold: Medium, outbound, actor, count = the attempts, the inventory names the instance', async () => {
    const [f] = await run(portscan, portscan.cases[0] as LogCase);
    expect(f?.severity).toBe(5);
    expect(f?.service.count).toBe(PORTSCAN_THRESHOLD);
    expect(f?.service.resourceRole).toBe('ACTOR');
    expect(f?.service.action.actionType).toBe('NETWORK_CONNECTION');
    expect(f?.service.action.networkConnectionAction?.connectionDirection).toBe('OUTBOUND');
    expect(f?.service.action.networkConnectionAction?.remoteIpDetails?.ipAddressV4).toBe('198.51.100.7');
    expect(f?.service.action.networkConnectionAction?.localIpDetails?.ipAddressV4).toBe('10.0.0.12');
    expect(f?.service.action.networkConnectionAction?.remotePortDetails?.port).toBe(PORTSCAN_THRESHOLD);
    expect(f?.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    expect(f?.service.additionalInfo.instanceResolution).toBeUndefined();
    expect(f?.service.additionalInfo.scannedPorts).toBe(PORTSCAN_THRESHOLD);
    expect(f?.title).toBe('Outbound portscan from EC2 instance i-0fedcba9876543210.');
    // Event time, not processing time: the first and last attempts of the window.
    expect(f?.service.eventFirstSeen).toBe('2021-03-08T17:48:10.000Z');
    expect(f?.service.eventLastSeen).toBe('2021-03-08T17:52:10.000Z');
  });

  it('keeps counting after the threshold; without an inventory the interface stands for the instance', async () => {
    const [f] = await run(portscan, portscan.cases[1] as LogCase);
    expect(f?.service.count).toBe(PORTSCAN_THRESHOLD + 5);
    expect(f?.resource.instanceDetails?.instanceId).toBe('');
    expect(f?.service.additionalInfo.instanceResolution).toMatch(/^unresolved/);
    expect((f?.resource.instanceDetails?.networkInterfaces as Array<{ networkInterfaceId: string }> | undefined)?.[0]?.networkInterfaceId).toBe(
      'eni-0123456789abcdef0',
    );
  });

  it('takes the instance from the interface inventory for the same lines', async () => {
    const [f] = await run(portscan, { ...(portscan.cases[1] as LogCase), settings: { interfaces: { 'eni-0123456789abcdef0': 'i-0aaaabbbbccccdddd' } } });
    expect(f?.resource.instanceDetails?.instanceId).toBe('i-0aaaabbbbccccdddd');
  });

  it('an IPv6 scan with flow-direction egress', async () => {
    const [f] = await run(portscan, caseNamed(portscan, 'flow-direction egress'));
    expect(f?.service.action.networkConnectionAction?.remoteIpDetails?.ipAddressV6).toBe('2001:db8:ffff::7');
  });
});

describe('Impact:EC2/PortSweep', () => {
  it('fires at the threshold: High, outbound, actor, one port', async () => {
    const [f] = await run(sweep, sweep.cases[0] as LogCase);
    expect(f?.severity).toBe(8);
    expect(f?.service.count).toBe(PORTSWEEP_THRESHOLD);
    expect(f?.service.resourceRole).toBe('ACTOR');
    expect(f?.service.action.networkConnectionAction?.connectionDirection).toBe('OUTBOUND');
    expect(f?.service.action.networkConnectionAction?.remotePortDetails).toEqual({ port: 22, portName: 'SSH' });
    expect(f?.service.additionalInfo.probedHosts).toBe(PORTSWEEP_THRESHOLD);
    expect(f?.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
  });

  it('keeps counting after the threshold; without an inventory the instance is unresolved', async () => {
    const [f] = await run(sweep, sweep.cases[1] as LogCase);
    expect(f?.service.count).toBe(PORTSWEEP_THRESHOLD + 5);
    expect(f?.resource.instanceDetails?.instanceId).toBe('');
    expect(f?.service.additionalInfo.instanceResolution).toMatch(/^unresolved/);
  });
});

describe('Recon:EC2/PortProbeUnprotectedPort', () => {
  it('Low for port 22: inbound, target, PORT_PROBE with the prober, threat evidence', async () => {
    const [f] = await run(probe, probe.cases[0] as LogCase);
    expect(f?.severity).toBe(2);
    expect(f?.service.resourceRole).toBe('TARGET');
    expect(f?.service.action.actionType).toBe('PORT_PROBE');
    expect(f?.service.action.portProbeAction).toEqual({
      blocked: false,
      portProbeDetails: [
        { localPortDetails: { port: 22, portName: 'SSH' }, localIpDetails: { ipAddressV4: '10.0.0.12' }, remoteIpDetails: { ipAddressV4: '203.0.113.10' } },
      ],
    });
    expect(f?.service.evidence?.threatIntelligenceDetails[0]?.threatListName).toBe('test-threats');
    expect(f?.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    expect(f?.title).toBe('Unprotected port on EC2 instance i-0fedcba9876543210 is being probed.');
  });

  it('High for Elasticsearch (9200)', async () => {
    const [f] = await run(probe, caseNamed(probe, 'Elasticsearch port 9200'));
    expect(f?.severity).toBe(8);
    expect(f?.service.action.portProbeAction?.portProbeDetails[0]?.localPortDetails).toEqual({ port: 9200, portName: 'ELASTICSEARCH' });
  });

  it('one finding per port, with every prober, severity by port; the interface stands in without an inventory', async () => {
    const found = await run(probe, caseNamed(probe, 'two scanners'));
    const byPort = new Map(found.map((f) => [f.service.action.portProbeAction?.portProbeDetails[0]?.localPortDetails?.port, f]));
    expect(byPort.get(22)?.severity).toBe(2);
    expect(byPort.get(9200)?.severity).toBe(8);
    expect(byPort.get(9300)?.severity).toBe(8);
    expect(byPort.get(22)?.service.count).toBe(2);
    expect(byPort.get(22)?.service.action.portProbeAction?.portProbeDetails.map((d) => d.remoteIpDetails?.ipAddressV4)).toEqual([
      '203.0.113.10',
      '203.0.113.11',
    ]);
    expect(byPort.get(22)?.resource.instanceDetails?.instanceId).toBe('');
    expect(byPort.get(22)?.service.additionalInfo.instanceResolution).toMatch(/^unresolved/);
  });
});

/** A flow record as the parser makes it (version 2 fields, plus what is given). */
function rec(o: Partial<FlowRecord> & { src: string; dst: string; sport: number; dport: number; t: number }): FlowRecord {
  const { src, dst, sport, dport, t, ...rest } = o;
  return {
    kind: 'flow',
    id: `${src}|${dst}|${sport}|${dport}|${t}`,
    time: t,
    start: t - 10_000,
    end: t,
    version: 2,
    account: '111122223333',
    region: 'us-west-2',
    interfaceId: 'eni-0123456789abcdef0',
    instanceId: undefined,
    vpcId: undefined,
    subnetId: undefined,
    srcaddr: parseIp(src),
    dstaddr: parseIp(dst),
    srcText: src,
    dstText: dst,
    pktSrcaddr: undefined,
    pktDstaddr: undefined,
    srcport: sport,
    dstport: dport,
    protocol: 6,
    packets: 1,
    bytes: 44,
    action: 'ACCEPT',
    logStatus: 'OK',
    flowDirection: undefined,
    tcpFlags: undefined,
    trafficType: undefined,
    pktSrcAwsService: undefined,
    pktDstAwsService: undefined,
    origin: 'test:1',
    ...rest,
  };
}

describe('attempts, windows and memory', () => {
  it('TCP flags decide when logged: SYN opens, SYN-ACK and continuations do not', () => {
    const base = { src: '10.0.0.12', dst: '198.51.100.7', sport: 443, dport: 50000, t: 0 };
    expect(isAttempt(rec({ ...base, tcpFlags: 2 }))).toBe(true);
    expect(isAttempt(rec({ ...base, tcpFlags: 3 }))).toBe(true);
    expect(isAttempt(rec({ ...base, tcpFlags: 18 }))).toBe(false);
    expect(isAttempt(rec({ ...base, tcpFlags: 19 }))).toBe(false);
    expect(isAttempt(rec({ ...base, tcpFlags: 1 }))).toBe(false);
    // Without flags, a service port answering a client port is a reply.
    expect(isAttempt(rec(base))).toBe(false);
    expect(isAttempt(rec({ ...base, sport: 50000, dport: 443 }))).toBe(true);
    expect(isAttempt(rec({ ...base, protocol: 1 }))).toBe(false);
  });

  it('uses event time: a burst late in the log is a scan whatever the clock says; late records are counted', async () => {
    const ctx = await testContext();
    const state = portscanState();
    const day = Date.parse('2020-01-01T00:00:00Z');
    const hits = [];
    for (let i = 0; i < PORTSCAN_THRESHOLD; i++) {
      const h = portscan.evaluate(rec({ src: '10.0.0.12', dst: '198.51.100.7', sport: 40000 + i, dport: 1 + i, t: day + i * 1000 }), ctx, state);
      if (h) hits.push(h);
    }
    expect(hits).toHaveLength(1);
    // A record from long before the open window is dropped and counted.
    expect(
      portscan.evaluate(rec({ src: '10.0.0.12', dst: '198.51.100.7', sport: 1, dport: 999, t: day - 2 * PORTSCAN_WINDOW_MS }), ctx, state),
    ).toBeUndefined();
    expect(portscan.stats?.(state)).toMatchObject({ thresholdCrossings: 1, lateRecords: 1, evictedWindows: 0 });
  });

  it('bounds the windows: the oldest is evicted and counted, expired ones are dropped', async () => {
    const ctx = await testContext();
    const state = portscanState(3);
    for (let h = 1; h <= 5; h++) portscan.evaluate(rec({ src: '10.0.0.12', dst: `198.51.100.${h}`, sport: 40000, dport: 80, t: h * 1000 }), ctx, state);
    expect(portscan.stats?.(state)).toMatchObject({ openWindows: 3, evictedWindows: 2 });
    // Much later: the old windows expire instead of being evicted.
    portscan.evaluate(rec({ src: '10.0.0.12', dst: '198.51.100.9', sport: 40000, dport: 80, t: 10 * PORTSCAN_WINDOW_MS }), ctx, state);
    expect(portscan.stats?.(state)).toMatchObject({ evictedWindows: 2 });
    expect(portscan.stats?.(state)?.openWindows).toBeLessThanOrEqual(2);

    const sweepState = portSweepState(2);
    for (let p = 1; p <= 4; p++) sweep.evaluate(rec({ src: '10.0.0.12', dst: '198.51.100.1', sport: 40000, dport: p, t: p * 1000 }), ctx, sweepState);
    expect(sweep.stats?.(sweepState)).toMatchObject({ openWindows: 2, evictedWindows: 2 });
  });

  it('bounds the probed ports and the probers listed per port', async () => {
    const ctx = await testContext({ threatList: ['203.0.113.0/24'] });
    const state = portProbeState(2);
    for (let p = 1; p <= 3; p++) probe.evaluate(rec({ src: '203.0.113.10', dst: '10.0.0.12', sport: 51515, dport: p, t: p * 1000 }), ctx, state);
    expect(probe.stats?.(state)).toEqual({ trackedPorts: 2, evictedPorts: 1 });
    let last: ReturnType<typeof probe.evaluate>;
    for (let i = 1; i <= 15; i++) last = probe.evaluate(rec({ src: `203.0.113.${i}`, dst: '10.0.0.12', sport: 51515, dport: 22, t: i * 1000 }), ctx, state);
    const details = (last as { action: { portProbeAction: { portProbeDetails: Array<{ remoteIpDetails: { ipAddressV4: string } }> } } }).action.portProbeAction
      .portProbeDetails;
    expect(details).toHaveLength(10);
    expect(details.at(-1)?.remoteIpDetails.ipAddressV4).toBe('203.0.113.15');
    expect(details[0]?.remoteIpDetails.ipAddressV4).toBe('203.0.113.6');
  });
});
