import { SEVERITY } from '../../core/finding.js';
import { dnsHit } from '../network-common.js';
import type { DnsDetector } from '../types.js';

/**
 * An instance queries a domain (or a subdomain of one) on a custom threat list of domains (`threatDomainLists`), seen
 * in Route 53 Resolver query logs. Queries DNS Firewall blocked still count (`dnsRequestAction.blocked` says so): the
 * instance tried. One finding per instance (or source address) and listed domain; `count` is the number of queries.
 * Only lists of category `threat` (the default) count: `c2` and `mining` lists feed `Backdoor:EC2/C&CActivity.B!DNS`
 * and `CryptoCurrency:EC2/BitcoinTool.B!DNS` instead (`intel/categories.ts`).
 */
export const query = (name: string, o: { instance?: string; firewall?: string; answers?: unknown[] } = {}) =>
  JSON.stringify({
    version: '1.100000',
    account_id: '111122223333',
    region: 'us-west-2',
    vpc_id: 'vpc-0123456789abcdef0',
    query_timestamp: '2021-03-08T18:02:11Z',
    query_name: `${name}.`,
    query_type: 'A',
    query_class: 'IN',
    rcode: 'NOERROR',
    answers: o.answers ?? [{ Rdata: '198.51.100.9', Type: 'A', Class: 'IN' }],
    srcaddr: '10.0.0.12',
    srcport: '43116',
    transport: 'UDP',
    srcids: o.instance === undefined ? { instance: 'i-0fedcba9876543210' } : o.instance ? { instance: o.instance } : {},
    ...(o.firewall ? { firewall_rule_action: o.firewall, firewall_rule_group_id: 'rslvr-frg-1', firewall_domain_list_id: 'rslvr-fdl-1' } : {}),
  });

export const detector: DnsDetector = {
  meta: {
    id: 'impact-ec2-malicious-domain-request-custom',
    findingType: 'Impact:EC2/MaliciousDomainRequest.Custom',
    severity: SEVERITY.Medium,
    dataSource: 'DNS logs',
    summary: 'An EC2 instance is querying a domain on a custom threat list of domains.',
    aggregation: 'instance (or source address) + queried domain',
  },

  evaluate(q, ctx) {
    const lists = ctx.intel.domainThreat(q.queryName);
    if (!lists) return undefined;
    return dnsHit(q, {
      type: this.meta.findingType,
      severity: this.meta.severity,
      lists,
      text: (who) => ({
        title: `${who} is querying a domain on a custom threat list.`,
        description: `${who} is querying domain ${q.queryName}, which is on the custom threat list ${lists.join(', ')}.`,
      }),
    });
  },

  cases: [
    { name: 'the instance resolves a listed domain', lines: [query('evil.example.com'), query('evil.example.com')], expect: 1 },
    { name: 'a subdomain of a listed domain', lines: [query('data.evil.example.com')], expect: 1 },
    { name: 'a query DNS Firewall blocked still counts', lines: [query('evil.example.com', { firewall: 'BLOCK' })], expect: 1 },
    { name: 'a query without an instance (a resolver endpoint) is still reported', lines: [query('evil.example.com', { instance: '' })], expect: 1 },
    { name: 'an unlisted domain', lines: [query('example.org'), query('notevil.example.com')], expect: 0 },
    { name: 'a look-alike of a listed domain', lines: [query('badevil.example.com')], expect: 0 },
  ].map((c) => ({ ...c, threatDomains: ['evil.example.com'] })),
};
