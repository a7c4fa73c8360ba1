import type { FindingAction, FindingResource, NetworkConnectionAction, PortDetails } from '../core/finding.js';
import { formatIp, type Ip } from '../core/ip.js';
import type { DnsQuery, FlowRecord } from '../core/network.js';
import { threatEvidence } from './common.js';
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
 * The instance behind a flow record: its `instance-id` field (version 3 and later), else the configured
 * interface inventory (`detectors.interfaces`). `undefined` when neither knows: the finding then says so.
 */
export function flowInstance(r: FlowRecord, ctx: DetectContext): string | undefined {
  return r.instanceId ?? ctx.settings.interfaces[r.interfaceId];
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

/** What to say about the instance in titles, and the note when it is not known. */
export function instanceText(r: FlowRecord, instanceId: string | undefined): { name: string; note?: Record<string, unknown> } {
  if (instanceId) return { name: `EC2 instance ${instanceId}` };
  return {
    name: `The EC2 instance behind network interface ${r.interfaceId}`,
    note: {
      instanceResolution: `unresolved: the flow record has no instance-id and detectors.interfaces has no entry for ${r.interfaceId}`,
    },
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
