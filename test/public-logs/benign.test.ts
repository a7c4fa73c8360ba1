import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { parseCidr } from '../../src/core/ip.js';
import { API_CALL_DETAIL_TYPES } from '../../src/parsers/cloudtrail.js';
import { detectPaths, detectRecords, PUBLIC_LOGS, SHARED, tempFile } from '../helpers.js';

/**
 * Benign input, and AWS's own traffic on an instance's behalf, must not produce InstanceCredentialExfiltration
 * findings. Each group has a positive control where that is needed, so that "no finding" is not vacuous.
 */

const ICE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.';
const OUTSIDE = `${ICE}OutsideAWS`;
const isIce = (f: Finding) => f.type.startsWith(ICE);

describe('TrailDiscover sample records (real, mostly AccessDenied, source 0.0.0.0)', () => {
  const DIR = join(PUBLIC_LOGS, 'traildiscover', 'events');
  const FILES = readdirSync(DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json.cloudtrail'))
    .sort()
    .map((f) => join(DIR, f));

  it('are JSON arrays of records or single record objects, both accepted by the parser', () => {
    expect(FILES).toHaveLength(336);
    const shapes = { array: 0, object: 0 };
    for (const f of FILES) {
      const doc = JSON.parse(readFileSync(f, 'utf8'));
      if (Array.isArray(doc)) shapes.array++;
      else if (typeof doc === 'object' && doc !== null && !('Records' in doc)) shapes.object++;
    }
    expect(shapes).toEqual({ array: 317, object: 19 });
  });

  it('all 336 files together: every record is read (one has no userIdentity), one duplicate delivery, no ICE finding', async () => {
    let records = 0;
    for (const f of FILES) {
      const doc = JSON.parse(readFileSync(f, 'utf8'));
      records += Array.isArray(doc) ? doc.length : 1;
    }
    expect(records).toBe(315); // 21 files are empty arrays
    const result = await detectPaths(FILES);
    expect(result.stats.files).toBe(336);
    expect(result.rejected.map((e) => e.message)).toEqual([
      `${join(DIR, 'SES', 'SendEmail.json.cloudtrail')}#0: "userIdentity" is missing, expected an object`,
    ]);
    // ECR/DescribeRepositorie.json.cloudtrail and ECR/DescribeRepositories.json.cloudtrail hold the same record (same eventID).
    expect(result.stats.duplicates).toBe(1);
    expect(result.stats.events).toBe(313);
    expect(result.findings.filter(isIce)).toEqual([]);
  });
});

describe('AWS service traffic', () => {
  describe('cloud-custodian EventBridge samples', () => {
    const DIR = join(PUBLIC_LOGS, 'cloud-custodian-cwe');
    const docs = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ file: f, doc: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Record<string, any> }));
    const envelopes = docs.filter((d) => 'detail-type' in d.doc);
    const apiCalls = envelopes.filter((d) => d.doc['detail-type'] === 'AWS API Call via CloudTrail');
    const others = envelopes.filter((d) => d.doc['detail-type'] !== 'AWS API Call via CloudTrail');
    const bare = docs.filter((d) => !('detail-type' in d.doc));

    it('37 files: 10 CloudTrail API-call envelopes, 11 other EventBridge events, 16 bare records or other documents', () => {
      expect(docs).toHaveLength(37);
      expect(apiCalls).toHaveLength(10);
      expect(others).toHaveLength(11);
      expect(bare).toHaveLength(16);
    });

    it.each(apiCalls.map((d) => d.file))('%s: the CloudTrail record under detail is read; no ICE finding', async (file) => {
      const result = await detectPaths([join(DIR, file)]);
      expect(result.rejected).toEqual([]);
      expect(result.stats.events).toBe(1);
      expect(result.findings.filter(isIce)).toEqual([]);
    });

    it.each(others.map((d) => [d.file, d.doc['detail-type'] as string]))('%s (%s): rejected, the reason names the detail-type', async (file, detailType) => {
      expect(API_CALL_DETAIL_TYPES.has(detailType)).toBe(false);
      const result = await detectPaths([join(DIR, file)]);
      expect(result.stats.events).toBe(0);
      expect(result.rejected.map((e) => e.reason)).toEqual([
        `EventBridge event of detail-type ${JSON.stringify(detailType)} does not carry a CloudTrail record`,
      ]);
    });

    // Not EventBridge envelopes: 13 bare CloudTrail records (read), and 3 documents that are not usable records.
    const BARE_REJECTED: Record<string, string> = {
      'event-cloud-trail-bedrock-create-customization-jobs.json': '"eventTime" is missing, expected a string',
      'event-config-rule-instance.json': 'not a CloudTrail record: "eventName" is missing', // an AWS Config rule invocation
      'event-config-rule-security-group.json': 'not a CloudTrail record: "eventName" is missing',
    };
    it.each(bare.map((d) => d.file))('%s (bare document): no ICE finding', async (file) => {
      const result = await detectPaths([join(DIR, file)]);
      const reason = BARE_REJECTED[file];
      expect(result.rejected.map((e) => e.reason)).toEqual(reason ? [reason] : []);
      expect(result.stats.events).toBe(reason ? 0 : 1);
      expect(result.findings.filter(isIce)).toEqual([]);
    });
  });

  describe('constructed instance-role calls that AWS makes or routes', () => {
    const ACCOUNT = '444455556666';
    const INSTANCE = 'i-0fedcba9876543210';
    // An address in an EC2 prefix of AWS's published ranges (the same file Trailhound bundles).
    const AWS_ADDRESS = '54.247.10.20';
    const OUTSIDE_ADDRESS = '198.51.100.200';
    let n = 0;

    function instanceCall(fields: Record<string, unknown>, identity: Record<string, unknown> = {}): Record<string, unknown> {
      n++;
      return {
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLEWEBROLE01:${INSTANCE}`,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/WebServerRole/${INSTANCE}`,
          accountId: ACCOUNT,
          accessKeyId: 'ASIAEXAMPLEWEBSERVER',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLEWEBROLE01',
              arn: `arn:aws:iam::${ACCOUNT}:role/WebServerRole`,
              accountId: ACCOUNT,
              userName: 'WebServerRole',
            },
            attributes: { creationDate: '2025-06-01T08:00:00Z', mfaAuthenticated: 'false' },
            ec2RoleDelivery: '2.0',
          },
          ...identity,
        },
        eventTime: `2025-06-01T09:${String(n).padStart(2, '0')}:00Z`,
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        awsRegion: 'eu-west-1',
        sourceIPAddress: OUTSIDE_ADDRESS,
        userAgent: 'aws-sdk-java/2.25.0',
        requestParameters: { bucketName: 'web-assets', key: 'index.html' },
        responseElements: null,
        eventID: `benign-${String(n).padStart(4, '0')}`,
        readOnly: true,
        eventType: 'AwsApiCall',
        managementEvent: false,
        eventCategory: 'Data',
        recipientAccountId: ACCOUNT,
        ...fields,
      };
    }

    it(`${AWS_ADDRESS} is in an EC2 prefix of /work/shared/data/aws-ip-ranges.json`, () => {
      const ranges = JSON.parse(readFileSync(join(SHARED, 'data', 'aws-ip-ranges.json'), 'utf8')) as {
        prefixes: Array<{ ip_prefix: string; service: string }>;
      };
      const ip = parseCidr(AWS_ADDRESS);
      if ('error' in ip || ip.v !== 4) throw new Error('bad address');
      const inEc2 = ranges.prefixes.some((p) => {
        const c = parseCidr(p.ip_prefix);
        if ('error' in c || c.v !== 4) return false;
        const mask = c.len === 0 ? 0 : (0xffffffff << (32 - c.len)) >>> 0;
        return p.service === 'EC2' && (ip.n & mask) >>> 0 === c.n;
      });
      expect(inEc2).toBe(true);
    });

    it('positive control: the same instance credentials from an address outside AWS give OutsideAWS', async () => {
      const findings = await detectRecords([instanceCall({})]);
      expect(findings.map((f) => f.type)).toEqual([OUTSIDE]);
      expect(findings[0]?.resource.instanceDetails?.instanceId).toBe(INSTANCE);
    });

    const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
      [
        'source "AWS Internal" (SSM agent channel)',
        {
          sourceIPAddress: 'AWS Internal',
          eventSource: 'ec2messages.amazonaws.com',
          eventName: 'GetMessages',
          eventCategory: 'Management',
          managementEvent: true,
          requestParameters: null,
        },
      ],
      ['source is a service name (ec2.amazonaws.com)', { sourceIPAddress: 'ec2.amazonaws.com' }],
      [
        'source is a service name (cloudformation.amazonaws.com), KMS Decrypt',
        {
          sourceIPAddress: 'cloudformation.amazonaws.com',
          eventSource: 'kms.amazonaws.com',
          eventName: 'Decrypt',
          eventCategory: 'Management',
          managementEvent: true,
        },
      ],
      ['invokedBy an AWS service, from a public address', {}, { invokedBy: 'ssm.amazonaws.com' }],
      ['invokedBy an AWS service, source is the service', { sourceIPAddress: 'eks.amazonaws.com' }, { invokedBy: 'eks.amazonaws.com' }],
      ['through a VPC endpoint', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60718' }],
      ['from a private 10.x address', { sourceIPAddress: '10.20.30.40' }],
      [
        'SSM agent channel (ssmmessages) from a public address',
        { eventSource: 'ssmmessages.amazonaws.com', eventName: 'OpenDataChannel', eventCategory: 'Management', managementEvent: true },
      ],
      [`from an address in AWS's ranges (${AWS_ADDRESS}), nothing known about the instance`, { sourceIPAddress: AWS_ADDRESS }],
    ];

    it.each(CASES)('%s: no ICE finding', async (_name, fields, identity) => {
      expect((await detectRecords([instanceCall(fields, identity)])).filter(isIce)).toEqual([]);
    });

    it('all of them together: no ICE finding, and the AWS-address call is left undecided (not guessed)', async () => {
      const path = tempFile('benign.json', JSON.stringify({ Records: CASES.map(([, f, i]) => instanceCall(f, i)) }));
      const result = await detectPaths([path]);
      expect(result.rejected).toEqual([]);
      expect(result.findings.filter(isIce)).toEqual([]);
      expect(result.stats.engine.detectors['unauthorized-access-iam-user-instance-credential-exfiltration-inside-aws']?.undecided).toBe(1);
    });
  });
});

describe('no OutsideAWS finding where no instance credentials leave AWS', () => {
  const INSTANCE_ARN = /:assumed-role\/[^/]+\/i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/i;

  it("Panther's expect_alert=false tests (all AWS rules): 279 events, none gives OutsideAWS", async () => {
    const tests: Array<{ rule: string; name: string; expect_alert: boolean; event: Record<string, any> }> = readFileSync(
      join(PUBLIC_LOGS, 'panther', 'panther-all-aws-tests.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    const negatives = tests.filter((t) => t.expect_alert === false);
    expect(negatives).toHaveLength(279);
    // The negatives do exercise the detector: 7 of them are calls with an instance role's credentials.
    expect(negatives.filter((t) => INSTANCE_ARN.test(t.event?.userIdentity?.arn ?? ''))).toHaveLength(7);
    // Exceptions (instance credentials truly used from a non-AWS address): none in this file.
    const EXCEPTIONS: string[] = [];
    const offending: string[] = [];
    let accepted = 0;
    for (const t of negatives) {
      const result = await detectPaths([tempFile('event.json', JSON.stringify({ Records: [t.event] }))]);
      if (result.rejected.length > 0) continue; // not a CloudTrail record (lower-case keys, p_* only, VPC Flow, DNS, ...)
      accepted++;
      if (result.findings.some((f) => f.type === OUTSIDE)) offending.push(`${t.rule} / ${t.name}`);
    }
    expect(accepted).toBeGreaterThan(200); // 237 when written
    expect(offending).toEqual(EXCEPTIONS);
  });

  it('all 35 Stratus Red Team files without a threat list: none gives OutsideAWS (the stolen instance credentials are used from an AWS address)', async () => {
    const dir = join(PUBLIC_LOGS, 'stratus-red-team');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f));
    expect(files).toHaveLength(35);
    const result = await detectPaths(files);
    expect(result.rejected).toEqual([]);
    expect(result.stats.events).toBe(310);
    expect(result.findings.filter((f) => f.type === OUTSIDE)).toEqual([]);
  });
});
