import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import type { Finding } from '../../src/core/finding.js';
import { FakeBucket, putTree } from '../fake-s3.js';
import { startTestServe, type TestServe, WORKSHOP } from '../serve-helpers.js';

/** `serve` reading the workshop's trail and its VPC Flow Logs from one S3 bucket (`logTypes`), AWS mocked at the SDK client. */

const BUCKET = 'workshop-logs';
const NOW = Date.parse('2021-03-09T06:00:00Z'); // the day after the workshop's logs
const s3Mock = mockClient(S3Client);

let bucket: FakeBucket;
let keys: string[];
let running: TestServe | undefined;

beforeEach(() => {
  s3Mock.reset();
  bucket = new FakeBucket(s3Mock, BUCKET, NOW);
  bucket.page = 5;
  // AWSLogs/111122223333/CloudTrail/{us-east-1,us-west-2}/2021/03/08/ and AWSLogs/111122223333/vpcflowlogs/us-west-2/2021/03/08/.
  keys = putTree(bucket, join(WORKSHOP, 'logs'), 'central');
  bucket.install();
});

afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** The workshop configuration's detectors (examples/workshop/trailhound.yaml), with the interface inventory flow records need. */
const DETECTORS = {
  accounts: [{ id: '111122223333', egressAddresses: ['54.214.10.20'] }],
  globalServiceRegion: 'us-west-2',
  interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' },
};

async function findings(s: TestServe): Promise<Finding[]> {
  return ((await (await s.api('/api/v1/findings?limit=1000')).json()) as { findings: Finding[] }).findings;
}

describe('serve with an S3 source reading CloudTrail and VPC Flow Logs', () => {
  it('lists both layouts of the bucket and finds scenario 1 (flow logs) next to the trail scenarios', async () => {
    running = await startTestServe({
      copyLogs: false,
      config: { detectors: DETECTORS },
      serve: {
        sources: [
          {
            type: 's3',
            name: 'central',
            bucket: BUCKET,
            prefix: 'central',
            startDate: '2021-03-08',
            logTypes: ['cloudtrail', 'vpcflowlogs'],
            intervalSeconds: 1,
          },
        ],
      },
      options: { clock: fixedClock(NOW), aws: { s3: new S3Client({ region: 'us-east-1' }) } },
    });
    await running.idle();
    const all = await findings(running);
    const ec2 = all.filter((f) => f.type === 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom');
    expect(ec2).toHaveLength(1);
    expect(ec2[0]!.service.count).toBe(60);
    expect(ec2[0]!.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    expect(all.map((f) => f.type)).toEqual(
      expect.arrayContaining(['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'Recon:IAMUser/MaliciousIPCaller.Custom']),
    );

    const metrics = await (await running.api('/metrics', { as: 'viewer' })).text();
    // Every object of the bucket copy is read: the trail's files and the flow logs.
    const flowKeys = keys.filter((k) => k.includes('/vpcflowlogs/'));
    expect(flowKeys.length).toBeGreaterThan(0);
    expect(metrics).toContain(`trailhound_objects_total{source="central"} ${keys.length}`);
    // Listing went through the per-type prefixes: the flow logs' region folder was discovered, then its day listed.
    expect(bucket.listed.every((l) => l.Prefix?.startsWith('central/AWSLogs/'))).toBe(true);
    expect(bucket.listed.map((l) => l.Prefix)).toEqual(
      expect.arrayContaining(['central/AWSLogs/111122223333/vpcflowlogs/', 'central/AWSLogs/111122223333/vpcflowlogs/us-west-2/2021/03/08/']),
    );
  });
});
