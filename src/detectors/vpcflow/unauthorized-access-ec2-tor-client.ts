import { SEVERITY } from '../../core/finding.js';
import { IP_CATEGORY_NAME_PREFIXES, ipCategoryByName } from '../../intel/categories.js';
import { flowSides, flowThreatHit } from '../network-common.js';
import type { FlowDetector, LogCase } from '../types.js';

/**
 * `UnauthorizedAccess:EC2/TorClient`: an instance connects out to a Tor node (GuardDuty: a Guard or Authority node,
 * the entry points of the Tor network).
 *
 * The Tor nodes are the threat lists of category `tor` (`category: tor` in the configuration or on upload; see
 * `intel/categories.ts`). A list without a category whose name starts with `tor` (case-insensitive: `tor`, `Tor`,
 * `tor-exit-nodes`, ...) is taken as one too, the naming convention kept as a fallback; `category: threat` keeps such a
 * name a plain threat list. A Tor list feeds this finding, not `MaliciousIPCaller.Custom`. Without a Tor list the
 * detector does nothing (its statistics say so). As for every threat list, private addresses never match and a
 * trusted address wins.
 *
 * Counted: a flow record whose destination is on a Tor list (the instance connects out; a record with
 * `flow-direction` ingress is not), accepted or rejected, any protocol. A record whose source port is lower than
 * its destination port (`443 -> 51234`) is taken as the reply of a service on the instance to a Tor node that
 * connected in (Tor exit nodes reach public services), not as a client connection, and is not counted. One finding
 * per instance (or network interface when the instance is unknown) and Tor node; `count` is the flow records.
 */
/** The name prefix of the fallback convention (a list without a category). */
export const TOR_LIST_PREFIX = IP_CATEGORY_NAME_PREFIXES.tor[0] as string;

export interface TorClientState {
  /** `torListsConfigured`: the Tor node lists loaded when the state was created (lookups use the lists in force). */
  counters: { torConnections: number; serviceReplies: number; torListsConfigured: number };
}

/** True when a list without a category is taken as a Tor node list by its name (the fallback convention). */
export function isTorListName(name: string): boolean {
  return ipCategoryByName(name) === 'tor';
}

export const detector: FlowDetector<TorClientState> = {
  meta: {
    id: 'unauthorized-access-ec2-tor-client',
    findingType: 'UnauthorizedAccess:EC2/TorClient',
    severity: SEVERITY.High,
    dataSource: 'VPC Flow Logs',
    summary:
      'An EC2 instance is making connections to a Tor node (a threat list of category tor; without a category, one whose name starts with "tor"): it may be acting as a Tor client.',
    aggregation: 'instance (or network interface when the instance is unknown) + Tor node address',
  },

  createState(ctx) {
    return { counters: { torConnections: 0, serviceReplies: 0, torListsConfigured: ctx.intel.ipListCount('tor') } };
  },

  stats: (s) => ({ ...s.counters }),

  evaluate(r, ctx, s) {
    if (!r.dstaddr || r.flowDirection === 'ingress') return undefined;
    const lists = ctx.intel.torNode(r.dstaddr);
    if (!lists) return undefined;
    if (r.srcport !== undefined && r.dstport !== undefined && r.srcport < r.dstport) {
      s.counters.serviceReplies++;
      return undefined;
    }
    const sides = flowSides(r, true);
    if (!sides) return undefined;
    s.counters.torConnections++;
    return flowThreatHit(r, ctx, sides, {
      type: this.meta.findingType,
      severity: this.meta.severity,
      lists,
      text: (who, remote) => ({
        title: `${who} is making connections to a Tor node.`,
        description: `${who} is making connections to ${remote}, a Tor node (on the list ${lists.join(', ')}). Tor nodes are the entry points of the Tor network: the instance may be compromised and acting as a Tor client.`,
      }),
    });
  },

  cases: cases(),
};

/** A case of this detector (LogCase carries named lists without categories: these cases use the name fallback). */
export type TorCase = LogCase;

function cases(): TorCase[] {
  const eni = 'eni-0123456789abcdef0';
  const line = (src: string, dst: string, sport: number, dport: number, end: number, action = 'ACCEPT') =>
    `2 111122223333 ${eni} ${src} ${dst} ${sport} ${dport} 6 22 5120 ${end - 50} ${end} ${action} OK`;
  const t0 = 1615225630;
  const instance = '10.0.0.12';
  const guard = '203.0.113.66';
  /** `n` connections from the instance to `dst`:9001 and the node's replies. */
  const session = (n: number, dst = guard) =>
    Array.from({ length: n }, (_, i) => [line(instance, dst, 41000 + i, 9001, t0 + i * 60), line(dst, instance, 9001, 41000 + i, t0 + i * 60)]).flat();
  const tor = { 'tor-exit-nodes': [guard, '203.0.113.67'] };
  return [
    {
      name: 'the instance connects to a Tor node (list "tor-exit-nodes") 12 times, with replies: one finding',
      lines: session(12),
      threatLists: tor,
      settings: { interfaces: { [eni]: 'i-0fedcba9876543210' } },
      expect: 1,
    },
    {
      name: 'two Tor nodes (list "Tor"), one rejected: a finding per node',
      lines: [...session(10), line(instance, '203.0.113.67', 42000, 443, t0 + 900, 'REJECT')],
      threatLists: { Tor: [guard, '203.0.113.67'] },
      expect: 2,
    },
    {
      name: 'the same address on a threat list without a category, not named tor*: no Tor list, no finding',
      lines: session(12),
      threatList: [guard],
      expect: 0,
    },
    {
      name: 'a Tor node reaches a web server on the instance: the inbound connection and its replies are not a client',
      lines: Array.from({ length: 12 }, (_, i) => [
        line(guard, instance, 50000 + i, 443, t0 + i * 30),
        line(instance, guard, 443, 50000 + i, t0 + i * 30),
      ]).flat(),
      threatLists: tor,
      expect: 0,
    },
    { name: 'a Tor node that is also trusted', lines: session(12), threatLists: tor, trustedList: [guard], expect: 0 },
    { name: 'traffic to addresses that are not Tor nodes', lines: session(12, '198.51.100.9'), threatLists: tor, expect: 0 },
  ];
}
