/**
 * The lab's SSM, DynamoDB and S3 APIs and its instance metadata service, through the real SDK v3 clients; the
 * revoke-sessions deny on instance credentials.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  DeletePublicAccessBlockCommand,
  GetBucketLoggingCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketLoggingCommand,
  PutPublicAccessBlockCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { DescribeParametersCommand, GetParameterCommand, GetParametersCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/lab/account.js';
import { HIDDEN } from '../../src/lab/trail.js';
import { revokeOlderSessionsPolicy, tokenIssueCutoff } from '../../src/targets/remediation/policy.js';
import { type Clients, type Creds, failure, startTestLab, type TestLab } from './server-helpers.js';

let lab: TestLab;
let admin: Creds;
let c: Clients;
let instance: Instance;
const ACCOUNT = '123456789012';
const FILES: Record<string, string> = {
  'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/a.json.gz': 'first',
  'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/b.json.gz': 'second file',
  'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/c.json.gz': 'third',
  'AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/01/d.json.gz': 'fourth',
  'AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/e.log.gz': 'fifth',
  'top.txt': 'sixth',
};

beforeAll(async () => {
  lab = await startTestLab();
  const a = lab.account;
  a.createUser('admin');
  a.attachUserPolicy('admin', 'arn:aws:iam::aws:policy/AdministratorAccess');
  admin = a.createAccessKey('admin');
  c = lab.clients(admin);
  a.putParameter({ name: '/app/db/password', value: 'hunter2-lab', type: 'SecureString', description: 'db password' });
  a.putParameter({ name: '/app/db/host', value: 'db.internal' });
  a.putParameter({ name: '/app/feature', value: 'on' });
  a.putParameter({ name: 'plain', value: 'x' });
  for (const t of ['Orders', 'Customers', 'Audit']) a.createTable(t, { hashKey: 'id', itemCount: 3 });
  const trail = a.createBucket('trail-bucket');
  for (const [key, body] of Object.entries(FILES)) {
    await mkdir(join(trail.dir, key, '..'), { recursive: true });
    await writeFile(join(trail.dir, key), body);
  }
  await writeFile(join(trail.dir, 'AWSLogs', '.tmp-writing'), 'invisible');
  a.createBucket('finance-bucket');
  a.createBucket('log-bucket');
  a.createRole('app-role', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  a.attachRolePolicy('app-role', 'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess');
  a.createInstanceProfile('app-profile', 'app-role');
  instance = a.runInstance({ name: 'app-1', profile: 'app-profile', privateIp: '172.31.9.9', publicIp: '54.9.9.9' });
});
afterAll(async () => {
  await lab.close();
});

describe('SSM', () => {
  it('DescribeParameters with filters and paging', async () => {
    const all = await c.ssm.send(new DescribeParametersCommand({}));
    expect(all.Parameters?.map((p) => p.Name)).toEqual(['/app/db/host', '/app/db/password', '/app/feature', 'plain']);
    const secret = all.Parameters?.find((p) => p.Name === '/app/db/password');
    expect(secret).toMatchObject({ Type: 'SecureString', KeyId: 'alias/aws/ssm', Version: 1, Description: 'db password', DataType: 'text', Tier: 'Standard' });
    expect(secret?.LastModifiedDate).toBeInstanceOf(Date);
    expect(JSON.stringify(all)).not.toContain('hunter2-lab');
    const page1 = await c.ssm.send(new DescribeParametersCommand({ MaxResults: 2 }));
    expect(page1.Parameters).toHaveLength(2);
    const page2 = await c.ssm.send(new DescribeParametersCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    expect(page2.Parameters?.map((p) => p.Name)).toEqual(['/app/feature', 'plain']);
    expect(page2.NextToken).toBeUndefined();
    const filtered = await c.ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [
          { Key: 'Path', Option: 'OneLevel', Values: ['/app'] },
          { Key: 'Type', Values: ['String'] },
        ],
      }),
    );
    expect(filtered.Parameters?.map((p) => p.Name)).toEqual(['/app/feature']);
    const byName = await c.ssm.send(new DescribeParametersCommand({ Filters: [{ Key: 'Type', Values: ['SecureString'] }] }));
    expect(byName.Parameters?.map((p) => p.Name)).toEqual(['/app/db/password']);
  });

  it('GetParameters and GetParameter, with and without decryption', async () => {
    const clear = await c.ssm.send(new GetParametersCommand({ Names: ['/app/db/password', '/app/db/host', '/nope'], WithDecryption: true }));
    expect(clear.Parameters?.map((p) => [p.Name, p.Value, p.Type])).toEqual([
      ['/app/db/password', 'hunter2-lab', 'SecureString'],
      ['/app/db/host', 'db.internal', 'String'],
    ]);
    expect(clear.InvalidParameters).toEqual(['/nope']);
    expect(clear.Parameters?.[0]?.ARN).toBe(`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db/password`);
    const sealed = await c.ssm.send(new GetParametersCommand({ Names: ['/app/db/password'] }));
    expect(sealed.Parameters?.[0]?.Value).not.toContain('hunter2');
    expect(sealed.Parameters?.[0]?.Value).toMatch(/^AQICAH/);
    expect((await c.ssm.send(new GetParameterCommand({ Name: '/app/feature' }))).Parameter?.Value).toBe('on');
    expect(await failure(c.ssm.send(new GetParameterCommand({ Name: '/missing' })))).toMatchObject({ name: 'ParameterNotFound', status: 400 });
    const mark = lab.calls.length;
    await c.ssm.send(new GetParametersCommand({ Names: ['/app/db/password'], WithDecryption: true }));
    expect(lab.since(mark)[0]).toMatchObject({
      eventSource: 'ssm.amazonaws.com',
      eventName: 'GetParameters',
      requestParameters: { names: ['/app/db/password'], withDecryption: true },
      responseElements: null,
    });
    expect(JSON.stringify(lab.calls)).not.toContain('hunter2-lab');
  });

  it('denies without ssm permissions', async () => {
    lab.account.createUser('ddb-only');
    lab.account.attachUserPolicy('ddb-only', 'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess');
    const { ssm } = lab.clients(lab.account.createAccessKey('ddb-only'));
    const e = await failure(ssm.send(new GetParametersCommand({ Names: ['/app/db/password'] })));
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(e.message).toContain(`ssm:GetParameters on resource: arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db/password`);
  });
});

describe('DynamoDB', () => {
  it('ListTables with paging, DescribeTable, ResourceNotFoundException', async () => {
    expect((await c.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual(['Audit', 'Customers', 'Orders']);
    const page = await c.dynamodb.send(new ListTablesCommand({ Limit: 2 }));
    expect(page).toMatchObject({ TableNames: ['Audit', 'Customers'], LastEvaluatedTableName: 'Customers' });
    expect((await c.dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: 'Customers' }))).TableNames).toEqual(['Orders']);
    const t = (await c.dynamodb.send(new DescribeTableCommand({ TableName: 'Orders' }))).Table;
    expect(t).toMatchObject({
      TableName: 'Orders',
      TableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders`,
      TableStatus: 'ACTIVE',
      ItemCount: 3,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    expect(t?.CreationDateTime).toBeInstanceOf(Date);
    expect((await failure(c.dynamodb.send(new DescribeTableCommand({ TableName: 'Nope' })))).name).toBe('ResourceNotFoundException');
    const elsewhere = lab.clients(admin, '198.51.100.7', 'eu-west-1');
    expect((await elsewhere.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    expect(lab.calls.at(-1)).toMatchObject({ eventSource: 'dynamodb.amazonaws.com', eventName: 'ListTables', awsRegion: 'eu-west-1' });
  });
});

describe('S3', () => {
  it('ListBuckets', async () => {
    const res = await c.s3.send(new ListBucketsCommand({}));
    expect(res.Buckets?.map((b) => b.Name)).toEqual(['trail-bucket', 'finance-bucket', 'log-bucket']);
    expect(res.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(res.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ListObjectsV2 pages with MaxKeys and the continuation token; prefix and delimiter', async () => {
    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: c.s3, pageSize: 2 }, { Bucket: 'trail-bucket' })) {
      pages++;
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      for (const o of page.Contents ?? []) keys.push(o.Key!);
    }
    expect(pages).toBe(3);
    expect(keys).toEqual(Object.keys(FILES).sort());
    const first = await c.s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', MaxKeys: 1 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.Contents?.[0]).toMatchObject({
      Key: keys[0],
      Size: 6,
      ETag: `"${createHash('md5').update('fourth').digest('hex')}"`,
      StorageClass: 'STANDARD',
    });
    expect(first.Contents?.[0]?.LastModified).toBeInstanceOf(Date);

    const prefix = await c.s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/' }));
    expect(prefix.Contents?.map((o) => o.Key?.split('/').pop())).toEqual(['a.json.gz', 'b.json.gz']);
    const regions = await c.s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/123456789012/CloudTrail/', Delimiter: '/' }));
    expect(regions.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['AWSLogs/123456789012/CloudTrail/eu-west-1/', 'AWSLogs/123456789012/CloudTrail/us-east-1/']);
    expect(regions.Contents ?? []).toEqual([]);
    const paged = await c.s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/123456789012/', Delimiter: '/', MaxKeys: 1 }));
    expect(paged.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['AWSLogs/123456789012/CloudTrail/']);
    const next = await c.s3.send(
      new ListObjectsV2Command({
        Bucket: 'trail-bucket',
        Prefix: 'AWSLogs/123456789012/',
        Delimiter: '/',
        MaxKeys: 1,
        ContinuationToken: paged.NextContinuationToken,
      }),
    );
    expect(next.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['AWSLogs/123456789012/vpcflowlogs/']);
    expect(next.IsTruncated).toBe(false);
    expect(await failure(c.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('GetObject streams the file with ETag, length and date; HeadObject; missing keys and escapes refused', async () => {
    const key = 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/b.json.gz';
    const got = await c.s3.send(new GetObjectCommand({ Bucket: 'trail-bucket', Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe('second file');
    expect(got.ContentLength).toBe(11);
    expect(got.ETag).toBe(`"${createHash('md5').update('second file').digest('hex')}"`);
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await c.s3.send(new HeadObjectCommand({ Bucket: 'trail-bucket', Key: key }));
    expect(head.ContentLength).toBe(11);
    expect((await failure(c.s3.send(new GetObjectCommand({ Bucket: 'trail-bucket', Key: 'nope' })))).name).toBe('NoSuchKey');
    expect((await failure(c.s3.send(new GetObjectCommand({ Bucket: 'trail-bucket', Key: 'AWSLogs/.tmp-writing' })))).name).toBe('NoSuchKey');
    expect((await failure(c.s3.send(new GetObjectCommand({ Bucket: 'finance-bucket', Key: '../trail-bucket/top.txt' })))).name).toBe('NoSuchKey');
    expect((await failure(c.s3.send(new HeadObjectCommand({ Bucket: 'trail-bucket', Key: 'nope' })))).status).toBe(404);
    const mark = lab.calls.length;
    await c.s3.send(new GetObjectCommand({ Bucket: 'trail-bucket', Key: 'top.txt' }));
    await c.s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/' }));
    const [get, list] = lab.since(mark);
    expect(get).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventCategory: 'Data',
      readOnly: true,
      requestParameters: { bucketName: 'trail-bucket', key: 'top.txt' },
      resources: [
        { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::trail-bucket/top.txt' },
        { type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::trail-bucket', accountId: ACCOUNT },
      ],
    });
    expect(list).toMatchObject({
      eventName: 'ListObjects',
      eventCategory: 'Data',
      requestParameters: { bucketName: 'trail-bucket', 'list-type': '2', prefix: 'AWSLogs/' },
    });
  });

  it('bucket logging and public access block: put, get, delete, and the records', async () => {
    const mark = lab.calls.length;
    await c.s3.send(
      new PutBucketLoggingCommand({
        Bucket: 'finance-bucket',
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'log-bucket', TargetPrefix: 'finance/' } },
      }),
    );
    expect((await c.s3.send(new GetBucketLoggingCommand({ Bucket: 'finance-bucket' }))).LoggingEnabled).toEqual({
      TargetBucket: 'log-bucket',
      TargetPrefix: 'finance/',
    });
    await c.s3.send(new PutBucketLoggingCommand({ Bucket: 'finance-bucket', BucketLoggingStatus: {} }));
    expect((await c.s3.send(new GetBucketLoggingCommand({ Bucket: 'finance-bucket' }))).LoggingEnabled).toBeUndefined();
    expect(
      (
        await failure(
          c.s3.send(
            new PutBucketLoggingCommand({ Bucket: 'finance-bucket', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'nowhere', TargetPrefix: '' } } }),
          ),
        )
      ).name,
    ).toBe('InvalidTargetBucketForLogging');

    const config = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true };
    await c.s3.send(new PutPublicAccessBlockCommand({ Bucket: 'finance-bucket', PublicAccessBlockConfiguration: config }));
    expect((await c.s3.send(new GetPublicAccessBlockCommand({ Bucket: 'finance-bucket' }))).PublicAccessBlockConfiguration).toEqual(config);
    await c.s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'finance-bucket' }));
    expect(await failure(c.s3.send(new GetPublicAccessBlockCommand({ Bucket: 'finance-bucket' })))).toMatchObject({
      name: 'NoSuchPublicAccessBlockConfiguration',
      status: 404,
    });

    const calls = lab.since(mark);
    expect(calls.map((x) => [x.eventName, x.errorCode ?? null, x.eventCategory])).toEqual([
      ['PutBucketLogging', null, 'Management'],
      ['GetBucketLogging', null, 'Management'],
      ['PutBucketLogging', null, 'Management'],
      ['GetBucketLogging', null, 'Management'],
      ['PutBucketLogging', 'InvalidTargetBucketForLogging', 'Management'],
      ['PutBucketPublicAccessBlock', null, 'Management'],
      ['GetBucketPublicAccessBlock', null, 'Management'],
      ['DeleteBucketPublicAccessBlock', null, 'Management'],
      ['GetBucketPublicAccessBlock', 'NoSuchPublicAccessBlockConfiguration', 'Management'],
    ]);
    expect(calls[0]?.requestParameters).toMatchObject({
      bucketName: 'finance-bucket',
      logging: '',
      BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', LoggingEnabled: { TargetBucket: 'log-bucket', TargetPrefix: 'finance/' } },
    });
    expect(calls[2]?.requestParameters).toMatchObject({ BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' } });
    expect(calls[2]?.requestParameters?.BucketLoggingStatus).not.toHaveProperty('LoggingEnabled');
    expect(calls[5]?.requestParameters).toMatchObject({ bucketName: 'finance-bucket', publicAccessBlock: '', PublicAccessBlockConfiguration: config });
    expect(calls[5]?.resources).toEqual([{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::finance-bucket' }]);
  });

  it('read-only users may read but not change a bucket', async () => {
    lab.account.createUser('reader');
    lab.account.attachUserPolicy('reader', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    const { s3 } = lab.clients(lab.account.createAccessKey('reader'));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket' }))).KeyCount).toBe(6);
    const e = await failure(s3.send(new PutPublicAccessBlockCommand({ Bucket: 'finance-bucket', PublicAccessBlockConfiguration: { BlockPublicAcls: false } })));
    expect(e).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(e.message).toContain('s3:PutBucketPublicAccessBlock on resource: arn:aws:s3:::finance-bucket');
  });
});

describe('instance metadata and instance role credentials', () => {
  async function imds(path: string, token?: string, method = 'GET'): Promise<Response> {
    return fetch(`${lab.server.imdsUrl(instance.instanceId)}${path}`, {
      method,
      headers: token ? { 'x-aws-ec2-metadata-token': token } : { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
    });
  }

  it('hands out the role credentials over IMDSv2 and records the delivery as CloudTrail does', async () => {
    expect((await imds('/latest/meta-data/iam/security-credentials/', 'no-token')).status).toBe(401);
    const token = await (await imds('/latest/api/token', undefined, 'PUT')).text();
    const mark = lab.calls.length;
    expect(await (await imds('/latest/meta-data/iam/security-credentials/', token)).text()).toBe('app-role');
    const doc = (await (await imds('/latest/meta-data/iam/security-credentials/app-role', token)).json()) as Record<string, string>;
    expect(doc).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: expect.stringMatching(/^ASIA/) });
    expect(Date.parse(doc.Expiration!)).toBeGreaterThan(Date.now() + 3600_000);
    // A malformed %-escape names no role (404, not a server error).
    expect((await imds('/latest/meta-data/iam/security-credentials/%E0%A4%A', token)).status).toBe(404);
    const again = (await (await imds('/latest/meta-data/iam/security-credentials/app-role', token)).json()) as Record<string, string>;
    expect(again.AccessKeyId).toBe(doc.AccessKeyId);
    const deliveries = lab.since(mark);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      principal: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
      sourceIPAddress: 'ec2.amazonaws.com',
      userAgent: 'ec2.amazonaws.com',
      requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/app-role`, roleSessionName: instance.instanceId },
      // as CloudTrail writes an AWS service's AssumeRole: credentials with the token's key, no assumedRoleUser
      responseElements: {
        credentials: { accessKeyId: doc.AccessKeyId, sessionToken: HIDDEN, expiration: expect.any(String) },
      },
    });
    expect(Object.keys(deliveries[0]!.responseElements ?? {})).toEqual(['credentials']);
    expect(JSON.stringify(deliveries)).not.toContain(doc.SecretAccessKey!);
    expect(JSON.stringify(deliveries)).not.toContain(doc.Token!);

    const stolen = lab.clients({ accessKeyId: doc.AccessKeyId!, secretAccessKey: doc.SecretAccessKey!, sessionToken: doc.Token! }, '198.51.100.23');
    expect((await stolen.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/app-role/${instance.instanceId}`);
    expect((await stolen.dynamodb.send(new ListTablesCommand({}))).TableNames).toHaveLength(3);
    expect(lab.calls.at(-1)).toMatchObject({
      sourceIPAddress: '198.51.100.23',
      principal: { type: 'AssumedRole', roleName: 'app-role', sessionName: instance.instanceId, ec2RoleDelivery: '2.0', sourceInstanceId: instance.instanceId },
    });
    expect((await imds('/latest/meta-data/iam/security-credentials/other-role', token)).status).toBe(404);
  });

  it('the revoke-sessions deny stops earlier credentials; credentials issued after it work; disassociation stops IMDS', async () => {
    const old = lab.account.instanceCredentials(instance.instanceId);
    const stolen = lab.clients({ accessKeyId: old.accessKeyId, secretAccessKey: old.secretAccessKey, sessionToken: old.token }, '198.51.100.23');
    expect((await stolen.dynamodb.send(new ListTablesCommand({}))).TableNames).toHaveLength(3);

    const cutoffMs = Date.now();
    await c.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'app-role',
        PolicyName: 'AWSRevokeOlderSessions',
        PolicyDocument: revokeOlderSessionsPolicy(tokenIssueCutoff(cutoffMs)),
      }),
    );
    const mark = lab.calls.length;
    const denied = await failure(stolen.dynamodb.send(new ListTablesCommand({})));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/app-role/${instance.instanceId} is not authorized to perform: dynamodb:ListTables on resource: arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/* with an explicit deny in an identity-based policy`,
    );
    expect(lab.since(mark)[0]).toMatchObject({ eventName: 'ListTables', errorCode: 'AccessDenied', sourceIPAddress: '198.51.100.23' });
    expect((await stolen.sts.send(new GetCallerIdentityCommand({}))).Arn).toContain(instance.instanceId);

    // the cutoff is rounded up to the next second: credentials issued after it are not covered
    await new Promise((r) => setTimeout(r, Math.ceil(cutoffMs / 1000) * 1000 - Date.now() + 20));
    const fresh = lab.account.instanceCredentials(instance.instanceId, { fresh: true });
    expect(fresh.accessKeyId).not.toBe(old.accessKeyId);
    const renewed = lab.clients({ accessKeyId: fresh.accessKeyId, secretAccessKey: fresh.secretAccessKey, sessionToken: fresh.token });
    expect((await renewed.dynamodb.send(new ListTablesCommand({}))).TableNames).toHaveLength(3);

    const assoc = lab.account.liveAssociation(instance.instanceId)!;
    lab.account.disassociateInstanceProfile(assoc.associationId);
    const token = await (await imds('/latest/api/token', undefined, 'PUT')).text();
    expect((await imds('/latest/meta-data/iam/security-credentials/', token)).status).toBe(404);
    expect((await renewed.dynamodb.send(new ListTablesCommand({}))).TableNames).toHaveLength(3);
  });
});
