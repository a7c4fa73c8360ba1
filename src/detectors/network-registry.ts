import { detector as commandAndControlDns } from './dns/backdoor-ec2-c-and-c-activity-b-dns.js';
import { detector as bitcoinToolDns } from './dns/crypto-currency-ec2-bitcoin-tool-b-dns.js';
import { detector as maliciousDomainRequestCustom } from './dns/impact-ec2-malicious-domain-request-custom.js';
import { detector as dnsDataExfiltration } from './dns/trojan-ec2-dns-data-exfiltration.js';
import { detector as metadataDnsRebind } from './dns/unauthorized-access-ec2-metadata-dns-rebind.js';
import type { DnsDetector, FlowDetector } from './types.js';
import { detector as spambot } from './vpcflow/backdoor-ec2-spambot.js';
import { detector as portSweep } from './vpcflow/impact-ec2-port-sweep.js';
import { detector as portProbeUnprotectedPort } from './vpcflow/recon-ec2-port-probe-unprotected-port.js';
import { detector as portscan } from './vpcflow/recon-ec2-portscan.js';
import { detector as ec2MaliciousIpCallerCustom } from './vpcflow/unauthorized-access-ec2-malicious-ip-caller-custom.js';
import { detector as rdpBruteForce } from './vpcflow/unauthorized-access-ec2-rdp-brute-force.js';
import { detector as sshBruteForce } from './vpcflow/unauthorized-access-ec2-ssh-brute-force.js';
import { detector as torClient } from './vpcflow/unauthorized-access-ec2-tor-client.js';

/** Detectors over VPC Flow Logs records, one module per finding type under vpcflow/. */
export const FLOW_DETECTORS: readonly FlowDetector<any>[] = [
  ec2MaliciousIpCallerCustom,
  portscan,
  portSweep,
  portProbeUnprotectedPort,
  sshBruteForce,
  rdpBruteForce,
  spambot,
  torClient,
];

/** Detectors over Route 53 Resolver query logs, one module per finding type under dns/. */
export const DNS_DETECTORS: readonly DnsDetector<any>[] = [
  maliciousDomainRequestCustom,
  metadataDnsRebind,
  commandAndControlDns,
  bitcoinToolDns,
  dnsDataExfiltration,
];
