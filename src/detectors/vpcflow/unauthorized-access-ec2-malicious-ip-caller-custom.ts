import { SEVERITY } from '../../core/finding.js';
import { flowSides, flowThreatHit } from '../network-common.js';
import type { FlowDetector } from '../types.js';

/**
 * The workshop's scenario 1: an instance talks to, or is reached from, an address on a custom threat list, seen in
 * VPC Flow Logs. Either direction counts, accepted or rejected (`blocked` says which). One finding per instance (or
 * interface, when the instance is not known) and remote address; `count` is the number of flow records. Lists of
 * category `tor` are Tor node lists, not threat lists: they feed `UnauthorizedAccess:EC2/TorClient` instead.
 */
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const line = (src: string, dst: string, sport: number, dport: number, proto = 6, action = 'ACCEPT', eni = 'eni-0123456789abcdef0') =>
  `2 111122223333 ${eni} ${src} ${dst} ${sport} ${dport} ${proto} 4 336 1615225630 1615225690 ${action} OK`;
const THREAT = ['203.0.113.10'];
const INVENTORY = { interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' } };

export const detector: FlowDetector = {
  meta: {
    id: 'unauthorized-access-ec2-malicious-ip-caller-custom',
    findingType: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
    severity: SEVERITY.Medium,
    dataSource: 'VPC Flow Logs',
    summary: 'An EC2 instance is making connections to, or receiving them from, an IP address on a custom threat list.',
    aggregation: 'instance (or network interface when the instance is unknown) + remote address',
  },

  evaluate(r, ctx) {
    const dstLists = r.dstaddr ? ctx.intel.threat(r.dstaddr) : undefined;
    const srcLists = dstLists ? undefined : r.srcaddr ? ctx.intel.threat(r.srcaddr) : undefined;
    const lists = dstLists ?? srcLists;
    if (!lists) return undefined;
    const sides = flowSides(r, dstLists !== undefined);
    if (!sides) return undefined;
    return flowThreatHit(r, ctx, sides, {
      type: this.meta.findingType,
      severity: this.meta.severity,
      lists,
      text: (who, remote) => ({
        title: `${who} is communicating with an IP address on a custom threat list.`,
        description: `${who} is communicating ${sides.direction.toLowerCase()} with IP address ${remote} on the custom threat list ${lists.join(', ')}.`,
      }),
    });
  },

  cases: [
    {
      name: 'the workshop instance pings a threat-listed address (outbound ICMP): one finding, count = flow records',
      lines: [HEADER, line('10.0.0.12', '203.0.113.10', 0, 0, 1), line('203.0.113.10', '10.0.0.12', 0, 0, 1)],
      threatList: THREAT,
      settings: INVENTORY,
      expect: 1,
    },
    {
      name: 'a threat-listed address probes the instance (inbound, rejected)',
      lines: [line('203.0.113.10', '10.0.0.12', 51515, 22, 6, 'REJECT')],
      threatList: THREAT,
      expect: 1,
    },
    {
      name: 'IPv6 remote address on the list',
      lines: [line('2001:db8::12', '2001:db8:ffff::10', 40000, 443)],
      threatList: ['2001:db8:ffff::/48'],
      expect: 1,
    },
    { name: 'traffic with addresses that are on no list', lines: [line('10.0.0.12', '198.51.100.77', 40000, 443)], threatList: THREAT, expect: 0 },
    {
      name: 'a threat-listed address that is also trusted',
      lines: [line('10.0.0.12', '203.0.113.10', 40000, 443)],
      threatList: THREAT,
      trustedList: ['203.0.113.10'],
      expect: 0,
    },
    {
      name: 'NODATA and SKIPDATA records carry no traffic',
      lines: [
        '2 111122223333 eni-0123456789abcdef0 - - - - - - - 1615225690 1615225750 - NODATA',
        '2 111122223333 eni-0123456789abcdef0 - - - - - - - 1615225690 1615225750 - SKIPDATA',
      ],
      threatList: THREAT,
      expect: 0,
    },
  ],
};
