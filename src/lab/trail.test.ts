import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCloudTrailDocument } from '../parsers/cloudtrail.js';
import { LabLogError } from './log-delivery.js';
import { cloudTrailDate } from './time.js';
import { HIDDEN, TrailWriter, toCloudTrailRecord, trailObjectKey } from './trail.js';
import type { LabApiCall, LabPrincipal } from './types.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const AT = new Date('2026-03-04T05:06:59.000Z');

const USER: LabPrincipal = {
  type: 'IAMUser',
  accountId: ACCOUNT,
  userName: 'dev-alice',
  principalId: 'AIDAEXAMPLEALICE0001',
  arn: `arn:aws:iam::${ACCOUNT}:user/dev-alice`,
  accessKeyId: 'AKIAEXAMPLEALICE0001',
};
const INSTANCE_ROLE: LabPrincipal = {
  type: 'AssumedRole',
  accountId: ACCOUNT,
  roleName: 'web-role',
  roleId: 'AROAEXAMPLEWEBROLE01',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/web-role`,
  sessionName: 'i-0abc1234def567890',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-role/i-0abc1234def567890`,
  accessKeyId: 'ASIAEXAMPLEWEBROLE01',
  issuedAt: new Date('2026-03-04T04:00:00.500Z'),
  ec2RoleDelivery: '2.0',
  sourceInstanceId: 'i-0abc1234def567890',
};
const EC2: LabPrincipal = { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' };

let n = 0;
function call(over: Partial<LabApiCall> = {}): LabApiCall {
  n++;
  return {
    time: AT,
    service: 'dynamodb',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'ListTables',
    awsRegion: REGION,
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-sdk-js/3.0.0 ua/2.1 os/linux lang/js',
    principal: USER,
    accessKeyId: USER.type === 'IAMUser' ? USER.accessKeyId : undefined,
    requestParameters: null,
    responseElements: null,
    readOnly: true,
    eventCategory: 'Management',
    requestId: `REQ${String(n).padStart(10, '0')}`,
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

let dir: string;
let bucket: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'th-trail-'));
  bucket = join(dir, 'trail-bucket');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

function readRecords(key: string): Record<string, unknown>[] {
  const text = gunzipSync(readFileSync(join(bucket, ...key.split('/')))).toString('utf8');
  const doc = JSON.parse(text) as { Records: Record<string, unknown>[] };
  expect(Object.keys(doc)).toEqual(['Records']);
  return doc.Records;
}

const KEY =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T(\d{4})Z_([A-Za-z0-9]{16})\.json\.gz$/;

describe('TrailWriter files', () => {
  it("writes CloudTrail's S3 layout and name, gzip, one file per event region, stamped with the delivery time", async () => {
    const delivery = new Date('2026-03-04T05:07:31.000Z');
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0, clock: () => delivery });
    w.record(call());
    w.record(call({ eventName: 'DescribeTable' }));
    // IAM is global: its calls are us-east-1 events.
    w.record(call({ service: 'iam', eventSource: 'iam.amazonaws.com', eventName: 'GetUser', awsRegion: 'us-east-1' }));
    const keys = await w.flush();
    expect(keys).toHaveLength(2);
    expect(await listFiles(bucket)).toEqual(keys);
    const byRegion = new Map<string, string>();
    for (const key of keys) {
      const m = KEY.exec(key);
      expect(m, key).not.toBeNull();
      const [, acct, region, y, mo, d, acct2, region2, ymd, hm] = m as RegExpExecArray;
      expect([acct, acct2]).toEqual([ACCOUNT, ACCOUNT]);
      expect(region2).toBe(region);
      expect(`${y}${mo}${d}`).toBe('20260304');
      expect(ymd).toBe('20260304');
      expect(hm).toBe('0507');
      byRegion.set(region as string, key);
      expect(readFileSync(join(bucket, key)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    }
    expect([...byRegion.keys()].sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(readRecords(byRegion.get(REGION) as string).map((r) => r.eventName)).toEqual(['ListTables', 'DescribeTable']);
    const iam = readRecords(byRegion.get('us-east-1') as string);
    expect(iam.map((r) => [r.eventName, r.awsRegion])).toEqual([['GetUser', 'us-east-1']]);
    expect(w.written).toBe(3);
    expect(w.pending).toBe(0);
  });

  it('names files with 16 random characters, so two deliveries in one minute do not collide', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0, clock: () => AT });
    w.record(call());
    const [a] = await w.flush();
    w.record(call());
    const [b] = await w.flush();
    expect(a).not.toBe(b);
    expect(a?.slice(0, -28)).toBe(b?.slice(0, -28));
    expect(await listFiles(bucket)).toHaveLength(2);
  });

  it('trailObjectKey pads the date and time fields', () => {
    expect(trailObjectKey(ACCOUNT, 'us-east-1', new Date('2026-01-02T03:04:05Z'), 'A'.repeat(16))).toBe(
      `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/01/02/${ACCOUNT}_CloudTrail_us-east-1_20260102T0304Z_${'A'.repeat(16)}.json.gz`,
    );
  });

  it('an empty flush writes nothing and creates nothing', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    expect(await w.flush()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(w.written).toBe(0);
  });

  it('writes under a temporary name outside the bucket, then renames: a reader never sees part of a file', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    const big = { items: Array.from({ length: 40 }, (_, i) => ({ name: `table-${i}`, note: 'x'.repeat(200) })) };
    for (let i = 0; i < 3000; i++) w.record(call({ responseElements: big, eventId: `evt-${i}` }));
    let done = false;
    const flushing = w.flush().finally(() => {
      done = true;
    });
    let looks = 0;
    // Read every file that shows up in the bucket while the delivery runs: each must be a complete gzip document.
    while (!done) {
      for (const key of await listFiles(bucket)) {
        const body = await readFile(join(bucket, key));
        const doc = JSON.parse(gunzipSync(body).toString('utf8')) as { Records: unknown[] };
        expect(doc.Records).toHaveLength(3000);
      }
      looks++;
      await new Promise((r) => setImmediate(r));
    }
    const keys = await flushing;
    expect(looks).toBeGreaterThan(0);
    expect(keys).toHaveLength(1);
    // The temporary folder is beside the bucket, and holds nothing afterwards.
    const tmp = join(dir, '.trail-bucket.partial');
    expect(existsSync(tmp)).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
    expect(await listFiles(bucket)).toEqual(keys);
  });

  it('refuses a temporary folder inside the bucket', () => {
    expect(() => new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, tmpDir: join(bucket, 'tmp') })).toThrow(LabLogError);
  });

  it('rejects a bad account id or region', () => {
    expect(() => new TrailWriter({ bucketDir: bucket, accountId: '1234', region: REGION })).toThrow(/accountId/);
    expect(() => new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: 'EU WEST' })).toThrow(/region/);
    expect(() => new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: -1 })).toThrow(/flushMs/);
  });

  it('flushes by itself flushMs after the first record, and not when there is nothing', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 40 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await listFiles(bucket)).toEqual([]);
    w.record(call());
    expect(await listFiles(bucket)).toEqual([]);
    const deadline = Date.now() + 3000;
    while (w.written === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(w.written).toBe(1);
    expect(await listFiles(bucket)).toHaveLength(1);
    // A later record starts a new delay.
    w.record(call());
    while (w.written === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(w.written).toBe(2);
    expect(await listFiles(bucket)).toHaveLength(2);
    await w.close();
  });

  it('with flushMs 0 writes only on flush()', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    w.record(call());
    await new Promise((r) => setTimeout(r, 80));
    expect(await listFiles(bucket)).toEqual([]);
    expect(w.pending).toBe(1);
    expect(await w.flush()).toHaveLength(1);
  });

  it('close() flushes what is buffered; record() afterwards throws', async () => {
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 60_000 });
    w.record(call());
    w.record(call());
    await w.close();
    expect(w.written).toBe(2);
    expect(await listFiles(bucket)).toHaveLength(1);
    expect(() => w.record(call())).toThrow(LabLogError);
    await w.close();
  });

  it('a failed delivery keeps its records for the next one', async () => {
    writeFileSync(bucket, 'not a directory');
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    w.record(call());
    w.record(call());
    await expect(w.flush()).rejects.toThrow(LabLogError);
    expect(w.pending).toBe(2);
    expect(w.written).toBe(0);
    w.record(call());
    rmSync(bucket);
    const keys = await w.flush();
    expect(keys).toHaveLength(1);
    expect(readRecords(keys[0] as string)).toHaveLength(3);
    expect(w.written).toBe(3);
  });

  it('reports a failed timer delivery to onError', async () => {
    writeFileSync(bucket, 'not a directory');
    const errors: Error[] = [];
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 10, onError: (e) => errors.push(e) });
    w.record(call());
    const deadline = Date.now() + 3000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(errors[0]).toBeInstanceOf(LabLogError);
    expect(errors[0]?.message).toMatch(/could not write/);
    expect(w.pending).toBe(1);
    rmSync(bucket);
    await w.close();
    expect(w.written).toBe(1);
  });

  it('leaves out Data events by default, as a trail does, and writes them with dataEvents', async () => {
    const getObject = call({
      service: 's3',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventCategory: 'Data',
      requestParameters: { bucketName: 'lab-trail', key: 'a.json' },
      resources: [
        { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::lab-trail/a.json' },
        { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::lab-trail' },
      ],
    });
    const plain = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    plain.record(getObject);
    plain.record(call());
    const [key] = await plain.flush();
    expect(readRecords(key as string).map((r) => r.eventName)).toEqual(['ListTables']);
    expect(plain.skipped).toBe(1);

    const withData = new TrailWriter({ bucketDir: join(dir, 'b2'), accountId: ACCOUNT, region: REGION, flushMs: 0, dataEvents: true });
    withData.record(getObject);
    const [key2] = await withData.flush();
    const text = gunzipSync(readFileSync(join(dir, 'b2', key2 as string))).toString('utf8');
    const [rec] = (JSON.parse(text) as { Records: Record<string, unknown>[] }).Records;
    expect(rec?.eventCategory).toBe('Data');
    expect(rec?.managementEvent).toBe(false);
    expect(rec?.resources).toEqual([
      { ARN: 'arn:aws:s3:::lab-trail/a.json', type: 'AWS::S3::Object' },
      { ARN: 'arn:aws:s3:::lab-trail', accountId: ACCOUNT, type: 'AWS::S3::Bucket' },
    ]);
  });

  it("every file parses with Trailhound's CloudTrail parser: no errors, the same events", async () => {
    const calls = [
      call(),
      call({ principal: INSTANCE_ROLE, accessKeyId: 'ASIAEXAMPLEWEBROLE01', service: 'sts', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' }),
      call({ principal: INSTANCE_ROLE, errorCode: 'AccessDeniedException', errorMessage: 'not authorized', eventName: 'ListTables' }),
      call({
        principal: EC2,
        service: 'sts',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
      }),
      call({
        principal: undefined,
        accessKeyId: 'AKIAEXAMPLEALICE0001',
        errorCode: 'UnrecognizedClientException',
        errorMessage: 'The security token is invalid.',
      }),
      call({
        service: 'ec2',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        sourceIPAddress: '2001:db8::23',
        principal: INSTANCE_ROLE,
        accessKeyId: 'ASIAEXAMPLEWEBROLE01',
      }),
      call({ service: 's3', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }),
    ];
    const w = new TrailWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    for (const c of calls) w.record(c);
    const keys = await w.flush();
    const events = keys.flatMap((key) => {
      const parsed = parseCloudTrailDocument(gunzipSync(readFileSync(join(bucket, key))).toString('utf8'), key);
      expect(parsed.errors).toEqual([]);
      return parsed.events;
    });
    expect(events.map((e) => e.id)).toEqual(calls.map((c) => c.eventId));
    for (const [i, e] of events.entries()) {
      const c = calls[i] as LabApiCall;
      expect(e.name).toBe(c.eventName);
      expect(e.source).toBe(c.eventSource);
      expect(e.time).toBe(Math.floor(c.time.getTime() / 1000) * 1000);
      expect(e.account).toBe(ACCOUNT);
      expect(e.region).toBe(REGION);
      expect(e.errorCode).toBe(c.errorCode);
      expect(e.sourceText).toBe(c.sourceIPAddress);
      const key = c.principal === undefined ? c.accessKeyId : c.principal.type === 'AWSService' ? undefined : c.principal.accessKeyId;
      expect(e.principal.accessKeyId).toBe(key ?? '');
    }
    expect(events.map((e) => e.sourceKind)).toEqual(['ip', 'ip', 'ip', 'service', 'ip', 'ip', 'ip']);
    const role = events[1]?.principal;
    expect(role).toMatchObject({
      type: 'AssumedRole',
      arn: INSTANCE_ROLE.type === 'AssumedRole' ? INSTANCE_ROLE.arn : '',
      userName: 'web-role',
      sessionName: 'i-0abc1234def567890',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/web-role`,
      ec2RoleDelivery: '2.0',
      issuedAt: Date.parse('2026-03-04T04:00:00Z'),
    });
    expect(events[3]?.principal).toMatchObject({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' });
    expect(events[4]?.principal).toMatchObject({ type: 'IAMUser', accessKeyId: 'AKIAEXAMPLEALICE0001', arn: '' });
  });
});

describe('toCloudTrailRecord', () => {
  it('writes the call as CloudTrail does, in its key order', () => {
    const c = call({ errorCode: 'AccessDeniedException', errorMessage: 'User is not authorized' });
    const r = toCloudTrailRecord(c);
    expect(Object.keys(r)).toEqual([
      'eventVersion',
      'userIdentity',
      'eventTime',
      'eventSource',
      'eventName',
      'awsRegion',
      'sourceIPAddress',
      'userAgent',
      'errorCode',
      'errorMessage',
      'requestParameters',
      'responseElements',
      'requestID',
      'eventID',
      'readOnly',
      'eventType',
      'managementEvent',
      'recipientAccountId',
      'eventCategory',
      'tlsDetails',
    ]);
    expect(r).toMatchObject({
      eventVersion: '1.08',
      eventTime: '2026-03-04T05:06:59Z',
      eventType: 'AwsApiCall',
      managementEvent: true,
      requestID: c.requestId,
      eventID: c.eventId,
      tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'dynamodb.eu-west-1.amazonaws.com' },
    });
    expect(r.userIdentity).toEqual({
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEALICE0001',
      arn: `arn:aws:iam::${ACCOUNT}:user/dev-alice`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIAEXAMPLEALICE0001',
      userName: 'dev-alice',
    });
    expect(r).not.toHaveProperty('sessionCredentialFromConsole');
    expect(toCloudTrailRecord(c)).toEqual(r);
  });

  it('has no errorCode or errorMessage when the call succeeded', () => {
    const r = toCloudTrailRecord(call());
    expect(r).not.toHaveProperty('errorCode');
    expect(r).not.toHaveProperty('errorMessage');
  });

  it('writes eventTime in whole seconds', () => {
    expect(toCloudTrailRecord(call({ time: new Date('2026-03-04T05:06:59.987Z') })).eventTime).toBe('2026-03-04T05:06:59Z');
  });

  it("writes an instance profile's session with its session context, ec2RoleDelivery and the instance it was issued to", () => {
    const r = toCloudTrailRecord(call({ principal: INSTANCE_ROLE, service: 'sts', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' }));
    expect(r.userIdentity).toEqual({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEWEBROLE01:i-0abc1234def567890',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-role/i-0abc1234def567890`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEWEBROLE01',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEWEBROLE01',
          arn: `arn:aws:iam::${ACCOUNT}:role/web-role`,
          accountId: ACCOUNT,
          userName: 'web-role',
        },
        webIdFederationData: {},
        attributes: { creationDate: '2026-03-04T04:00:00Z', mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0',
      },
      inScopeOf: { issuerType: 'AWS::EC2::Instance', credentialsIssuedTo: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0abc1234def567890` },
    });
    expect(r.tlsDetails).toMatchObject({ clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com' });
    // EC2 records are version 1.09, whose session context has no webIdFederationData.
    const ec2 = toCloudTrailRecord(call({ principal: INSTANCE_ROLE, service: 'ec2', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }));
    expect(ec2.eventVersion).toBe('1.09');
    expect(Object.keys((ec2.userIdentity as { sessionContext: object }).sessionContext)).toEqual(['sessionIssuer', 'attributes', 'ec2RoleDelivery']);
  });

  it('uses the lab region for the instance ARN of a global call, and leaves out ec2RoleDelivery and inScopeOf for an ordinary session', () => {
    const iam = toCloudTrailRecord(call({ principal: INSTANCE_ROLE, service: 'iam', eventSource: 'iam.amazonaws.com', awsRegion: 'us-east-1' }), {
      labRegion: REGION,
    });
    expect((iam.userIdentity as { inScopeOf: { credentialsIssuedTo: string } }).inScopeOf.credentialsIssuedTo).toContain(`:ec2:${REGION}:`);
    expect(iam.tlsDetails).toMatchObject({ clientProvidedHostHeader: 'iam.amazonaws.com' });
    const plain = { ...INSTANCE_ROLE, ec2RoleDelivery: undefined, sourceInstanceId: undefined, sessionName: 'ops' } as LabPrincipal;
    const ui = toCloudTrailRecord(call({ principal: plain })).userIdentity as Record<string, { ec2RoleDelivery?: string }>;
    expect(ui).not.toHaveProperty('inScopeOf');
    expect(ui.sessionContext).not.toHaveProperty('ec2RoleDelivery');
  });

  it("writes EC2's delivery of role credentials as an AWS service event: no TLS details, a sharedEventID", () => {
    const r = toCloudTrailRecord(
      call({
        principal: EC2,
        service: 'sts',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
      }),
    );
    expect(r.userIdentity).toEqual({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' });
    expect(r).not.toHaveProperty('tlsDetails');
    expect(r.sharedEventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.sourceIPAddress).toBe('ec2.amazonaws.com');
  });

  it('writes an unauthenticated call with the account and the key only, its type from the key prefix', () => {
    const ak = toCloudTrailRecord(call({ principal: undefined, accessKeyId: 'AKIAUNKNOWN000000001', errorCode: 'InvalidClientTokenId' }));
    expect(ak.userIdentity).toEqual({ type: 'IAMUser', accountId: ACCOUNT, accessKeyId: 'AKIAUNKNOWN000000001' });
    const as = toCloudTrailRecord(call({ principal: undefined, accessKeyId: 'ASIAUNKNOWN000000001', errorCode: 'InvalidClientTokenId' }));
    expect(as.userIdentity).toEqual({ type: 'AssumedRole', accountId: ACCOUNT, accessKeyId: 'ASIAUNKNOWN000000001' });
    const none = toCloudTrailRecord(
      call({ principal: undefined, accessKeyId: undefined, service: 's3', eventSource: 's3.amazonaws.com', errorCode: 'AccessDenied' }),
    );
    expect(none.userIdentity).toEqual({ type: 'AWSAccount', principalId: '', accountId: 'anonymous' });
  });

  it('never writes a secret access key, hides session tokens, keeps the access key id and expiration', () => {
    const expiration = new Date('2026-03-04T11:06:59Z');
    const r = toCloudTrailRecord(
      call({
        principal: USER,
        service: 'sts',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/web-role`, roleSessionName: 'ops' },
        responseElements: {
          credentials: {
            accessKeyId: 'ASIANEWSESSION000001',
            secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET',
            sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
            expiration,
          },
          assumedRoleUser: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-role/ops`, assumedRoleId: 'AROAEXAMPLEWEBROLE01:ops' },
          nested: [{ SecretAccessKey: 'ANOTHERSECRETVALUE', SessionToken: 'ANOTHERTOKEN', keep: 1 }],
        },
      }),
    );
    const text = JSON.stringify(r);
    for (const secret of ['wJalrXUtnFEMI', 'FwoGZXIvYXdzEXAMPLETOKEN', 'ANOTHERSECRETVALUE', 'ANOTHERTOKEN']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/secretAccessKey/i);
    expect(r.responseElements).toEqual({
      credentials: { accessKeyId: 'ASIANEWSESSION000001', sessionToken: HIDDEN, expiration: 'Mar 4, 2026, 11:06:59 AM' },
      assumedRoleUser: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-role/ops`, assumedRoleId: 'AROAEXAMPLEWEBROLE01:ops' },
      nested: [{ SessionToken: HIDDEN, keep: 1 }],
    });
  });

  it('formats response dates as CloudTrail does', () => {
    expect(cloudTrailDate(new Date('2024-08-01T11:45:22Z'))).toBe('Aug 1, 2024, 11:45:22 AM');
    expect(cloudTrailDate(new Date('2024-08-01T00:05:09Z'))).toBe('Aug 1, 2024, 12:05:09 AM');
    expect(cloudTrailDate(new Date('2024-12-31T13:00:00Z'))).toBe('Dec 31, 2024, 1:00:00 PM');
  });

  it("adds S3's additionalEventData to S3 calls", () => {
    const r = toCloudTrailRecord(call({ service: 's3', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }));
    expect(r.additionalEventData).toMatchObject({ SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader', bytesTransferredIn: 0 });
    expect(r.tlsDetails).toMatchObject({ clientProvidedHostHeader: 's3.eu-west-1.amazonaws.com' });
    expect(toCloudTrailRecord(call())).not.toHaveProperty('additionalEventData');
  });

  it('caps userAgent and errorMessage at 1 KB, as CloudTrail does', () => {
    const r = toCloudTrailRecord(call({ userAgent: 'u'.repeat(5000), errorCode: 'X', errorMessage: 'm'.repeat(5000) }));
    expect((r.userAgent as string).length).toBe(1024);
    expect((r.errorMessage as string).length).toBe(1024);
  });

  it('rejects a call it cannot write, naming the field', () => {
    expect(() => toCloudTrailRecord(call({ time: new Date('nope') }))).toThrow(/time is not a valid Date/);
    expect(() => toCloudTrailRecord(call({ eventName: '' }))).toThrow(/eventName/);
    expect(() => toCloudTrailRecord(call({ awsRegion: 'Mars 1' }))).toThrow(/awsRegion/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toCloudTrailRecord(call({ requestParameters: cyclic }))).toThrow(LabLogError);
  });
});
