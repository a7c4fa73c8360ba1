import type { FindingAction, FindingResource, NetworkConnectionAction, PortDetails } from '../core/finding.js';
import { formatIp, type Ip } from '../core/ip.js';
import type { DnsQuery, FlowRecord } from '../core/network.js';
import { threatEvidence } from './common.js';
import type { InterfaceDetails, InterfaceMap } from './interface-map.js';
import type { DetectContext, Hit } from './types.js';

/** GuardDuty's `portName` for well-known ports (the names it shows); anything else is `Unknown`. */
const PORT_NAMES: Readonly<Record<number, string>> = {
  20: 'FTP-DATA',
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  25: 'SMTP',
  53: 'DNS',
  80: 'HTTP',
  110: 'POP3',
  123: 'NTP',
  143: 'IMAP',
  443: 'HTTPS',
  445: 'SMB',
  465: 'SMTPS',
  587: 'SMTP',
  993: 'IMAPS',
  995: 'POP3S',
  1433: 'MSSQL',
  3306: 'MYSQL',
  3389: 'RDP',
  5432: 'POSTGRESQL',
  6379: 'REDIS',
  8080: 'HTTP',
  9200: 'ELASTICSEARCH',
  9300: 'ELASTICSEARCH',
};

export function portDetails(port: number | undefined): PortDetails {
  return { port: port ?? 0, portName: port === undefined ? 'Unknown' : (PORT_NAMES[port] ?? 'Unknown') };
}

/** IANA protocol numbers as GuardDuty names them. */
export function protocolName(protocol: number | undefined): string {
  switch (protocol) {
    case 6:
      return 'TCP';
    case 17:
      return 'UDP';
    case 1:
    case 58:
      return 'ICMP';
    default:
      return 'Unknown';
  }
}

function ipDetails(ip: Ip): { ipAddressV4: string } | { ipAddressV6: string } {
  return ip.v === 4 ? { ipAddressV4: formatIp(ip) } : { ipAddressV6: formatIp(ip) };
}

/**
 * The instance behind a flow record, as far as the record alone can tell: its `instance-id` field (version 3 and
 * later), else the configured interface inventory (`detectors.interfaces`). `undefined` when neither knows.
 *
 * The third source, interfaces learned from CloudTrail (`interface-map.ts`), is asked later, when the aggregate is
 * finalised (`resolveFlowInstance`), not here: a flow file read before the CloudTrail file that names its instance must
 * give the same finding, so nothing that depends on the learned map goes into a detector's state or an aggregation key.
 * Keys use this function's answer, else the interface id; the finding id therefore never depends on what CloudTrail
 * taught, and an unresolved finding becomes resolved on a later update under the same id.
 */
export function flowInstance(r: FlowRecord, ctx: DetectContext): string | undefined {
  return r.instanceId ?? ctx.settings.interfaces[r.interfaceId];
}

/** Where a flow finding's instance came from (`additionalInfo.instanceSource`). */
export type InstanceSource = 'flow-record' | 'inventory' | 'cloudtrail';

/** How titles and descriptions name an instance that is not known (yet): the interface stands for it. */
export function unresolvedInstanceName(interfaceId: string): string {
  return `The EC2 instance behind network interface ${interfaceId}`;
}

/** Which side of a flow is the instance's and which the remote party's. */
export interface FlowSides {
  direction: 'INBOUND' | 'OUTBOUND';
  local: Ip;
  remote: Ip;
  localPort: number | undefined;
  remotePort: number | undefined;
}

/** The flow seen from the instance, given which address is the remote one. */
export function flowSides(r: FlowRecord, remoteIsDestination: boolean): FlowSides | undefined {
  if (!r.srcaddr || !r.dstaddr) return undefined;
  return remoteIsDestination
    ? { direction: 'OUTBOUND', local: r.srcaddr, remote: r.dstaddr, localPort: r.srcport, remotePort: r.dstport }
    : { direction: 'INBOUND', local: r.dstaddr, remote: r.srcaddr, localPort: r.dstport, remotePort: r.srcport };
}

export function networkConnectionAction(r: FlowRecord, sides: FlowSides): NetworkConnectionAction {
  return {
    connectionDirection: sides.direction,
    protocol: protocolName(r.protocol),
    blocked: r.action === 'REJECT',
    localIpDetails: ipDetails(sides.local),
    localPortDetails: portDetails(sides.localPort),
    remoteIpDetails: ipDetails(sides.remote),
    remotePortDetails: portDetails(sides.remotePort),
  };
}

/** `resource` of an EC2 network finding: the instance and the interface the flow was logged on. */
export function instanceResource(r: FlowRecord, instanceId: string | undefined, local: Ip): FindingResource {
  const address = formatIp(local);
  return {
    resourceType: 'Instance',
    instanceDetails: {
      instanceId: instanceId ?? '',
      networkInterfaces: [
        {
          networkInterfaceId: r.interfaceId,
          ...(local.v === 4 ? { privateIpAddress: address } : { ipv6Addresses: [address] }),
          ...(r.subnetId ? { subnetId: r.subnetId } : {}),
          ...(r.vpcId ? { vpcId: r.vpcId } : {}),
        },
      ],
    },
  };
}

/** Account, region, partition, time and id of a flow record, for a hit. */
export function flowHitBase(r: FlowRecord): Pick<Hit, 'account' | 'region' | 'partition' | 'time' | 'eventId'> {
  return { account: r.account, region: r.region, partition: 'aws', time: r.time, eventId: r.id };
}

/**
 * What to say about the instance in titles, and the note for `additionalInfo`: `instanceSource` when it is known
 * (`flow-record` or `inventory`), `instanceResolution` (why) when it is not; `resolveFlowInstance` may resolve it later.
 */
export function instanceText(r: FlowRecord, instanceId: string | undefined): { name: string; note: Record<string, unknown> } {
  if (instanceId) {
    const source: InstanceSource = r.instanceId ? 'flow-record' : 'inventory';
    return { name: `EC2 instance ${instanceId}`, note: { instanceSource: source } };
  }
  return {
    name: unresolvedInstanceName(r.interfaceId),
    note: {
      instanceResolution: `unresolved: the flow record has no instance-id and detectors.interfaces has no entry for ${r.interfaceId}`,
    },
  };
}

/**
 * Finalises a flow hit about an instance (called on each aggregate when it is written, after every event of the run
 * or batch was seen): when neither the record nor the inventory named the instance, the interfaces learned from
 * CloudTrail are asked at the time of the hit's event; a resolved hit gets the instance in `instanceDetails`, in its
 * title and description, `instanceSource: 'cloudtrail'` and the CloudTrail event in `instanceResolution`; an
 * unresolved one says why in `instanceResolution`. In every case the interface's details CloudTrail described
 * (VPC, subnet, security groups, private addresses) fill in what the flow record did not carry. The aggregation key
 * and so the finding id are left as they are. Other hits are returned unchanged.
 */
export function resolveFlowInstance(hit: Hit, map: InterfaceMap): Hit {
  const details = hit.resource.instanceDetails;
  if (hit.resource.resourceType !== 'Instance' || !details) return hit;
  if (hit.action.actionType !== 'NETWORK_CONNECTION' && hit.action.actionType !== 'PORT_PROBE') return hit;
  const interfaces = details.networkInterfaces as Array<Record<string, unknown>> | undefined;
  const first = interfaces?.[0];
  const interfaceId = typeof first?.networkInterfaceId === 'string' ? first.networkInterfaceId : undefined;
  if (!interfaceId || !interfaces || !first) return hit;
  const learned = map.details(interfaceId);
  const networkInterfaces = learned ? [withLearnedDetails(first, learned), ...interfaces.slice(1)] : interfaces;
  if (details.instanceId) return learned ? { ...hit, resource: { ...hit.resource, instanceDetails: { ...details, networkInterfaces } } } : hit;
  const { instanceResolution: _unresolved, ...info } = hit.additionalInfo ?? {};
  const found = map.resolve(interfaceId, hit.time);
  if ('reason' in found) {
    return {
      ...hit,
      resource: { ...hit.resource, instanceDetails: { ...details, networkInterfaces } },
      additionalInfo: {
        ...info,
        instanceResolution: `unresolved: the flow record has no instance-id, detectors.interfaces has no entry for ${interfaceId}, and ${found.reason}`,
      },
    };
  }
  const unknown = unresolvedInstanceName(interfaceId);
  const known = `EC2 instance ${found.instanceId}`;
  const rename = (text: string) => text.split(unknown).join(known).split(unknown.replace(/^The /, 'the ')).join(known);
  const f = found.fact;
  return {
    ...hit,
    resource: { ...hit.resource, instanceDetails: { ...details, instanceId: found.instanceId, networkInterfaces } },
    title: rename(hit.title),
    description: rename(hit.description),
    additionalInfo: {
      ...info,
      instanceSource: 'cloudtrail' satisfies InstanceSource,
      instanceResolution: `cloudtrail: ${f.eventName} at ${new Date(f.time).toISOString()} (event ${f.eventId}): ${interfaceId} attached to ${found.instanceId}`,
    },
  };
}

/** The finding's interface entry, completed with what CloudTrail said about the interface (the flow's own values win). */
function withLearnedDetails(entry: Record<string, unknown>, d: InterfaceDetails): Record<string, unknown> {
  const local = typeof entry.privateIpAddress === 'string' ? entry.privateIpAddress : undefined;
  const dns =
    local && (d.privateIpAddresses?.find((a) => a.privateIpAddress === local)?.privateDnsName ?? (d.privateIpAddress === local ? d.privateDnsName : undefined));
  return {
    ...entry,
    ...(entry.vpcId === undefined && d.vpcId ? { vpcId: d.vpcId } : {}),
    ...(entry.subnetId === undefined && d.subnetId ? { subnetId: d.subnetId } : {}),
    ...(entry.privateDnsName === undefined && dns ? { privateDnsName: dns } : {}),
    ...(entry.privateIpAddresses === undefined && d.privateIpAddresses ? { privateIpAddresses: d.privateIpAddresses } : {}),
    ...(entry.securityGroups === undefined && d.securityGroups ? { securityGroups: d.securityGroups } : {}),
  };
}

/** Account, region, partition, time and id of a DNS query, for a hit. */
export function dnsHitBase(q: DnsQuery): Pick<Hit, 'account' | 'region' | 'partition' | 'time' | 'eventId'> {
  return { account: q.account, region: q.region, partition: 'aws', time: q.time, eventId: q.id };
}

/** The querying instance (`srcids.instance`) as a finding resource; the note says when the query came from elsewhere. */
export function dnsInstance(q: DnsQuery): { resource: FindingResource; name: string; note?: Record<string, unknown> } {
  const resource: FindingResource = {
    resourceType: 'Instance',
    instanceDetails: { instanceId: q.instanceId ?? '', networkInterfaces: [{ ...(q.srcaddr ? ipDetailsOf(q.srcaddr) : {}), vpcId: q.vpcId }] },
  };
  if (q.instanceId) return { resource, name: `EC2 instance ${q.instanceId}` };
  return {
    resource,
    name: `The source ${q.srcText || '(unknown)'} in ${q.vpcId}`,
    note: { instanceResolution: `unresolved: the query log names no instance (srcids.instance) for ${q.srcText || 'this query'}` },
  };
}

function ipDetailsOf(ip: Ip): { privateIpAddress: string } | { ipv6Addresses: string[] } {
  return ip.v === 4 ? { privateIpAddress: formatIp(ip) } : { ipv6Addresses: [formatIp(ip)] };
}

/** `dnsRequestAction` of a query: the domain, the transport, and whether DNS Firewall blocked it. */
export function dnsAction(q: DnsQuery): FindingAction {
  return { actionType: 'DNS_REQUEST', dnsRequestAction: { domain: q.queryName, protocol: q.transport, blocked: q.firewallRuleAction === 'BLOCK' } };
}

/**
 * A hit about one DNS query of an instance: resource, `DNS_REQUEST` action, aggregation by instance (or source) and
 * the queried domain, threat evidence when lists matched, and the note when the instance is unknown. `text` gets the
 * instance's description ("EC2 instance i-..." or the source) for the title and description.
 */
export function dnsHit(
  q: DnsQuery,
  o: { type: string; severity: number; lists?: string[]; text: (who: string) => { title: string; description: string } },
): Hit {
  const who = dnsInstance(q);
  const evidence = o.lists ? threatEvidence(o.lists) : undefined;
  const info = { ...evidence?.additionalInfo, ...who.note };
  return {
    type: o.type,
    severity: o.severity,
    ...dnsHitBase(q),
    key: [q.instanceId ?? q.srcText, q.queryName],
    resource: who.resource,
    action: dnsAction(q),
    resourceRole: 'ACTOR',
    ...(evidence ? { threatListNames: evidence.threatListNames } : {}),
    ...(Object.keys(info).length > 0 ? { additionalInfo: info } : {}),
    ...o.text(who.name),
  };
}

/**
 * A hit about a connection between an instance and a threat-listed remote address: one finding per instance (or
 * interface) and remote address, `NETWORK_CONNECTION` action, the lists as evidence, the instance note when unknown.
 */
export function flowThreatHit(
  r: FlowRecord,
  ctx: DetectContext,
  sides: FlowSides,
  o: { type: string; severity: number; lists: string[]; text: (who: string, remote: string) => { title: string; description: string } },
): Hit {
  const instanceId = flowInstance(r, ctx);
  const who = instanceText(r, instanceId);
  const remote = formatIp(sides.remote);
  const evidence = threatEvidence(o.lists);
  return {
    type: o.type,
    severity: o.severity,
    ...flowHitBase(r),
    key: [instanceId ?? r.interfaceId, remote],
    resource: instanceResource(r, instanceId, sides.local),
    action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: networkConnectionAction(r, sides) },
    resourceRole: sides.direction === 'OUTBOUND' ? 'ACTOR' : 'TARGET',
    ...evidence,
    additionalInfo: { ...evidence.additionalInfo, ...who.note },
    ...o.text(who.name, remote),
  };
}
