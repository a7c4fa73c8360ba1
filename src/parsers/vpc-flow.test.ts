import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIp } from '../core/ip.js';
import { FLOW_HEADER_WORDS } from './sniff.js';
import { FLOW_FIELDS, flowLogPathHint, MAX_FLOW_LINE, parseFlowLogDocument } from './vpc-flow.js';

const ELASTIC = '/work/shared/data/public-logs/elastic-integrations/vpcflow';
const REFERENCE = '/work/shared/reference/examples/logs';
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'network');
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

const V2 = '2 111122223333 eni-0aaaaaaaaaaaaaaa1 10.0.1.5 198.51.100.23 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK';

/** `V2` with field `i` (0-based) replaced. */
function v2With(i: number, value: string): string {
  const cols = V2.split(' ');
  cols[i] = value;
  return cols.join(' ');
}

describe('parseFlowLogDocument: public samples', () => {
  it('reads the elastic extra samples: v2 lines, IPv6, ICMP, NODATA and SKIPDATA', () => {
    const r = parseFlowLogDocument(read(ELASTIC, 'test-extra-samples.log'), 'extra.log');
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(5);
    expect(r.skipped).toEqual({ nodata: 1, skipdata: 1 });
    const [ipv6, ssh, rdp, icmpIn, icmpOut] = r.records;
    expect(ipv6?.srcaddr?.v).toBe(6);
    expect(formatIp(ipv6!.srcaddr!)).toBe('2001:db8:1234:a100:8d6e:3477:df66:f105');
    expect(ipv6).toMatchObject({ srcport: 34892, dstport: 22, protocol: 6, packets: 54, bytes: 8855, action: 'ACCEPT', version: 2, origin: 'extra.log:1' });
    expect(ipv6).toMatchObject({
      start: 1477913708000,
      end: 1477913820000,
      time: 1477913820000,
      account: '123456789010',
      interfaceId: 'eni-1235b8ca123456789',
    });
    expect(ssh?.srcText).toBe('78.24.182.42');
    expect(rdp).toMatchObject({ dstport: 3389, action: 'REJECT', origin: 'extra.log:5' });
    expect(icmpIn).toMatchObject({ protocol: 1, srcport: 0, dstport: 0, action: 'ACCEPT' });
    expect(icmpOut).toMatchObject({ protocol: 1, action: 'REJECT', srcText: '172.31.16.139', dstText: '203.0.113.12' });
    // Fields the default format lacks are undefined.
    expect(ssh).toMatchObject({ instanceId: undefined, vpcId: undefined, flowDirection: undefined, tcpFlags: undefined, region: '' });
  });

  it('reads the v5 all-fields line without a header', () => {
    const r = parseFlowLogDocument(read(ELASTIC, 'test-v5-all-fields.log'), 'v5.log');
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    const rec = r.records[0]!;
    expect(rec).toMatchObject({
      version: 5,
      account: '64111117617',
      interfaceId: 'eni-069xxxxxb7a490',
      srcText: '89.160.20.156',
      dstText: '10.200.0.0',
      srcport: 50041,
      dstport: 33004,
      protocol: 17,
      packets: 52,
      bytes: 1,
      start: 164000066000,
      end: 1640000297000,
      action: 'REJECT',
      logStatus: 'OK',
      vpcId: 'vpc-09676f97xxxxxb8a7',
      subnetId: 'subnet-02d645xxxxxxxdbc0',
      instanceId: 'i-0axxxxxx1ad77',
      tcpFlags: 1,
      trafficType: 'IPv4',
      region: 'us-east-1',
      pktSrcAwsService: 'AMAZON',
      pktDstAwsService: 'CLOUDFRONT',
      flowDirection: 'ingress',
    });
    expect(formatIp(rec.pktDstaddr!)).toBe('10.200.0.80');
  });

  it('reads the custom-format file whose header repeats', () => {
    const r = parseFlowLogDocument(read(ELASTIC, 'test-tcp-flag-sequence.log'), 'tcp.log');
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.skipped).toEqual({ nodata: 1, skipdata: 1 });
    expect(r.records[0]).toMatchObject({
      version: 3,
      vpcId: 'vpc-abcdefab012345678',
      subnetId: 'subnet-aaaaaaaa012345678',
      instanceId: 'i-01234567890123456',
      interfaceId: 'eni-1235b8ca123456789',
      account: '123456789010',
      trafficType: 'IPv4',
      srcport: 43416,
      dstport: 5001,
      protocol: 6,
      bytes: 568,
      packets: 8,
      tcpFlags: 2,
      action: 'ACCEPT',
      origin: 'tcp.log:2',
    });
  });

  it('reads the reference v2 sample (header line) and takes the region from the hint', () => {
    const path = 'bucket/AWSLogs/111122223333/vpcflowlogs/us-west-2/2021/03/08/111122223333_vpcflowlogs_us-west-2_fl-0123_20210308T1800Z_abcd.log';
    const r = parseFlowLogDocument(read(REFERENCE, 'vpcflowlogs-v2-sample.txt'), path, flowLogPathHint(path));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(2);
    expect(r.skipped).toEqual({ nodata: 1, skipdata: 0 });
    expect(r.records[0]).toMatchObject({ region: 'us-west-2', protocol: 1, srcText: '10.0.0.12', dstText: '203.0.113.10', origin: `${path}:2` });
  });
});

describe('parseFlowLogDocument: formats', () => {
  it('follows a reordered header, then a second header mid-file', () => {
    const r = parseFlowLogDocument(read(FIXTURES, 'flow-custom-headers.log'), 'custom.log', { region: 'us-east-1' });
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(4);
    const [out, inbound, icmp, icmp6] = r.records;
    expect(out).toMatchObject({
      version: 5,
      region: 'eu-west-1',
      flowDirection: 'egress',
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      dstport: 443,
      tcpFlags: 19,
      bytes: 840,
    });
    expect(inbound).toMatchObject({ instanceId: undefined, flowDirection: 'ingress', action: 'REJECT', dstport: 22 });
    expect(icmp).toMatchObject({
      version: 2,
      region: 'us-east-1',
      start: 1700000060000,
      end: 1700000120000,
      protocol: 1,
      packets: 6,
      bytes: 504,
      srcText: '10.0.1.5',
      origin: 'custom.log:5',
    });
    expect(icmp6).toMatchObject({ protocol: 58 });
    expect(icmp6?.srcaddr?.v).toBe(6);
  });

  it('reports an unknown header field once and still reads the lines by their known fields', () => {
    const r = parseFlowLogDocument(read(FIXTURES, 'flow-unknown-field.log'), 'unknown.log');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.message).toMatch(/^unknown\.log:1: unknown flow-log field "future-field"/);
    expect(r.records).toHaveLength(2);
    expect(r.records[1]?.dstText).toBe('198.51.100.24');
  });

  it('reads CloudWatch Logs export lines behind an ISO time', () => {
    const r = parseFlowLogDocument(read(FIXTURES, 'flow-cloudwatch-export.txt'), 'cw.txt');
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.origin)).toEqual(['cw.txt:1', 'cw.txt:3']);
    expect(r.skipped.nodata).toBe(1);
    expect(r.records[0]?.end).toBe(1700000060000);
  });

  it('reads CloudWatch subscription payloads written back to back (Firehose), skipping control messages', () => {
    const r = parseFlowLogDocument(read(FIXTURES, 'flow-cloudwatch-subscription.json'), 'fh.json');
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ origin: 'fh.json:1#0', dstport: 443 });
    expect(r.skipped).toEqual({ nodata: 0, skipdata: 1 });
    expect(r.errors.map((e) => e.message)).toEqual(['fh.json:1#1: "dstport" is "70000": not a port (0-65535)']);
  });

  it('reads filter-log-events output and a headerless custom format given as a hint', () => {
    const doc = JSON.stringify({ events: [{ logStreamName: 'eni-1', timestamp: 1, message: '1700000060 10.0.1.5 203.0.113.7 17 53' }] }, null, 2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's LogFormat syntax
    const r = parseFlowLogDocument(doc, 'events.json', { format: '${end} ${srcaddr} ${dstaddr} ${protocol} ${dstport}', account: '111122223333' });
    expect(r.errors).toEqual([]);
    expect(r.records[0]).toMatchObject({ start: 1700000060000, end: 1700000060000, protocol: 17, dstport: 53, account: '111122223333', interfaceId: '' });
  });

  it('uses the envelope owner as the account when the format has none', () => {
    const doc = JSON.stringify({ owner: '444455556666', logEvents: [{ message: '1700000000 1700000060 10.0.1.5 203.0.113.7' }] });
    const r = parseFlowLogDocument(doc, 'o.json', { format: 'start end srcaddr dstaddr' });
    expect(r.records[0]?.account).toBe('444455556666');
  });

  it('reports a format without start or end once, with the number of lines it could not read', () => {
    const r = parseFlowLogDocument('srcaddr dstaddr\n10.0.0.1 10.0.0.2\n10.0.0.3 10.0.0.4\n', 'notime.log');
    expect(r.records).toEqual([]);
    expect(r.errors.map((e) => e.message)).toEqual([
      'notime.log:1: the format has neither "start" nor "end": 2 records under it have no time and were not read',
    ]);
  });

  it('knows every field the sniffer knows', () => {
    expect([...FLOW_HEADER_WORDS].sort()).toEqual([...FLOW_FIELDS].sort());
  });
});

describe('parseFlowLogDocument: bad lines', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['too few fields', V2.split(' ').slice(0, 13).join(' '), /13 fields, and no header line gives the format/],
    ['bad port', v2With(6, '70000'), /"dstport" is "70000": not a port/],
    ['bad address', v2With(3, '10.0.0.256'), /"srcaddr" is "10\.0\.0\.256": not an IPv4 or IPv6 address/],
    ['start after end', v2With(10, '1700000100'), /"start" 1700000100 is after "end" 1700000060/],
    ['bad protocol', v2With(7, '256'), /"protocol" is "256"/],
    ['negative bytes', v2With(9, '-5'), /"bytes" is "-5": not a byte count/],
    ['implausible time', v2With(11, '99999999999'), /"end" is "99999999999": not a time/],
    ['bad action', v2With(12, 'ALLOW'), /"action" is "ALLOW": expected ACCEPT or REJECT/],
    ['bad status', v2With(13, 'MAYBE'), /"log-status" is "MAYBE"/],
    ['control characters', v2With(2, 'eni-\u001b[31mred\u0007'), /"interface-id" has a character outside printable ASCII: "eni-\\u\{1b\}\[31mred\\u\{7\}"/],
    ['bidi override', v2With(2, 'eni-\u202eevil'), /"interface-id" has a character outside printable ASCII: "eni-\\u\{202e\}evil"/],
    ['long value', v2With(2, `eni-${'a'.repeat(500)}`), /"interface-id" is 504 characters long; the limit is 128: "eni-a+"…/],
  ];
  for (const [what, line, reason] of bad) {
    it(`${what}: an error with file:line, the rest still parsed`, () => {
      const r = parseFlowLogDocument(`${V2}\n${line}\n${v2With(5, '49153')}\n`, 'bad.log');
      expect(r.records.map((x) => x.origin)).toEqual(['bad.log:1', 'bad.log:3']);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]?.location).toBe('bad.log:2');
      expect(r.errors[0]?.reason).toMatch(reason);
    });
  }

  it('truncates a hostile value to 100 characters in the message', () => {
    const r = parseFlowLogDocument(v2With(3, `1${'x'.repeat(5000)}`), 'long.log');
    expect(r.errors[0]?.reason.length).toBeLessThan(250);
    expect(r.errors[0]?.reason).toContain('(5001 characters)');
  });

  it('rejects a 1 MB line without splitting it and goes on', () => {
    const huge = `${V2} ${'x'.repeat(1024 * 1024)}`;
    const r = parseFlowLogDocument(`${huge}\n${V2}\n`, 'huge.log');
    expect(r.records).toHaveLength(1);
    expect(r.errors[0]?.message).toBe(`huge.log:1: line is ${huge.length} characters long; the limit is ${MAX_FLOW_LINE}`);
  });

  it('reports a line whose field count differs from its header', () => {
    const r = parseFlowLogDocument('version srcaddr start end\n2 10.0.0.1 1 2\n2 10.0.0.1 1\n', 'count.log');
    expect(r.records).toHaveLength(1);
    expect(r.errors.map((e) => e.message)).toEqual(['count.log:3: 3 fields where the header at line 1 has 4']);
  });

  it('gives a duplicate delivery the same id, and different records different ids', () => {
    const r = parseFlowLogDocument(`${V2}\n${V2}\n${v2With(8, '11')}\n`, 'dup.log');
    const [a, b, c] = r.records;
    expect(a?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a?.id).toBe(b?.id);
    expect(c?.id).not.toBe(a?.id);
    // The same record under another format (CloudWatch export line) has the same id.
    const cw = parseFlowLogDocument(`2023-11-14T22:14:00Z ${V2}`, 'cw.txt');
    expect(cw.records[0]?.id).toBe(a?.id);
  });
});

describe('flowLogPathHint', () => {
  it('reads the account and region from the S3 layouts', () => {
    expect(flowLogPathHint('s3://b/p/AWSLogs/111122223333/vpcflowlogs/eu-central-1/2024/01/02/x.log.gz')).toEqual({
      account: '111122223333',
      region: 'eu-central-1',
    });
    expect(flowLogPathHint('AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-2/year=2024/x.log.gz')).toEqual({
      account: '111122223333',
      region: 'us-east-2',
    });
    expect(flowLogPathHint('/tmp/111122223333_vpcflowlogs_ap-south-1_fl-0abc_20240102T0000Z_hash.log.gz')).toEqual({
      account: '111122223333',
      region: 'ap-south-1',
    });
    expect(flowLogPathHint('/tmp/flows.log')).toEqual({});
  });
});
