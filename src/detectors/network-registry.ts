import { detector as maliciousDomainRequestCustom } from './dns/impact-ec2-malicious-domain-request-custom.js';
import { detector as metadataDnsRebind } from './dns/unauthorized-access-ec2-metadata-dns-rebind.js';
import type { DnsDetector, FlowDetector } from './types.js';
import { detector as ec2MaliciousIpCallerCustom } from './vpcflow/unauthorized-access-ec2-malicious-ip-caller-custom.js';

/** Detectors over VPC Flow Logs records, one module per finding type under vpcflow/. */
export const FLOW_DETECTORS: readonly FlowDetector<any>[] = [ec2MaliciousIpCallerCustom];

/** Detectors over Route 53 Resolver query logs, one module per finding type under dns/. */
export const DNS_DETECTORS: readonly DnsDetector<any>[] = [maliciousDomainRequestCustom, metadataDnsRebind];
