import { SEVERITY } from '../../core/finding.js';
import { formatIp, isNonPublic } from '../../core/ip.js';
import { flowHitBase, flowInstance, flowSides, instanceResource, instanceText, networkConnectionAction, protocolName } from '../network-common.js';
import type { FlowDetector, Hit } from '../types.js';
import { ipKey, isAttempt, SCAN_MAX_DISTINCT, SCAN_MAX_TRACKED, sourceIsLocal, WindowCounter } from './recon-ec2-portscan.js';

/**
 * Impact:EC2/PortSweep: an instance probes one port on many publicly routable addresses in a short time (looking for
 * vulnerable hosts).
 *
 * - **Probe**: an outbound TCP or UDP flow that opens a connection (`isAttempt` of the Portscan detector: not an answer
 *   from a service port) to a public address, and that is probe-shaped: rejected, or at most `SWEEP_PROBE_MAX_PACKETS`
 *   packets (a SYN and its retries, or a half-open handshake). A completed connection that carries data is ordinary
 *   client traffic (an instance talks to many HTTPS hosts) and does not count. The instance is the source:
 *   `flow-direction` `egress` when logged, else a non-public source address.
 * - **Window and threshold**: `PORTSWEEP_THRESHOLD` distinct remote hosts probed on the same protocol and port within
 *   `PORTSWEEP_WINDOW_MS`, by event time (the record's `end`); a window starts at the first probe of an (instance,
 *   protocol, port) and closes once a probe would make it span more than the window.
 * - **Aggregation**: one finding per instance (or network interface when the instance is unknown), protocol and
 *   destination port. The probe that reaches the threshold makes the hit, with `count` = the window's probes so far and
 *   `eventFirstSeen` = its first; every later probe in that window adds 1 to `count`.
 * - **Memory**: at most `SCAN_MAX_TRACKED` open windows (expired ones dropped as time advances, the oldest evicted and
 *   counted when full), each holding at most `SCAN_MAX_DISTINCT` hosts.
 */
export const PORTSWEEP_WINDOW_MS = 10 * 60_000;
export const PORTSWEEP_THRESHOLD = 25;
/** Flows of more packets than this, unless rejected, are connections rather than probes. */
export const SWEEP_PROBE_MAX_PACKETS = 3;

/** A fresh state; the cap can be lowered (tests). */
export function portSweepState(maxKeys = SCAN_MAX_TRACKED): WindowCounter {
  return new WindowCounter(PORTSWEEP_WINDOW_MS, PORTSWEEP_THRESHOLD, maxKeys);
}

const T0 = 1615225690;
const INSTANCE = '10.0.0.12';
const INVENTORY = { interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' } };

/** A version-2 line; `t` is seconds after T0. */
const line = (o: { src: string; dst: string; sport: number; dport: number; t?: number; proto?: number; action?: string; packets?: number }) =>
  `2 111122223333 eni-0123456789abcdef0 ${o.src} ${o.dst} ${o.sport} ${o.dport} ${o.proto ?? 6} ${o.packets ?? 1} ${(o.packets ?? 1) * 60} ${T0 + (o.t ?? 0) - 10} ${T0 + (o.t ?? 0)} ${o.action ?? 'ACCEPT'} OK`;

/** Probes of `port` from the instance to `n` hosts of 198.51.100.0/24 (or `net`), `gap` seconds apart. */
const sweep = (n: number, gap: number, o: { port?: number; packets?: number; net?: string; inbound?: boolean; action?: string } = {}) =>
  Array.from({ length: n }, (_, i) => {
    const host = `${o.net ?? '198.51.100'}.${i + 1}`;
    const [src, dst] = o.inbound ? [host, INSTANCE] : [INSTANCE, host];
    return line({
      src,
      dst,
      sport: 40000 + i,
      dport: o.port ?? 22,
      t: i * gap,
      ...(o.packets ? { packets: o.packets } : {}),
      ...(o.action ? { action: o.action } : {}),
    });
  });

export const detector: FlowDetector<WindowCounter> = {
  meta: {
    id: 'impact-ec2-port-sweep',
    findingType: 'Impact:EC2/PortSweep',
    severity: SEVERITY.High,
    dataSource: 'VPC Flow Logs',
    summary: `An EC2 instance is probing one port on ${PORTSWEEP_THRESHOLD} or more public IP addresses within ${PORTSWEEP_WINDOW_MS / 60_000} minutes (a port sweep).`,
    aggregation: 'instance (or network interface when the instance is unknown) + protocol + destination port',
  },

  createState: () => portSweepState(),

  evaluate(r, ctx, state): Hit | undefined {
    if (!r.srcaddr || !r.dstaddr || !isAttempt(r) || isNonPublic(r.dstaddr)) return undefined;
    if (r.action !== 'REJECT' && r.packets !== undefined && r.packets > SWEEP_PROBE_MAX_PACKETS) return undefined;
    if (!sourceIsLocal(r, r.srcaddr, r.dstaddr)) return undefined;
    const instanceId = flowInstance(r, ctx);
    const owner = instanceId ?? r.interfaceId;
    const protocol = protocolName(r.protocol);
    const port = r.dstport as number;
    const got = state.add(`${owner}|${r.protocol}|${port}`, ipKey(r.dstaddr), r.time);
    if (!got) return undefined;
    const sides = flowSides(r, true);
    if (!sides) return undefined;
    const who = instanceText(r, instanceId);
    const hosts = got.w.seen.size;
    return {
      type: this.meta.findingType,
      severity: this.meta.severity,
      ...flowHitBase(r),
      key: [owner, protocol, String(port)],
      resource: instanceResource(r, instanceId, sides.local),
      action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: networkConnectionAction(r, sides) },
      resourceRole: 'ACTOR',
      additionalInfo: {
        ...who.note,
        probedHosts: hosts,
        ...(hosts >= SCAN_MAX_DISTINCT ? { probedHostsCapped: true } : {}),
        windowMinutes: PORTSWEEP_WINDOW_MS / 60_000,
        threshold: PORTSWEEP_THRESHOLD,
      },
      ...(got.crossed ? { count: got.w.records, firstSeen: got.w.min } : {}),
      title: `${who.name} is probing port ${port} on a large number of IP addresses.`,
      description: `${who.name} is probing ${protocol} port ${port} on ${hosts} public IP addresses within ${PORTSWEEP_WINDOW_MS / 60_000} minutes (latest: ${formatIp(r.dstaddr)}).`,
    };
  },

  stats: (state) => state.stats(),

  cases: [
    {
      name: `port 22 probed on ${PORTSWEEP_THRESHOLD} public hosts in 4 minutes: one finding`,
      lines: sweep(PORTSWEEP_THRESHOLD, 10),
      settings: INVENTORY,
      expect: 1,
    },
    { name: 'the sweep goes on past the threshold: still one finding, its count grows', lines: sweep(PORTSWEEP_THRESHOLD + 5, 10), expect: 1 },
    { name: 'rejected probes count, whatever their size', lines: sweep(PORTSWEEP_THRESHOLD, 10, { action: 'REJECT', packets: 6 }), expect: 1 },
    { name: `${PORTSWEEP_THRESHOLD - 1} hosts: below the threshold`, lines: sweep(PORTSWEEP_THRESHOLD - 1, 10), expect: 0 },
    { name: `${PORTSWEEP_THRESHOLD} hosts over 12 minutes (more than the window)`, lines: sweep(PORTSWEEP_THRESHOLD, 30), expect: 0 },
    { name: 'inbound: many public hosts probe the instance on port 22', lines: sweep(PORTSWEEP_THRESHOLD, 5, { inbound: true }), expect: 0 },
    { name: 'private destinations are not publicly routable', lines: sweep(PORTSWEEP_THRESHOLD, 5, { net: '10.0.1' }), expect: 0 },
    {
      name: 'completed HTTPS connections to many hosts are client traffic, not probes',
      lines: sweep(PORTSWEEP_THRESHOLD + 10, 5, { port: 443, packets: 20 }),
      expect: 0,
    },
    {
      name: 'one port on hosts split across two ports is not a sweep of either',
      lines: [...sweep(15, 5), ...sweep(15, 5, { port: 23, net: '203.0.113' })],
      expect: 0,
    },
    { name: 'the probed hosts are trusted', lines: sweep(PORTSWEEP_THRESHOLD, 10), trustedList: ['198.51.100.0/24'], expect: 0 },
  ],
};
