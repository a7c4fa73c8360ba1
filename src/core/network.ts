// CONTRACT (issue 5): the normalised records of VPC Flow Logs and Route 53 Resolver query logs. The parsers
// (src/parsers/vpc-flow.ts, src/parsers/route53-resolver.ts) produce them; detectors read them.
import type { Ip } from './ip.js';

export type FlowAction = 'ACCEPT' | 'REJECT';
export type FlowLogStatus = 'OK' | 'NODATA' | 'SKIPDATA';

/**
 * One VPC Flow Logs record (any version, any custom field order), normalised once at parse time. Fields the log
 * format did not include are `undefined`; `-` in the log is `undefined` too. Addresses are parsed once.
 */
export interface FlowRecord {
  kind: 'flow';
  /** A content hash of the record (flow logs have no id): the same record delivered twice has the same id. */
  id: string;
  /** `end` in ms (the record's time for aggregation and ordering). */
  time: number;
  /** Capture window, ms since the epoch. */
  start: number;
  end: number;
  version: number;
  account: string;
  /** From the `region` field, else the S3 path (`AWSLogs/<account>/vpcflowlogs/<region>/`), else ''. */
  region: string;
  interfaceId: string;
  instanceId: string | undefined;
  vpcId: string | undefined;
  subnetId: string | undefined;
  srcaddr: Ip | undefined;
  dstaddr: Ip | undefined;
  /** The addresses as written (for display, and when not parseable). */
  srcText: string;
  dstText: string;
  /** v3+: the packet-level addresses (differ from srcaddr/dstaddr behind NAT or on a middlebox interface). */
  pktSrcaddr: Ip | undefined;
  pktDstaddr: Ip | undefined;
  srcport: number | undefined;
  dstport: number | undefined;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  protocol: number | undefined;
  packets: number | undefined;
  bytes: number | undefined;
  action: FlowAction | undefined;
  logStatus: FlowLogStatus;
  /** v5: `ingress` / `egress`. */
  flowDirection: 'ingress' | 'egress' | undefined;
  /** v3: OR of the TCP flags seen (SYN 2, SYN-ACK 18, FIN 1, RST 4). */
  tcpFlags: number | undefined;
  /** v3: `IPv4`, `IPv6`, `EFA`. */
  trafficType: string | undefined;
  /** v5: the AWS service of pkt-src/pkt-dst (`AMAZON`, `S3`, ...). */
  pktSrcAwsService: string | undefined;
  pktDstAwsService: string | undefined;
  /** Where the record came from: `file:line`. */
  origin: string;
}

export interface DnsAnswer {
  rdata: string;
  type: string;
  class: string;
}

/** One Route 53 Resolver query log record, normalised. */
export interface DnsQuery {
  kind: 'dns';
  /** A content hash of the record (the log has no id). */
  id: string;
  /** `query_timestamp` in ms. */
  time: number;
  version: string;
  account: string;
  region: string;
  vpcId: string;
  /** Lower case, without the trailing dot. */
  queryName: string;
  queryType: string;
  queryClass: string;
  rcode: string;
  answers: DnsAnswer[];
  srcaddr: Ip | undefined;
  srcText: string;
  srcport: number | undefined;
  transport: string;
  /** `srcids.instance` (the querying instance) when the query came from an instance. */
  instanceId: string | undefined;
  resolverEndpointId: string | undefined;
  /** DNS Firewall: `ALERT`, `BLOCK`, `ALLOW` when a rule matched. */
  firewallRuleAction: string | undefined;
  firewallRuleGroupId: string | undefined;
  firewallDomainListId: string | undefined;
  /** Where the record came from: `file:line`. */
  origin: string;
}

/** What a log document holds, recognised from its content (and, failing that, its S3 path). */
export type LogKind = 'cloudtrail' | 'vpcflow' | 'route53-resolver';
