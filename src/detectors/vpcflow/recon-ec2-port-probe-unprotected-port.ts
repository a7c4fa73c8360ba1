import { type PortProbeDetail, SEVERITY } from '../../core/finding.js';
import { formatIp, type Ip } from '../../core/ip.js';
import { threatEvidence } from '../common.js';
import { flowHitBase, flowInstance, flowSides, instanceResource, instanceText, portDetails, protocolName } from '../network-common.js';
import type { FlowDetector, Hit } from '../types.js';
import { ipKey, isAttempt, SCAN_MAX_TRACKED } from './recon-ec2-portscan.js';

/**
 * Recon:EC2/PortProbeUnprotectedPort: a port of an instance is not blocked (security group, network ACL) and a known
 * scanner is probing it. GuardDuty uses its own intelligence of internet scanners; Trailhound uses the configured
 * threat lists.
 *
 * - **Probe**: an inbound TCP or UDP flow, accepted (`ACCEPT`: the port is unprotected), from an address on a threat
 *   list, that opens a connection (`isAttempt` of the Portscan detector: not the answer to a connection the instance
 *   made, which `UnauthorizedAccess:EC2/MaliciousIPCaller.Custom` reports). The instance is the destination:
 *   `flow-direction` `ingress` when logged, else the side that is not the listed address.
 * - **Severity**: Low; High when the port is Elasticsearch's (`PORT_PROBE_HIGH_PORTS`: 9200, 9300).
 * - **No window or threshold**: one probe is enough. **Aggregation**: one finding per instance (or network interface
 *   when the instance is unknown) and local port; `count` is the number of probe records. `portProbeAction` lists the
 *   distinct probers seen so far (at most `PORT_PROBE_MAX_DETAILS`), the latest last.
 * - **Memory**: the probers of at most `SCAN_MAX_TRACKED` (instance, port) pairs; when full, the oldest pair is
 *   evicted (counted) and its list starts again.
 */
export const PORT_PROBE_HIGH_PORTS: ReadonlySet<number> = new Set([9200, 9300]);
export const PORT_PROBE_MAX_DETAILS = 10;

function ipDetails(ip: Ip): { ipAddressV4: string } | { ipAddressV6: string } {
  return ip.v === 4 ? { ipAddressV4: formatIp(ip) } : { ipAddressV6: formatIp(ip) };
}

export interface PortProbeState {
  /** (instance, port) -> prober address -> its latest probe. */
  probers: Map<string, Map<string, PortProbeDetail>>;
  evicted: number;
  max: number;
}

/** A fresh state; the cap can be lowered (tests). */
export function portProbeState(max = SCAN_MAX_TRACKED): PortProbeState {
  return { probers: new Map(), evicted: 0, max };
}

const T0 = 1615225690;
const INSTANCE = '10.0.0.12';
const SCANNER = '203.0.113.10';
const THREAT = ['203.0.113.0/28'];
const INVENTORY = { interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' } };
const HEADER_V5 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction';

/** A version-2 line (version 5 with `flow-direction` after the header above); `t` is seconds after T0. */
const line = (o: { src: string; dst: string; sport: number; dport: number; t?: number; proto?: number; action?: string; dir?: string }) =>
  `${o.dir ? 5 : 2} 111122223333 eni-0123456789abcdef0 ${o.src} ${o.dst} ${o.sport} ${o.dport} ${o.proto ?? 6} 1 44 ${T0 + (o.t ?? 0) - 10} ${T0 + (o.t ?? 0)} ${o.action ?? 'ACCEPT'} OK${o.dir ? ` ${o.dir}` : ''}`;

export const detector: FlowDetector<PortProbeState> = {
  meta: {
    id: 'recon-ec2-port-probe-unprotected-port',
    findingType: 'Recon:EC2/PortProbeUnprotectedPort',
    severity: SEVERITY.Low,
    dataSource: 'VPC Flow Logs',
    summary: 'A port of an EC2 instance is not blocked and an address on a threat list is probing it (High for Elasticsearch ports 9200 and 9300).',
    aggregation: 'instance (or network interface when the instance is unknown) + local port',
  },

  createState: () => portProbeState(),

  evaluate(r, ctx, state): Hit | undefined {
    if (r.action !== 'ACCEPT' || !r.srcaddr || r.flowDirection === 'egress' || !isAttempt(r)) return undefined;
    const lists = ctx.intel.threat(r.srcaddr);
    if (!lists) return undefined;
    const sides = flowSides(r, false);
    if (!sides) return undefined;
    const instanceId = flowInstance(r, ctx);
    const owner = instanceId ?? r.interfaceId;
    const port = r.dstport as number;
    const remote = formatIp(sides.remote);

    const key = `${owner}|${port}`;
    let probers = state.probers.get(key);
    if (!probers) {
      if (state.probers.size >= state.max) {
        state.probers.delete(state.probers.keys().next().value as string);
        state.evicted++;
      }
      probers = new Map();
      state.probers.set(key, probers);
    }
    // Insertion order is the order of the latest probe of each address: a repeated prober moves last, and past the
    // cap the one not seen for longest leaves.
    const rk = ipKey(sides.remote);
    probers.delete(rk);
    if (probers.size >= PORT_PROBE_MAX_DETAILS) probers.delete(probers.keys().next().value as string);
    probers.set(rk, {
      localPortDetails: portDetails(port),
      localIpDetails: ipDetails(sides.local),
      remoteIpDetails: ipDetails(sides.remote),
    });

    const who = instanceText(r, instanceId);
    const evidence = threatEvidence(lists);
    const listText = lists.join(', ');
    const protocol = protocolName(r.protocol);
    return {
      type: this.meta.findingType,
      severity: PORT_PROBE_HIGH_PORTS.has(port) ? SEVERITY.High : SEVERITY.Low,
      ...flowHitBase(r),
      key: [owner, String(port)],
      resource: instanceResource(r, instanceId, sides.local),
      action: { actionType: 'PORT_PROBE', portProbeAction: { blocked: false, portProbeDetails: [...probers.values()] } },
      resourceRole: 'TARGET',
      ...evidence,
      additionalInfo: { ...evidence.additionalInfo, ...who.note, protocol },
      title: `Unprotected port on ${who.name.replace(/^The /, 'the ')} is being probed.`,
      description: `${who.name} has an unprotected port ${port} (${protocol}) which is being probed by ${remote}, on the threat list ${listText}.`,
    };
  },

  stats: (state) => ({ trackedPorts: state.probers.size, evictedPorts: state.evicted }),

  cases: [
    {
      name: 'a listed scanner reaches port 22 of the instance: one finding (Low)',
      lines: [line({ src: SCANNER, dst: INSTANCE, sport: 51515, dport: 22 })],
      threatList: THREAT,
      settings: INVENTORY,
      expect: 1,
    },
    {
      name: 'Elasticsearch port 9200 probed: one finding (High)',
      lines: [line({ src: SCANNER, dst: INSTANCE, sport: 51515, dport: 9200 })],
      threatList: THREAT,
      settings: INVENTORY,
      expect: 1,
    },
    {
      name: 'two scanners on ports 22, 9200 and 9300: one finding per port',
      lines: [22, 9200, 9300, 22, 9200].map((dport, i) => line({ src: `203.0.113.${10 + (i % 2)}`, dst: INSTANCE, sport: 51515 + i, dport, t: i })),
      threatList: THREAT,
      expect: 3,
    },
    {
      name: 'flow-direction ingress, UDP',
      lines: [HEADER_V5, line({ src: SCANNER, dst: INSTANCE, sport: 51515, dport: 161, proto: 17, dir: 'ingress' })],
      threatList: THREAT,
      expect: 1,
    },
    {
      name: 'the probe was rejected: the port is protected',
      lines: [line({ src: SCANNER, dst: INSTANCE, sport: 51515, dport: 9200, action: 'REJECT' })],
      threatList: THREAT,
      expect: 0,
    },
    {
      name: 'the prober is on no list',
      lines: [line({ src: '198.51.100.7', dst: INSTANCE, sport: 51515, dport: 22 })],
      threatList: THREAT,
      expect: 0,
    },
    {
      name: 'outbound: the instance connects to a listed address (MaliciousIPCaller.Custom, not a probe)',
      lines: [line({ src: INSTANCE, dst: SCANNER, sport: 51515, dport: 22 })],
      threatList: THREAT,
      expect: 0,
    },
    {
      name: "the listed address answers the instance's own connection (to a client port)",
      lines: [line({ src: SCANNER, dst: INSTANCE, sport: 443, dport: 51515 })],
      threatList: THREAT,
      expect: 0,
    },
    {
      name: 'the listed scanner is also trusted',
      lines: [line({ src: SCANNER, dst: INSTANCE, sport: 51515, dport: 9200 })],
      threatList: THREAT,
      trustedList: [SCANNER],
      expect: 0,
    },
  ],
};
