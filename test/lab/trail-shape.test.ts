import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListUsersCommand } from '@aws-sdk/client-iam';
import { ListObjectsV2Command, PutBucketLoggingCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/event.js';
import { toCloudTrailRecord } from '../../src/lab/trail.js';
import type { LabApiCall, LabPrincipal } from '../../src/lab/types.js';
import { parseCloudTrailDocument } from '../../src/parsers/cloudtrail.js';
import { detectRecords, PUBLIC_LOGS } from '../helpers.js';
import { failure, startTestLab, type TestLab } from './server-helpers.js';

/**
 * The lab's CloudTrail records have the structure of real ones. For each kind of principal, a concrete real record
 * from the public logs (MANIFEST.md there names the sources) and the lab's record of the same call are reduced to
 * their structure: every key path with the JSON type of its value (values themselves are not compared). The two must
 * be equal, apart from the request and response bodies, which depend on the call (only whether each is an object or
 * null is compared). Both then go through Trailhound's parser, which must accept them and see the same principal
 * fields filled.
 */

type Rec = Record<string, unknown>;

function loadJson(path: string): unknown {
  return JSON.parse(readFileSync(join(PUBLIC_LOGS, path), 'utf8'));
}

function pick(records: Rec[], test: (r: Rec) => boolean, what: string): Rec {
  const r = records.find(test);
  if (!r) throw new Error(`no real record for ${what}`);
  return r;
}

const ui = (r: Rec) => r.userIdentity as Rec;

const stratusSteal = loadJson('stratus-red-team/aws.credential-access.ec2-steal-instance-credentials.json') as Rec[];
const otrf = readFileSync(join(PUBLIC_LOGS, 'otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Rec);
const panther = readFileSync(join(PUBLIC_LOGS, 'panther/panther-all-aws-tests.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { rule: string; event: Rec });

const REAL = {
  /** IAM user, SSM, success (eventVersion 1.08). */
  iamUserSsm: pick(stratusSteal, (r) => ui(r).type === 'IAMUser' && r.eventName === 'DescribeInstanceInformation', 'IAMUser ssm'),
  /** IAM user, IAM, denied (1.09). */
  iamUserDenied: (loadJson('traildiscover/events/IAM/ListUsers.json.cloudtrail') as Rec[])[0] as Rec,
  /** IAM user, S3 management call (1.09, additionalEventData). */
  iamUserS3: (loadJson('traildiscover/events/S3/ListBuckets.json.cloudtrail') as Rec[])[0] as Rec,
  /** Instance-profile credentials used from outside, STS (1.08: webIdFederationData) and EC2 (1.09). */
  ec2RoleSts: pick(stratusSteal, (r) => ui(r).type === 'AssumedRole' && r.eventName === 'GetCallerIdentity', 'AssumedRole sts'),
  ec2RoleEc2: pick(stratusSteal, (r) => ui(r).type === 'AssumedRole' && r.eventName === 'DescribeInstances', 'AssumedRole ec2'),
  /** An AWS service assuming a role (Panther's test event: a sanitised real record, eventVersion 1.08). */
  awsService: pick(
    panther.map((t) => t.event),
    (r) => ui(r)?.type === 'AWSService' && r.eventName === 'AssumeRole' && r.eventVersion === '1.08',
    'AWSService AssumeRole',
  ),
  /** EC2 delivering an instance profile's credentials (OTRF, CloudGoat; old eventVersion 1.05, Logstash-flavoured). */
  ec2Delivery: pick(otrf, (r) => ui(r).type === 'AWSService' && r.eventName === 'AssumeRole', 'EC2 AssumeRole'),
};

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const USER: LabPrincipal = {
  type: 'IAMUser',
  accountId: ACCOUNT,
  userName: 'dev-alice',
  principalId: 'AIDAEXAMPLEALICE0001',
  arn: `arn:aws:iam::${ACCOUNT}:user/dev-alice`,
  accessKeyId: 'AKIAEXAMPLEALICE0001',
};
const ROLE: LabPrincipal = {
  type: 'AssumedRole',
  accountId: ACCOUNT,
  roleName: 'web-role',
  roleId: 'AROAEXAMPLEWEBROLE01',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/web-role`,
  sessionName: 'i-0abc1234def567890',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-role/i-0abc1234def567890`,
  accessKeyId: 'ASIAEXAMPLEWEBROLE01',
  issuedAt: new Date('2026-03-04T04:00:00Z'),
  ec2RoleDelivery: '2.0',
  sourceInstanceId: 'i-0abc1234def567890',
};

function labCall(over: Partial<LabApiCall>): LabApiCall {
  return {
    time: new Date('2026-03-04T05:06:07Z'),
    service: 'ssm',
    eventSource: 'ssm.amazonaws.com',
    eventName: 'DescribeParameters',
    awsRegion: REGION,
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-sdk-js/3.0.0 ua/2.1 os/linux lang/js',
    principal: USER,
    accessKeyId: 'AKIAEXAMPLEALICE0001',
    requestParameters: null,
    responseElements: null,
    readOnly: true,
    eventCategory: 'Management',
    requestId: 'a0dda101-6e27-4f88-8250-f3d475f88b56',
    eventId: '2a5178c8-b4c7-44ba-b066-1ecc79b7087c',
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

const BODIES = new Set(['requestParameters', 'responseElements']);

/** Every key path with the JSON type of its value; request/response bodies only as object or null. */
function shape(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (path !== '') out.set(path, type);
  if (BODIES.has(path)) return out;
  if (type === 'array') {
    for (const item of value as unknown[]) shape(item, `${path}[]`, out);
  } else if (type === 'object') {
    for (const [k, v] of Object.entries(value as Rec)) shape(v, path === '' ? k : `${path}.${k}`, out);
  }
  return out;
}

function sorted(m: Map<string, string>): [string, string][] {
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function parsePrincipal(rec: Rec): Principal {
  const parsed = parseCloudTrailDocument(JSON.stringify({ Records: [rec] }), 'shape');
  expect(parsed.errors).toEqual([]);
  expect(parsed.events).toHaveLength(1);
  return (parsed.events[0] as { principal: Principal }).principal;
}

/** Which principal fields the parser found filled: the same for the real record and the lab's. */
function filled(p: Principal): string[] {
  return Object.entries(p)
    .filter(([, v]) => v !== '' && v !== undefined)
    .map(([k]) => k)
    .sort();
}

function expectSameShape(lab: Rec, real: Rec, allowedExtra: string[] = []): void {
  const ours = shape(lab);
  for (const p of allowedExtra) {
    for (const k of [...ours.keys()]) if (k === p || k.startsWith(`${p}.`)) ours.delete(k);
  }
  expect(sorted(ours)).toEqual(sorted(shape(real)));
}

describe('lab CloudTrail records have the structure of real records', () => {
  it('IAM user, successful call (SSM, eventVersion 1.08)', () => {
    const lab = toCloudTrailRecord(labCall({ requestParameters: { maxResults: 50 } }));
    expectSameShape(lab, REAL.iamUserSsm);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.iamUserSsm)));
  });

  it('IAM user, denied call (IAM, eventVersion 1.09)', () => {
    const lab = toCloudTrailRecord(
      labCall({
        service: 'iam',
        eventSource: 'iam.amazonaws.com',
        eventName: 'ListUsers',
        errorCode: 'AccessDenied',
        errorMessage: `User: ${USER.arn} is not authorized to perform: iam:ListUsers`,
      }),
    );
    expectSameShape(lab, REAL.iamUserDenied);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.iamUserDenied)));
    expect(lab.tlsDetails).toEqual({ tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'iam.amazonaws.com' });
  });

  it('IAM user, S3 call with its additionalEventData (eventVersion 1.09)', () => {
    const lab = toCloudTrailRecord(
      labCall({
        service: 's3',
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        requestParameters: { Host: 's3.us-east-1.amazonaws.com' },
        errorCode: 'AccessDenied',
        errorMessage: 'Access Denied',
      }),
    );
    expectSameShape(lab, REAL.iamUserS3);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.iamUserS3)));
  });

  it("an instance profile's credentials used from outside (STS, 1.08, with webIdFederationData)", () => {
    const lab = toCloudTrailRecord(
      labCall({ principal: ROLE, accessKeyId: ROLE.accessKeyId, service: 'sts', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' }),
    );
    // `inScopeOf` (the instance the credentials were issued to) is newer than the 2024 detonation records; CloudTrail
    // writes it for service-issued credentials in later records (see traildiscover's CostExplorer/GetCostForecast).
    expectSameShape(lab, REAL.ec2RoleSts, ['userIdentity.inScopeOf']);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.ec2RoleSts)));
    expect(parsePrincipal(lab).ec2RoleDelivery).toBe('2.0');
  });

  it("an instance profile's credentials used from outside (EC2, 1.09, without webIdFederationData)", () => {
    const lab = toCloudTrailRecord(
      labCall({
        principal: ROLE,
        accessKeyId: ROLE.accessKeyId,
        service: 'ec2',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        requestParameters: { filterSet: {}, instancesSet: {} },
      }),
    );
    expectSameShape(lab, REAL.ec2RoleEc2, ['userIdentity.inScopeOf']);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.ec2RoleEc2)));
  });

  it("EC2 delivering an instance profile's credentials: an AWS service assuming the role", () => {
    const lab = toCloudTrailRecord(
      labCall({
        principal: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
        accessKeyId: undefined,
        service: 'sts',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        sourceIPAddress: 'ec2.amazonaws.com',
        userAgent: 'ec2.amazonaws.com',
        requestParameters: { roleArn: ROLE.type === 'AssumedRole' ? ROLE.roleArn : '', roleSessionName: 'i-0abc1234def567890' },
        responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEWEBROLE01', sessionToken: 'token', expiration: new Date('2026-03-04T11:00:00Z') } },
        resources: [{ ARN: `arn:aws:iam::${ACCOUNT}:role/web-role`, accountId: ACCOUNT, type: 'AWS::IAM::Role' }],
      }),
    );
    // Panther's sanitised record writes the resource's key as `arn`; CloudTrail writes `ARN` (as the OTRF record does).
    const real = { ...REAL.awsService, resources: REAL.ec2Delivery.resources };
    expectSameShape(lab, real);
    expect(shape(lab.userIdentity)).toEqual(shape(ui(REAL.ec2Delivery)));
    expect(lab.userIdentity).toEqual({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' });
    // The credentials have the keys CloudTrail writes (the secret key is never among them).
    const credKeys = (r: Rec) => Object.keys((r.responseElements as { credentials: Rec }).credentials).sort();
    expect(credKeys(lab)).toEqual(credKeys(REAL.ec2Delivery));
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.awsService)));
  });

  it('a request that failed authentication: no public record to compare; parseable, with the account and key', () => {
    const lab = toCloudTrailRecord(
      labCall({
        principal: undefined,
        accessKeyId: 'AKIAEXAMPLEALICE0001',
        service: 'dynamodb',
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'ListTables',
        errorCode: 'UnrecognizedClientException',
        errorMessage: 'The security token included in the request is invalid.',
      }),
    );
    // The same top-level structure as a real denied call; the identity has only what the key tells.
    const top = (r: Rec) => Object.keys(r).sort();
    expect(top(lab)).toEqual(top(REAL.iamUserDenied));
    expect(lab.userIdentity).toEqual({ type: 'IAMUser', accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLEALICE0001' });
    expect(parsePrincipal(lab)).toMatchObject({ type: 'IAMUser', accessKeyId: 'AKIAEXAMPLEALICE0001', accountId: ACCOUNT });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Records of real lab calls (the SDK against the lab's endpoint, collected through onCall) against real records of
// the same event names.

const traildiscover = (path: string) => (loadJson(`traildiscover/events/${path}`) as Rec[])[0] as Rec;
const pantherEvents = panther.map((t) => t.event);
const streamalert = readFileSync(join(PUBLIC_LOGS, 'streamalert/streamalert-rule-tests.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { event?: { Records?: Rec[] } })
  .flatMap((t) => t.event?.Records ?? []);

const REAL_CALLS = {
  /** Logging turned off through the S3 API (Panther's sanitised real record, eventVersion 1.11, complete). */
  putBucketLogging: pick(
    pantherEvents,
    (r) =>
      r.eventName === 'PutBucketLogging' &&
      !r.errorCode &&
      r.additionalEventData !== undefined &&
      !('LoggingEnabled' in (((r.requestParameters as Rec | null)?.BucketLoggingStatus as Rec | undefined) ?? {})),
    'PutBucketLogging without LoggingEnabled',
  ),
  /** StreamAlert's PutBucketPublicAccessBlock (1.05): the request parameters as CloudTrail writes them. */
  putPublicAccessBlock: pick(
    streamalert,
    (r) => r.eventName === 'PutBucketPublicAccessBlock' && (r.requestParameters as Rec)?.PublicAccessBlockConfiguration !== undefined,
    'PutBucketPublicAccessBlock',
  ),
  /** Instance credentials listing a bucket from outside (OTRF, CloudGoat; 1.07, Logstash-flavoured). */
  listObjects: pick(otrf, (r) => r.eventName === 'ListObjects', 'ListObjects'),
  /** An IAM user refused by SSM (JSON protocol, as DynamoDB; 1.08). */
  jsonDenied: traildiscover('SSM/GetParameters.json.cloudtrail'),
  /** An IAM user refused by IAM (1.09). */
  iamDenied: traildiscover('IAM/ListUsers.json.cloudtrail'),
};

/** Removes every path at or under the given prefixes from a shape. */
function without(m: Map<string, string>, prefixes: string[]): Map<string, string> {
  const out = new Map(m);
  for (const k of m.keys()) if (prefixes.some((p) => k === p || k.startsWith(`${p}.`) || k.startsWith(`${p}[]`))) out.delete(k);
  return out;
}

function expectShapes(lab: Rec, real: Rec, ignore: string[] = []): void {
  expect(sorted(without(shape(lab), ignore))).toEqual(sorted(without(shape(real), ignore)));
}

const keys = (v: unknown) => Object.keys((v ?? {}) as Rec).sort();
const lowerKeys = (v: unknown) =>
  keys(v)
    .map((k) => k.toLowerCase())
    .sort();

describe('records of real lab calls have the structure of real records of the same calls', () => {
  let lab: TestLab;
  const records = new Map<string, Rec>();
  const BUCKET = 'finance-bucket';

  beforeAll(async () => {
    lab = await startTestLab({ region: 'us-west-2', seed: 'trail-shape' });
    const a = lab.account;
    a.createBucket(BUCKET);
    a.createUser('alice');
    a.putUserPolicy('alice', 'bucket-admin', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutBucketLogging', 's3:PutBucketPublicAccessBlock', 's3:ListBucket'], Resource: '*' }],
    });
    const alice = lab.clients(a.createAccessKey('alice'), '198.51.100.23');
    a.createRole('web-role', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    a.putRolePolicy('web-role', 'read-bucket', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }] });
    a.createInstanceProfile('web-profile', 'web-role');
    const instance = a.runInstance({ name: 'web-1', profile: 'web-profile', privateIp: '172.31.5.10', publicIp: '54.1.2.3' });

    const take = (name: string, from: number, eventName: string) => {
      const call = lab.calls.slice(from).find((c) => c.eventName === eventName);
      if (!call) throw new Error(`no lab call ${eventName} for ${name}`);
      records.set(name, toCloudTrailRecord(call, { labRegion: a.region }));
    };

    let m = lab.calls.length;
    await alice.s3.send(new PutBucketLoggingCommand({ Bucket: BUCKET, BucketLoggingStatus: {} }));
    take('putBucketLogging', m, 'PutBucketLogging');
    m = lab.calls.length;
    await alice.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: BUCKET,
        PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      }),
    );
    take('putPublicAccessBlock', m, 'PutBucketPublicAccessBlock');

    // The instance's credentials, as the instance gets them (IMDSv2): EC2's AssumeRole is recorded.
    const base = lab.server.imdsUrl(instance.instanceId);
    const token = await (await fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    m = lab.calls.length;
    const doc = (await (
      await fetch(`${base}/latest/meta-data/iam/security-credentials/web-role`, { headers: { 'x-aws-ec2-metadata-token': token } })
    ).json()) as Record<string, string>;
    take('ec2Delivery', m, 'AssumeRole');
    const stolen = lab.clients({ accessKeyId: doc.AccessKeyId!, secretAccessKey: doc.SecretAccessKey!, sessionToken: doc.Token! }, '198.51.100.99');
    m = lab.calls.length;
    await stolen.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: '', EncodingType: 'url' }));
    take('listObjects', m, 'ListObjects');

    m = lab.calls.length;
    await failure(alice.dynamodb.send(new ListTablesCommand({})));
    take('jsonDenied', m, 'ListTables');
    m = lab.calls.length;
    await failure(alice.iam.send(new ListUsersCommand({})));
    take('iamDenied', m, 'ListUsers');
  });
  afterAll(async () => {
    await lab?.close();
  });

  const rec = (name: string) => {
    const r = records.get(name);
    if (!r) throw new Error(`no record ${name}`);
    return r;
  };

  it('PutBucketLogging with an empty BucketLoggingStatus: structure, request parameters, and the finding it gives', async () => {
    const lab = rec('putBucketLogging');
    const real = REAL_CALLS.putBucketLogging;
    // The real caller is an SSO role; the lab's an IAM user, whose identity is compared with a real IAM user's.
    expectShapes(lab, real, ['userIdentity']);
    expect(shape(lab.userIdentity)).toEqual(shape(REAL.iamUserDenied.userIdentity));
    expect(keys(lab.requestParameters)).toEqual(keys(real.requestParameters));
    const status = (r: Rec) => (r.requestParameters as Rec).BucketLoggingStatus;
    expect(keys(status(lab))).toEqual(keys(status(real)));
    expect(status(lab)).toEqual(status(real));
    expect((lab.requestParameters as Rec).logging).toBe('');
    for (const r of [lab, real]) {
      const types = (await detectRecords([r])).map((f) => f.type);
      expect(types).toContain('Stealth:S3/ServerAccessLoggingDisabled');
    }
  });

  it('PutBucketPublicAccessBlock: the request parameters CloudTrail writes, and the finding a weakened block gives', async () => {
    const lab = rec('putPublicAccessBlock');
    const real = REAL_CALLS.putPublicAccessBlock;
    // StreamAlert's 1.05 record is old and partly placeholders: the top level is compared with the complete S3
    // bucket-configuration record above (same family, same eventVersion era as the lab's).
    expectShapes(lab, REAL_CALLS.putBucketLogging, ['userIdentity']);
    // Older records write `host` (and arrays for header values); newer ones `Host` and strings, as the lab.
    expect(lowerKeys(lab.requestParameters)).toEqual(lowerKeys(real.requestParameters));
    const config = (r: Rec) => (r.requestParameters as Rec).PublicAccessBlockConfiguration as Rec;
    expect(keys(config(lab))).toEqual(keys(config(real)));
    expect(shape(config(lab))).toEqual(shape(config(real)));
    expect(config(lab)).toMatchObject({ BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const types = (await detectRecords([lab])).map((f) => f.type);
    expect(types).toContain('Policy:S3/BucketBlockPublicAccessDisabled');
  });

  it('ListObjects (ListObjectsV2) with stolen instance credentials: a data event with the request parameters of the real one', () => {
    const lab = rec('listObjects');
    const real = REAL_CALLS.listObjects;
    expectShapes(lab, real, [
      // the OTRF export went through Logstash, which moved eventTime to @timestamp and added @version
      '@version',
      '@timestamp',
      'eventTime',
      // newer than the 2020 record (eventVersion 1.08+ and the instance-credential scope)
      'tlsDetails',
      'userIdentity.inScopeOf',
      // the lab names the bucket; CloudTrail also names the listed prefix as an AWS::S3::Object with ARNPrefix
      'resources',
    ]);
    expect(keys(lab.requestParameters)).toEqual(keys(real.requestParameters));
    expect(lab).toMatchObject({ eventCategory: 'Data', managementEvent: false, readOnly: true, eventName: 'ListObjects' });
    expect(keys((lab.userIdentity as Rec).sessionContext)).toEqual(keys((real.userIdentity as Rec).sessionContext));
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(real)));
  });

  it("EC2's AssumeRole when the instance fetches its credentials: an AWS service's record, with the credentials' keys", () => {
    const lab = rec('ec2Delivery');
    // Panther's sanitised record writes the resource's key as `arn`; CloudTrail writes `ARN` (as the OTRF record does).
    expectShapes(lab, { ...REAL.awsService, resources: REAL.ec2Delivery.resources });
    const credentials = (r: Rec) => (r.responseElements as { credentials: Rec }).credentials;
    expect(keys(lab.responseElements)).toEqual(keys(REAL.ec2Delivery.responseElements));
    expect(keys(credentials(lab))).toEqual(keys(credentials(REAL.ec2Delivery)));
    expect(credentials(lab).sessionToken).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(REAL.ec2Delivery)));
  });

  it('DynamoDB ListTables refused: as CloudTrail records a refused JSON-protocol call (AccessDenied, no parameters)', () => {
    const lab = rec('jsonDenied');
    const real = REAL_CALLS.jsonDenied;
    expectShapes(lab, real);
    expect(lab).toMatchObject({ errorCode: real.errorCode, requestParameters: null, responseElements: null });
    expect(String(lab.errorMessage)).toMatch(
      /^User: arn:aws:iam::\d{12}:user\/alice is not authorized to perform: dynamodb:ListTables on resource: \S+ because no identity-based policy allows the dynamodb:ListTables action$/,
    );
    expect(String(real.errorMessage)).toMatch(
      /^User: \S+ is not authorized to perform: ssm:GetParameters on resource: \S+ because no identity-based policy allows the ssm:GetParameters action$/,
    );
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(real)));
  });

  it("an IAM user's refused IAM call: the real record's structure exactly", () => {
    const lab = rec('iamDenied');
    const real = REAL_CALLS.iamDenied;
    expectShapes(lab, real);
    expect(lab).toMatchObject({ errorCode: 'AccessDenied', requestParameters: null, awsRegion: 'us-east-1' });
    expect((lab.tlsDetails as Rec).clientProvidedHostHeader).toBe((real.tlsDetails as Rec).clientProvidedHostHeader);
    expect(filled(parsePrincipal(lab))).toEqual(filled(parsePrincipal(real)));
  });
});
