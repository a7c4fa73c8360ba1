import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/event.js';
import { toCloudTrailRecord } from '../../src/lab/trail.js';
import type { LabApiCall, LabPrincipal } from '../../src/lab/types.js';
import { parseCloudTrailDocument } from '../../src/parsers/cloudtrail.js';
import { PUBLIC_LOGS } from '../helpers.js';

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
