import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { rejected, tempDir } from '../../test/helpers.js';
import { InputError } from '../core/errors.js';
import { CheckpointStore } from './checkpoint.js';
import type { SourceObject } from './source.js';
import { parseNotification, SqsS3Source, type SqsS3SourceOptions } from './sqs.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/trail-events';
const BUCKET = 'trail-bucket';
const KEY = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/10/111122223333_CloudTrail_us-east-1_20260110T1200Z_abc.json.gz';
const KEY2 = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/10/111122223333_CloudTrail_us-east-1_20260110T1205Z_def.json.gz';
const SPACED = 'my logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/10/111122223333_CloudTrail_us-east-1_20260110T1210Z_g+h.json.gz';
const NOW = Date.parse('2026-01-10T12:30:00Z');
const FLOW_KEY = 'AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/01/10/111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20260110T1215Z_1f1072d1.log.gz';
const HIVE_FLOW_KEY =
  'AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=01/day=10/111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20260110T1220Z_2a2b.log.gz';
const DNS_KEY =
  'AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d4e5f60718/2026/01/10/vpc-0a1b2c3d4e5f60718_vpcdnsquerylogs_111122223333_20260110T1215Z_71584702.log.gz';
const PARQUET_KEY =
  'AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/01/10/111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20260110T1215Z_9c9c.log.parquet';

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);

function s3Event(keys: string[], o: { eventName?: string; bucket?: string; encode?: boolean } = {}): string {
  return JSON.stringify({
    Records: keys.map((k, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventTime: '2026-01-10T12:06:00.000Z',
      eventName: o.eventName ?? 'ObjectCreated:Put',
      s3: {
        bucket: { name: o.bucket ?? BUCKET },
        // S3 URL-encodes keys in notifications, spaces as '+'.
        object: { key: o.encode === false ? k : encodeURIComponent(k).replace(/%2F/g, '/').replace(/%20/g, '+'), size: 10, eTag: `etag${i}-${k.length}` },
      },
    })),
  });
}

function sns(message: string): string {
  return JSON.stringify({ Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:111122223333:trail', Message: message });
}

const cloudTrailSns = (keys: string[]) => JSON.stringify({ s3Bucket: BUCKET, s3ObjectKey: keys });
const TEST_EVENT = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-10T12:00:00.000Z', Bucket: BUCKET });

let queue: Message[];
let deleted: string[];
let checkpoints: CheckpointStore;

/** Messages are received once each (in batches of at most MaxNumberOfMessages), as if deleted or invisible after. */
function installQueue(): void {
  sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => {
    const batch = queue.splice(0, input.MaxNumberOfMessages ?? 1);
    return { Messages: batch };
  });
  sqsMock.on(DeleteMessageCommand).callsFake((input: { ReceiptHandle: string }) => {
    deleted.push(input.ReceiptHandle);
    return {};
  });
}

function message(id: string, body: string): Message {
  return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: body, Attributes: { ApproximateReceiveCount: '1' } };
}

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  queue = [];
  deleted = [];
  installQueue();
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = gzipSync(JSON.stringify({ Records: [{ eventID: input.Key }] }));
    return { ContentLength: body.length, Body: { transformToByteArray: async () => new Uint8Array(body) } as never };
  });
  s3Mock.on(HeadObjectCommand).callsFake((input: { Key: string }) => ({ ETag: `"head-${input.Key.length}"`, LastModified: new Date(NOW - 60_000) }));
  checkpoints = new CheckpointStore(new Database(join(tempDir(), 'findings.db')));
});

function source(o: Partial<SqsS3SourceOptions> = {}): SqsS3Source {
  return new SqsS3Source({
    name: 'queue',
    queueUrl: QUEUE,
    sqs: new SQSClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    checkpoints,
    waitTimeSeconds: 0,
    now: () => NOW,
    ...o,
  });
}

async function commit(objs: SourceObject[]): Promise<void> {
  for (const obj of objs) {
    await obj.read();
    checkpoints.markDone(obj.source, obj.key, obj.version, NOW, 1);
    await obj.ack?.();
  }
}

describe('parseNotification', () => {
  it('reads S3 events, SNS-wrapped S3 events, CloudTrail notifications and the test event', () => {
    expect(parseNotification(s3Event([KEY]))).toEqual({
      kind: 'objects',
      objects: [{ bucket: BUCKET, key: KEY, etag: `etag0-${KEY.length}`, eventTime: Date.parse('2026-01-10T12:06:00.000Z') }],
    });
    expect(parseNotification(s3Event([SPACED]))).toMatchObject({ objects: [{ key: SPACED }] });
    expect(parseNotification(sns(s3Event([KEY])))).toMatchObject({ kind: 'objects', objects: [{ bucket: BUCKET, key: KEY }] });
    expect(parseNotification(sns(cloudTrailSns([KEY, KEY2])))).toEqual({
      kind: 'objects',
      objects: [
        { bucket: BUCKET, key: KEY },
        { bucket: BUCKET, key: KEY2 },
      ],
    });
    expect(parseNotification(cloudTrailSns([KEY]))).toMatchObject({ kind: 'objects' });
    expect(parseNotification(TEST_EVENT)).toEqual({ kind: 'test' });
    expect(parseNotification(sns(TEST_EVENT))).toEqual({ kind: 'test' });
    expect(parseNotification(s3Event([KEY], { eventName: 'ObjectRemoved:Delete' }))).toEqual({ kind: 'objects', objects: [] });
  });

  it('says why a body is not a notification', () => {
    expect(parseNotification('not json')).toEqual({ kind: 'invalid', reason: 'the body is not JSON' });
    expect(parseNotification(JSON.stringify({ Type: 'Notification', Message: '{' }))).toMatchObject({ reason: /Message is not JSON/ });
    expect(parseNotification('[1]')).toMatchObject({ kind: 'invalid' });
    expect(parseNotification(JSON.stringify({ Records: [{ s3: { bucket: {} } }] }))).toMatchObject({ reason: /Records\[0\]/ });
    expect(parseNotification(s3Event(['bad%zzkey.json.gz'], { encode: false }))).toMatchObject({ reason: /not URL-encoded/ });
    expect(parseNotification(JSON.stringify({ s3Bucket: BUCKET, s3ObjectKey: [1] }))).toMatchObject({ kind: 'invalid' });
    expect(parseNotification(JSON.stringify({ hello: 'world' }))).toMatchObject({ reason: /not an S3 event notification/ });
    expect(parseNotification(undefined)).toMatchObject({ kind: 'invalid' });
  });
});

describe('SqsS3Source', () => {
  it('turns a plain S3 event into an object read from S3, and deletes the message after the ack', async () => {
    queue.push(message('m1', s3Event([SPACED])));
    const s = source();
    const objs = await s.poll(10);
    expect(objs).toHaveLength(1);
    expect(objs[0]).toMatchObject({
      source: 'queue',
      key: `s3://${BUCKET}/${SPACED}`,
      version: `etag0-${SPACED.length}`,
      modifiedAt: Date.parse('2026-01-10T12:06:00Z'),
    });
    const d = await objs[0]!.read();
    expect(d).toMatchObject({ path: `s3://${BUCKET}/${SPACED}`, gzip: true });
    expect(JSON.parse(d.text).Records[0].eventID).toBe(SPACED);
    expect(deleted).toEqual([]);
    expect(s.stats().backlog).toBe(1);
    await commit(objs);
    expect(deleted).toEqual(['rh-m1']);
    expect(s.stats()).toMatchObject({ backlog: 0, lastPollAt: NOW });
    const receive = sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toMatchObject({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
  });

  it('reads an SNS-wrapped S3 event and CloudTrail’s own SNS notification (looking the ETag up)', async () => {
    queue.push(message('m1', sns(s3Event([KEY]))), message('m2', sns(cloudTrailSns([KEY2]))));
    const objs = await source().poll(10);
    expect(objs.map((o) => [o.key, o.version])).toEqual([
      [`s3://${BUCKET}/${KEY}`, `etag0-${KEY.length}`],
      [`s3://${BUCKET}/${KEY2}`, `head-${KEY2.length}`],
    ]);
    expect(objs[1]!.modifiedAt).toBe(NOW - 60_000);
    await commit(objs);
    expect(deleted.sort()).toEqual(['rh-m1', 'rh-m2']);
  });

  it('acknowledges the test event, non-log keys and removals without reading anything', async () => {
    queue.push(
      message('t', TEST_EVENT),
      message('digest', s3Event(['AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/10/d_CloudTrail-Digest_x.json.gz'])),
      message('removed', s3Event([KEY], { eventName: 'ObjectRemoved:Delete' })),
    );
    const s = source();
    expect(await s.poll(10)).toEqual([]);
    expect(deleted).toEqual(['rh-t', 'rh-digest', 'rh-removed']);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s.drainErrors()).toEqual([]);
  });

  it('reports a message it cannot parse once, with its id and reason, and leaves it on the queue', async () => {
    const bad = message('bad-1', '{"hello":');
    queue.push(bad, message('ok', s3Event([KEY])));
    const s = source();
    const objs = await s.poll(10);
    expect(objs).toHaveLength(1);
    const errors = s.drainErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect(errors[0]!.location).toBe(`${QUEUE}#bad-1`);
    expect(errors[0]!.reason).toMatch(/not JSON.*left on the queue/);
    await commit(objs);
    expect(deleted).toEqual(['rh-ok']);
    // It comes back after its visibility timeout: not deleted, not reported again.
    queue.push(bad);
    expect(await s.poll(10)).toEqual([]);
    expect(s.drainErrors()).toEqual([]);
    expect(deleted).toEqual(['rh-ok']);
  });

  it('deletes a message only after every object it announced is acked', async () => {
    queue.push(message('multi', cloudTrailSns([KEY, KEY2])));
    const s = source();
    const objs = await s.poll(10);
    expect(objs).toHaveLength(2);
    await commit([objs[0]!]);
    // Acking twice counts once.
    await objs[0]!.ack!();
    expect(deleted).toEqual([]);
    await commit([objs[1]!]);
    expect(deleted).toEqual(['rh-multi']);
  });

  it('acks objects already done at once, without returning or reading them', async () => {
    checkpoints.markDone('queue', `s3://${BUCKET}/${KEY}`, `etag0-${KEY.length}`, NOW, 3);
    queue.push(message('again', s3Event([KEY])), message('half', s3Event([KEY, KEY2])));
    const objs = await source().poll(10);
    expect(objs.map((o) => o.key)).toEqual([`s3://${BUCKET}/${KEY2}`]);
    expect(deleted).toEqual(['rh-again']);
    await commit(objs);
    expect(deleted).toEqual(['rh-again', 'rh-half']);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('returns at most max objects, keeping the rest of a message for the next poll', async () => {
    queue.push(message('three', cloudTrailSns([KEY, KEY2, SPACED])));
    const s = source();
    const first = await s.poll(2);
    expect(first).toHaveLength(2);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input.MaxNumberOfMessages).toBe(2);
    expect(s.stats().backlog).toBe(3);
    await commit(first);
    const second = await s.poll(1);
    expect(second.map((o) => o.key)).toEqual([`s3://${BUCKET}/${SPACED}`]);
    // Served from memory: no receive while enough objects were pending.
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(deleted).toEqual([]);
    await commit(second);
    expect(deleted).toEqual(['rh-three']);
  });

  it('reports an announced object that no longer exists and acks it; keeps a message whose object it cannot look up', async () => {
    s3Mock.on(HeadObjectCommand, { Key: KEY }).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    s3Mock.on(HeadObjectCommand, { Key: KEY2 }).rejects(Object.assign(new Error('Forbidden'), { name: 'AccessDenied' }));
    queue.push(message('gone', cloudTrailSns([KEY])), message('denied', cloudTrailSns([KEY2])));
    const s = source();
    expect(await s.poll(10)).toEqual([]);
    expect(deleted).toEqual(['rh-gone']);
    const errors = s.drainErrors().map((e) => e.message);
    expect(errors).toEqual([expect.stringContaining('no longer exists'), expect.stringMatching(/#denied: cannot look up .*Forbidden/)]);
  });

  it('gives an InputError naming the object for a truncated gzip body', async () => {
    const gz = gzipSync(JSON.stringify({ Records: Array.from({ length: 300 }, (_, i) => ({ eventID: `e${i}` })) }));
    const cut = gz.subarray(0, gz.length - 5);
    s3Mock.on(GetObjectCommand).resolves({ ContentLength: cut.length, Body: { transformToByteArray: async () => new Uint8Array(cut) } as never });
    queue.push(message('m', s3Event([KEY])));
    const [obj] = await source().poll(10);
    const err = await rejected(obj!.read());
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe(`s3://${BUCKET}/${KEY}`);
  });

  it('throws when receiving fails, and records it in stats', async () => {
    sqsMock.on(ReceiveMessageCommand).rejects(Object.assign(new Error('The specified queue does not exist'), { name: 'QueueDoesNotExist' }));
    const s = source();
    await expect(s.poll(10)).rejects.toThrow(/queue does not exist/);
    expect(s.stats().lastError).toMatch(/queue does not exist/);
  });

  it('rejects a wait time SQS does not allow', () => {
    expect(() => source({ waitTimeSeconds: 21 })).toThrow(/waitTimeSeconds/);
  });

  it('reads the flow-log and query-log objects notifications announce, and deletes each message after its commit', async () => {
    queue.push(message('flow', s3Event([FLOW_KEY])), message('hive', sns(s3Event([HIVE_FLOW_KEY]))), message('dns', s3Event([DNS_KEY])));
    const s = source();
    const objs = await s.poll(10);
    expect(objs.map((o) => o.key)).toEqual([FLOW_KEY, HIVE_FLOW_KEY, DNS_KEY].map((k) => `s3://${BUCKET}/${k}`));
    expect((await objs[0]!.read()).path).toBe(`s3://${BUCKET}/${FLOW_KEY}`);
    expect(deleted).toEqual([]);
    await commit([objs[0]!]);
    expect(deleted).toEqual(['rh-flow']);
    await commit(objs.slice(1));
    expect(deleted).toEqual(['rh-flow', 'rh-hive', 'rh-dns']);
    expect(new Set(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key))).toEqual(new Set([FLOW_KEY, HIVE_FLOW_KEY, DNS_KEY]));
  });

  it('acks Parquet flow logs and unknown objects without reading them, counting them', async () => {
    queue.push(
      message('parquet', s3Event([PARQUET_KEY])),
      message('unknown', s3Event(['exports/2026/01/10/report.csv', 'elsewhere/flows.log.gz'])),
      message('mixed', s3Event([PARQUET_KEY.replace('9c9c', '8d8d'), FLOW_KEY])),
    );
    const s = source();
    const objs = await s.poll(10);
    expect(objs.map((o) => o.key)).toEqual([`s3://${BUCKET}/${FLOW_KEY}`]);
    expect(deleted).toEqual(['rh-parquet', 'rh-unknown']);
    await commit(objs);
    expect(deleted).toEqual(['rh-parquet', 'rh-unknown', 'rh-mixed']);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(s.stats()).toMatchObject({ backlog: 0, skipped: { parquet: 2, other: 2, digest: 0 } });
    expect(s.drainErrors()).toEqual([]);
  });
});
