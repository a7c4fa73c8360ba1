import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quote, sniffLogKind, stripIsoPrefix } from './sniff.js';

const PUBLIC = '/work/shared/data/public-logs/elastic-integrations';
const REFERENCE = '/work/shared/reference/examples/logs';
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'network');
const FORMATS = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'formats');

describe('sniffLogKind', () => {
  const files: Array<[string, string]> = [
    [join(PUBLIC, 'vpcflow', 'test-extra-samples.log'), 'vpcflow'],
    [join(PUBLIC, 'vpcflow', 'test-tcp-flag-sequence.log'), 'vpcflow'],
    [join(PUBLIC, 'vpcflow', 'test-v5-all-fields.log'), 'vpcflow'],
    [join(REFERENCE, 'vpcflowlogs-v2-sample.txt'), 'vpcflow'],
    [join(FIXTURES, 'flow-custom-headers.log'), 'vpcflow'],
    [join(FIXTURES, 'flow-cloudwatch-export.txt'), 'vpcflow'],
    [join(FIXTURES, 'flow-cloudwatch-subscription.json'), 'vpcflow'],
    [join(PUBLIC, 'route53_resolver_logs', 'test-route53.log'), 'route53-resolver'],
    [join(REFERENCE, 'route53-resolver-query-log-sample.constructed.jsonl'), 'route53-resolver'],
    [join(FIXTURES, 'dns-array.json'), 'route53-resolver'],
    [join(FIXTURES, 'dns-cloudwatch-subscription.json'), 'route53-resolver'],
    [join(FIXTURES, 'dns-cloudwatch-export.txt'), 'route53-resolver'],
    [join(REFERENCE, 'cloudtrail-sample.constructed.json'), 'cloudtrail'],
  ];
  for (const [file, kind] of files) {
    it(`recognises ${file.split('/').slice(-2).join('/')} as ${kind}`, () => {
      expect(sniffLogKind(readFileSync(file, 'utf8'), '/tmp/x')).toBe(kind);
    });
  }

  it('recognises CloudTrail shapes: Records, NDJSON records, EventBridge envelopes', () => {
    const rec = { eventVersion: '1.09', eventSource: 'iam.amazonaws.com', eventName: 'GetUser', eventTime: '2024-01-01T00:00:00Z' };
    expect(sniffLogKind(JSON.stringify({ Records: [rec] }), 'x')).toBe('cloudtrail');
    expect(sniffLogKind(`${JSON.stringify(rec)}\n${JSON.stringify(rec)}\n`, 'x')).toBe('cloudtrail');
    expect(sniffLogKind(JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: rec }), 'x')).toBe('cloudtrail');
    // A big document: the first 4 KB are enough.
    const big = JSON.stringify({ Records: Array.from({ length: 500 }, () => rec) }, null, 2);
    expect(sniffLogKind(big, 'x')).toBe('cloudtrail');
  });

  it('recognises the bundled CloudTrail format fixtures', () => {
    const names = [
      'array.json',
      'bom-whitespace.json',
      'bom.ndjson',
      'eventbridge-array.json',
      'eventbridge.json',
      'eventbridge.ndjson',
      'ndjson.jsonl',
      'records.json',
      'single.json',
      'whitespace.json',
    ];
    for (const name of names) expect([name, sniffLogKind(readFileSync(join(FORMATS, name), 'utf8'), 'x')]).toEqual([name, 'cloudtrail']);
  });

  it('recognises a pretty-printed Resolver record cut by the 4 KB window', () => {
    const rec = {
      query_timestamp: '2021-03-08T18:02:11Z',
      query_name: 'a.example.',
      answers: Array.from({ length: 200 }, () => ({ Rdata: '1.2.3.4', Type: 'A', Class: 'IN' })),
    };
    expect(sniffLogKind(JSON.stringify(rec, null, 2), 'x')).toBe('route53-resolver');
  });

  it('falls back to the S3 path', () => {
    expect(sniffLogKind('', 'bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/x.json.gz')).toBe('cloudtrail');
    expect(sniffLogKind('???', 'bucket/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/01/01/x.log.gz')).toBe('vpcflow');
    expect(sniffLogKind('', 'AWSLogs/111122223333/vpcdnsquerylogs/vpc-1/2024/01/01/x.log.gz')).toBe('route53-resolver');
    expect(sniffLogKind('', 'AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-1/x.log.gz')).toBe('vpcflow');
    expect(sniffLogKind('', 'C:\\logs\\AWSLogs\\111122223333\\vpcflowlogs\\x.log')).toBe('vpcflow');
    expect(sniffLogKind('', 'bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/x.json.gz')).toBeUndefined();
    expect(sniffLogKind('hello world', '/tmp/notes.txt')).toBeUndefined();
  });

  it('prefers the content over the path', () => {
    const flow = readFileSync(join(REFERENCE, 'vpcflowlogs-v2-sample.txt'), 'utf8');
    expect(sniffLogKind(flow, 'AWSLogs/111122223333/CloudTrail/us-east-1/x.json')).toBe('vpcflow');
  });
});

describe('helpers', () => {
  it('quote escapes control, bidi and zero-width characters and truncates', () => {
    expect(quote('a\u001b[2Jb\u202ec\u200bd"e\\')).toBe('"a\\u{1b}[2Jb\\u{202e}c\\u{200b}d\\"e\\\\"');
    expect(quote('x'.repeat(150))).toBe(`"${'x'.repeat(100)}"… (150 characters)`);
  });

  it('stripIsoPrefix takes off a CloudWatch export time only', () => {
    expect(stripIsoPrefix('2021-03-08T18:00:00.000Z 2 1111 eni-1')).toBe('2 1111 eni-1');
    expect(stripIsoPrefix('2021-03-08T18:00:00Z {"a":1}')).toBe('{"a":1}');
    expect(stripIsoPrefix('2 111122223333 eni-1')).toBeUndefined();
    expect(stripIsoPrefix('2021-03-08 is a date and more text here')).toBeUndefined();
  });
});
