import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIp } from '../core/ip.js';
import { MAX_DNS_LINE, parseResolverQueryLogDocument } from './route53-resolver.js';

const ELASTIC = '/work/shared/data/public-logs/elastic-integrations/route53_resolver_logs';
const REFERENCE = '/work/shared/reference/examples/logs';
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'network');
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

const BASE = {
  version: '1.100000',
  account_id: '111122223333',
  region: 'us-west-2',
  vpc_id: 'vpc-0123456789abcdef0',
  query_timestamp: '2021-03-08T18:02:11Z',
  query_name: 'example.com.',
  query_type: 'A',
  query_class: 'IN',
  rcode: 'NOERROR',
  answers: [{ Rdata: '93.184.216.34', Type: 'A', Class: 'IN' }],
  srcaddr: '10.0.0.12',
  srcport: '43116',
  transport: 'UDP',
  srcids: { instance: 'i-0fedcba9876543210' },
};
const line = (over: Record<string, unknown> = {}) => JSON.stringify({ ...BASE, ...over });

describe('parseResolverQueryLogDocument: public samples', () => {
  it('reads every elastic record, including the DNS Firewall BLOCK and the PTR answers', () => {
    const r = parseResolverQueryLogDocument(read(ELASTIC, 'test-route53.log'), 'r53.log');
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(34);
    const first = r.records[0]!;
    expect(first).toMatchObject({
      kind: 'dns',
      version: '1.100000',
      account: '626345947581',
      region: 'us-east-1',
      vpcId: 'vpc-01e31a7c',
      queryName: 'does-not-exist.abc.com',
      queryType: 'A',
      rcode: 'NXDOMAIN',
      answers: [],
      srcText: '172.31.86.159',
      srcport: 48701,
      transport: 'UDP',
      instanceId: undefined,
      firewallRuleAction: undefined,
      time: Date.parse('2021-12-11T22:46:23Z'),
      origin: 'r53.log:1',
    });
    expect(formatIp(first.srcaddr!)).toBe('172.31.86.159');
    const ptr = r.records[1]!;
    expect(ptr).toMatchObject({
      queryName: '159.86.31.172.in-addr.arpa',
      queryType: 'PTR',
      answers: [{ rdata: 'ip-172-31-86-159.ec2.internal.', type: 'PTR', class: 'IN' }],
    });
    expect(r.records.filter((q) => q.queryType === 'PTR').length).toBe(6);
    const block = r.records.find((q) => q.firewallRuleAction === 'BLOCK')!;
    expect(block).toMatchObject({
      origin: 'r53.log:33',
      queryName: '15.199.16.175.in-addr.arpa',
      firewallRuleGroupId: 'rslvr-frg-01234567890abcdef',
      firewallDomainListId: 'rslvr-fdl-01234567890abcdef',
      instanceId: 'i-0d15cd0d3example',
      answers: [{ rdata: '203.0.113.9', type: 'PTR', class: 'IN' }],
    });
    const cname = r.records[31]!;
    expect(cname.answers.map((a) => a.type)).toEqual(['CNAME', 'A']);
    // A name without its trailing dot is kept whole.
    expect(r.records[33]?.queryName).toBe('6.c.f.6.a.9.0.e.2.b.9.a.2.f.1.9.2.0.0.4.d.d.a.0.0.4.f.c.2.0.a.2.ip6.arpa');
  });

  it('reads the reference sample', () => {
    const r = parseResolverQueryLogDocument(read(REFERENCE, 'route53-resolver-query-log-sample.constructed.jsonl'), 'ref.jsonl');
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({
      queryName: 'example.com',
      instanceId: 'i-0fedcba9876543210',
      srcport: 43116,
      answers: [{ rdata: '93.184.216.34', type: 'A', class: 'IN' }],
    });
  });
});

describe('parseResolverQueryLogDocument: shapes', () => {
  it('reads a pretty-printed JSON array, with the line of each element', () => {
    const r = parseResolverQueryLogDocument(read(FIXTURES, 'dns-array.json'), 'arr.json');
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ origin: 'arr.json:2', queryType: 'AAAA' });
    expect(r.records[0]?.srcaddr?.v).toBe(6);
    expect(r.errors.map((e) => e.message)).toEqual(['arr.json:18: "query_timestamp" is not an ISO-8601 time: "not a time"']);
  });

  it('reads a CloudWatch subscription payload: lower-cases names, resolver endpoints', () => {
    const r = parseResolverQueryLogDocument(read(FIXTURES, 'dns-cloudwatch-subscription.json'), 'cw.json');
    expect(r.errors).toEqual([]);
    expect(r.records.map((q) => [q.origin, q.queryName, q.instanceId, q.resolverEndpointId])).toEqual([
      ['cw.json:1#0', 'example.com', 'i-0fedcba9876543210', undefined],
      ['cw.json:1#1', 'db.internal.example', undefined, 'rslvr-in-0123456789abcdef0'],
    ]);
  });

  it('reads ISO-time-prefixed export lines and reports a truncated one', () => {
    const r = parseResolverQueryLogDocument(read(FIXTURES, 'dns-cloudwatch-export.txt'), 'cw.txt');
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ firewallRuleAction: 'ALERT', answers: [{ rdata: '"v=spf1 -all"', type: 'TXT', class: 'IN' }] });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.location).toBe('cw.txt:2');
    expect(r.errors[0]?.reason).toMatch(/^malformed JSON/);
  });

  it('reads a single pretty-printed record (the documentation example)', () => {
    const r = parseResolverQueryLogDocument(JSON.stringify(BASE, null, 2), 'one.json');
    expect(r.records).toHaveLength(1);
    expect(r.records[0]?.origin).toBe('one.json:1');
  });

  it('says when a document is not JSON at all', () => {
    const r = parseResolverQueryLogDocument('2 111122223333 eni-1 - - - - - - - 1 2 - NODATA\n', 'flow.log');
    expect(r.records).toEqual([]);
    expect(r.errors.map((e) => e.message)).toEqual(['flow.log: not JSON: starts with "2 111122223333 eni-1"']);
  });
});

describe('parseResolverQueryLogDocument: bad records', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['missing query_name', line({ query_name: undefined }), /"query_name" is missing/],
    ['query_name not a string', line({ query_name: 5 }), /"query_name" is a number/],
    ['huge query_name', line({ query_name: `${'a'.repeat(300)}.com.` }), /"query_name" is 305 characters long; the limit is 255/],
    ['bad srcport', line({ srcport: '70000' }), /"srcport" is "70000": not a port/],
    ['bad srcaddr', line({ srcaddr: '10.0.0.999' }), /"srcaddr" is "10\.0\.0\.999"/],
    ['answers not an array', line({ answers: 'x' }), /"answers" is a string, expected an array/],
    ['huge rdata', line({ answers: [{ Rdata: 'x'.repeat(100_000), Type: 'TXT', Class: 'IN' }] }), /"answers\[0\]\.Rdata" is 100000 characters long/],
    ['too many answers', line({ answers: Array.from({ length: 300 }, () => ({ Rdata: '1.2.3.4', Type: 'A', Class: 'IN' })) }), /"answers" has 300 entries/],
    ['bad srcids', line({ srcids: { instance: ['i-1'] } }), /"srcids\.instance" is an array/],
    [
      'hostile account',
      line({ account_id: `\u001b]0;pwned\u0007${'9'.repeat(200)}` }),
      /"account_id" is 210 characters long; the limit is 64: "\\u\{1b\}\]0;pwned\\u\{7\}9+"…/,
    ],
    ['not an object', '[1]', /record is a number/],
    ['a CloudTrail record', JSON.stringify({ eventName: 'GetUser' }), /looks like CloudTrail/],
    ['bad time', line({ query_timestamp: '2021-02-30T00:00:00Z' }), /"query_timestamp" is not an ISO-8601 time/],
  ];
  for (const [what, text, reason] of bad) {
    it(`${what}: an error with file:line, the rest still parsed`, () => {
      const r = parseResolverQueryLogDocument(`${line()}\n${text}\n${line({ srcport: '1' })}\n`, 'bad.jsonl');
      expect(r.records.map((q) => q.origin)).toEqual(['bad.jsonl:1', 'bad.jsonl:3']);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]?.location).toBe('bad.jsonl:2');
      expect(r.errors[0]?.reason).toMatch(reason);
    });
  }

  it('rejects an over-long line without parsing it', () => {
    const huge = line({ query_type: 'x'.repeat(MAX_DNS_LINE) });
    const r = parseResolverQueryLogDocument(`${huge}\n${line()}\n`, 'huge.jsonl');
    expect(r.records).toHaveLength(1);
    expect(r.errors[0]?.message).toMatch(/^huge\.jsonl:1: line is \d+ characters long; the limit is/);
  });

  it('gives a duplicate delivery the same id, and a different query a different id', () => {
    const r = parseResolverQueryLogDocument(`${line()}\n${line()}\n${line({ srcport: '43117' })}\n`, 'dup.jsonl');
    const [a, b, c] = r.records;
    expect(a?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a?.id).toBe(b?.id);
    expect(c?.id).not.toBe(a?.id);
    // The same record delivered through CloudWatch has the same id.
    const cw = parseResolverQueryLogDocument(JSON.stringify({ logEvents: [{ message: line() }] }), 'cw.json');
    expect(cw.records[0]?.id).toBe(a?.id);
  });
});
