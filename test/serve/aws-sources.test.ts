import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import type { Finding } from '../../src/core/finding.js';
import { FakeBucket } from '../fake-s3.js';
import { startTestServe, type TestServe, WORKSHOP } from '../serve-helpers.js';

/** `serve` reading the workshop's trail from S3 (listing by prefix, and SQS notifications), AWS mocked at the SDK client. */

const BUCKET = 'workshop-trail';
const NOW = Date.parse('2021-03-09T06:00:00Z'); // the day after the workshop's logs
const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);

let bucket: FakeBucket;
let keys: string[];
let running: TestServe | undefined;

beforeEach(() => {
  s3Mock.reset();
  sqsMock.reset();
  bucket = new FakeBucket(s3Mock, BUCKET, NOW);
  bucket.page = 5;
  const root = join(WORKSHOP, 'logs');
  keys = walk(root).map((file) => {
    const key = `trail/${relative(root, file)}`;
    bucket.put(key, readFileSync(file));
    return key;
  });
  bucket.install();
});

afterEach(async () => {
  await running?.close();
  running = undefined;
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

async function findingTypes(s: TestServe): Promise<string[]> {
  const r = (await (await s.api('/api/v1/findings?limit=1000')).json()) as { findings: Finding[] };
  return [...new Set(r.findings.map((f) => f.type))].sort();
}

describe('serve with AWS sources', () => {
  it('lists a CloudTrail bucket by account/region/day prefix and finds the workshop scenarios', async () => {
    running = await startTestServe({
      copyLogs: false,
      serve: { sources: [{ type: 's3', name: 'trail', bucket: BUCKET, prefix: 'trail', startDate: '2021-03-08', intervalSeconds: 1 }] },
      options: { clock: fixedClock(NOW), aws: { s3: new S3Client({ region: 'us-east-1' }) } },
    });
    await running.idle();
    const types = await findingTypes(running);
    expect(types).toEqual(
      expect.arrayContaining([
        'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        'Recon:IAMUser/MaliciousIPCaller.Custom',
        'Stealth:S3/ServerAccessLoggingDisabled',
        'Policy:S3/BucketBlockPublicAccessDisabled',
      ]),
    );
    const metrics = await (await running.api('/metrics', { as: 'viewer' })).text();
    // The S3 source reads the trail (CloudTrail prefixes); the bucket copy also holds scenario 1's flow logs.
    expect(metrics).toContain(`trailhound_objects_total{source="trail"} ${keys.filter((k) => k.includes('/CloudTrail/')).length}`);
    // Listing went through the trail's prefixes, not a scan of the bucket.
    expect(bucket.listed.every((l) => l.Prefix?.startsWith('trail/AWSLogs/'))).toBe(true);
  });

  it('reads the objects S3 notifications announce on SQS and deletes each message after its objects are committed', async () => {
    const messages: Message[] = keys.map((key, i) => ({
      MessageId: `m${i}`,
      ReceiptHandle: `r${i}`,
      Body: JSON.stringify({
        Records: [
          { eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), eTag: 'x' } } },
        ],
      }),
    }));
    const deleted: string[] = [];
    let pending = [...messages];
    sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => {
      const batch = pending.slice(0, input.MaxNumberOfMessages ?? 1);
      return { Messages: batch };
    });
    sqsMock.on(DeleteMessageCommand).callsFake((input: { ReceiptHandle: string }) => {
      deleted.push(input.ReceiptHandle);
      pending = pending.filter((m) => m.ReceiptHandle !== input.ReceiptHandle);
      return {};
    });
    running = await startTestServe({
      copyLogs: false,
      serve: {
        sources: [
          { type: 'sqs', name: 'notifications', queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/trail', waitSeconds: 0, intervalSeconds: 0.05 },
        ],
      },
      options: { clock: fixedClock(NOW), aws: { s3: new S3Client({ region: 'us-east-1' }), sqs: new SQSClient({ region: 'us-east-1' }) } },
    });
    await running.idle();
    expect(deleted.sort()).toEqual(messages.map((m) => m.ReceiptHandle as string).sort());
    expect(await findingTypes(running)).toContain('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
  });
});
