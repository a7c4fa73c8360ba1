import { SEVERITY } from '../../core/finding.js';
import { dnsHit } from '../network-common.js';
import type { DnsDetector } from '../types.js';
import { query } from './impact-ec2-malicious-domain-request-custom.js';

/** The instance metadata service's addresses (IPv4 and the Nitro IPv6 endpoint). */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/**
 * DNS rebinding against the instance metadata service: an instance resolves a name whose answer is the metadata
 * address, so that code trusting "a hostname, not 169.254.169.254" can be steered to IMDS (credential theft). Any
 * A or AAAA answer equal to the metadata address counts, except the AWS-owned names that legitimately point there.
 * One finding per instance and queried domain.
 */
const LEGITIMATE = new Set(['instance-data.ec2.internal', 'instance-data']);

export const detector: DnsDetector = {
  meta: {
    id: 'unauthorized-access-ec2-metadata-dns-rebind',
    findingType: 'UnauthorizedAccess:EC2/MetadataDNSRebind',
    severity: SEVERITY.High,
    dataSource: 'DNS logs',
    summary: 'An EC2 instance is performing DNS lookups that resolve to the instance metadata service.',
    aggregation: 'instance (or source address) + queried domain',
  },

  evaluate(q) {
    if (LEGITIMATE.has(q.queryName) || q.queryName.endsWith('.compute.internal')) return undefined;
    const hit = q.answers.some((a) => (a.type === 'A' || a.type === 'AAAA') && METADATA.has(a.rdata.toLowerCase()));
    if (!hit) return undefined;
    return dnsHit(q, {
      type: this.meta.findingType,
      severity: this.meta.severity,
      text: (who) => ({
        title: `${who} is performing DNS lookups that resolve to the instance metadata service.`,
        description: `${who} resolved ${q.queryName} to the instance metadata service address: a DNS rebinding technique used to reach the metadata service and steal the instance's credentials.`,
      }),
    });
  },

  cases: [
    {
      name: 'a name that resolves to 169.254.169.254',
      lines: [query('rebind.attacker.example', { answers: [{ Rdata: '169.254.169.254', Type: 'A', Class: 'IN' }] })],
      expect: 1,
    },
    {
      name: 'the IPv6 metadata address',
      lines: [query('rebind6.attacker.example', { answers: [{ Rdata: 'fd00:ec2::254', Type: 'AAAA', Class: 'IN' }] })],
      expect: 1,
    },
    { name: 'an ordinary answer', lines: [query('example.com')], expect: 0 },
    {
      name: "AWS's own metadata name",
      lines: [query('instance-data.ec2.internal', { answers: [{ Rdata: '169.254.169.254', Type: 'A', Class: 'IN' }] })],
      expect: 0,
    },
    {
      name: 'a TXT answer that happens to hold the address',
      lines: [query('txt.example.com', { answers: [{ Rdata: '169.254.169.254', Type: 'TXT', Class: 'IN' }] })],
      expect: 0,
    },
  ],
};
