/**
 * The lab's AWS endpoint through the real SDK v3 clients: IAM and STS operations, authentication (unknown and
 * inactive keys, tampered requests, session tokens), authorization (explicit deny, source address conditions,
 * GetCallerIdentity), the call records, and bad input.
 */
import { createHash, createHmac } from 'node:crypto';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE_IP, LAB_HEADER, LAB_SOURCE_IP_HEADER } from '../../src/lab/server.js';
import { ALLOW_ALL, type Creds, failure, startTestLab, type TestLab } from './server-helpers.js';

let lab: TestLab;
let admin: Creds;
const ACCOUNT = '123456789012';
const ROLE_TRUST = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
  ],
};

beforeAll(async () => {
  lab = await startTestLab();
  lab.account.createUser('admin');
  lab.account.attachUserPolicy('admin', 'arn:aws:iam::aws:policy/AdministratorAccess');
  admin = lab.account.createAccessKey('admin');
  lab.account.createRole('app-role', ROLE_TRUST);
  lab.account.attachRolePolicy('app-role', 'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess');
  lab.account.createInstanceProfile('app-profile', 'app-role');
});
afterAll(async () => {
  await lab.close();
});

describe('IAM', () => {
  it('answers every IAM operation the scenarios and playbooks use', async () => {
    const { iam } = lab.clients(admin);
    expect((await iam.send(new GetUserCommand({}))).User?.UserName).toBe('admin');
    const created = await iam.send(new CreateUserCommand({ UserName: 'carol', Tags: [{ Key: 'team', Value: 'red' }] }));
    expect(created.User).toMatchObject({ UserName: 'carol', Arn: `arn:aws:iam::${ACCOUNT}:user/carol`, Path: '/' });
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(created.User?.CreateDate).toBeInstanceOf(Date);
    expect((await iam.send(new GetUserCommand({ UserName: 'carol' }))).User?.UserId).toBe(created.User?.UserId);
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toEqual(expect.arrayContaining(['admin', 'carol']));

    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }))).AccessKey!;
    expect(key.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(key.SecretAccessKey).toHaveLength(40);
    expect(key.Status).toBe('Active');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: key.AccessKeyId, Status: 'Inactive' }));
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'carol' }))).AccessKeyMetadata).toEqual([
      expect.objectContaining({ AccessKeyId: key.AccessKeyId, Status: 'Inactive', UserName: 'carol' }),
    ]);
    expect(lab.account.accessKeyStatus(key.AccessKeyId!)).toBe('Inactive');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'carol', AccessKeyId: key.AccessKeyId }));
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'carol' }))).AccessKeyMetadata).toEqual([]);

    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'ssm', PolicyDocument: doc }));
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'carol', PolicyName: 'ssm' }));
    expect(decodeURIComponent(got.PolicyDocument!)).toBe(doc);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'carol' }))).PolicyNames).toEqual(['ssm']);
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'carol', PolicyName: 'ssm' }));
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'carol' }))).PolicyNames).toEqual([]);
    expect((await failure(iam.send(new GetUserPolicyCommand({ UserName: 'carol', PolicyName: 'ssm' })))).name).toBe('NoSuchEntityException');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'carol', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'carol' }))).AttachedPolicies).toEqual([
      { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ]);

    const trust = JSON.stringify(ROLE_TRUST);
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'web-role', AssumeRolePolicyDocument: trust, Description: 'web' }));
    expect(role.Role?.RoleId).toMatch(/^AROA/);
    expect(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'web-role' }))).Role!.AssumeRolePolicyDocument!)).toBe(trust);
    expect((await iam.send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName)).toEqual(expect.arrayContaining(['app-role', 'web-role']));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'inline', PolicyDocument: doc }));
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'inline' }))).PolicyDocument!)).toBe(doc);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'web-role' }))).PolicyNames).toEqual(['inline']);
    expect(lab.account.getRolePolicies('web-role')).toEqual({ inline: doc });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'inline' }));
    expect((await failure(iam.send(new DeleteRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'inline' })))).name).toBe('NoSuchEntityException');
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'web-role', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'web-role' }))).AttachedPolicies?.[0]?.PolicyName).toBe('AmazonS3ReadOnlyAccess');

    const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'app-profile' }))).InstanceProfile!;
    expect(profile.Arn).toBe(`arn:aws:iam::${ACCOUNT}:instance-profile/app-profile`);
    expect(profile.Roles?.map((r) => r.RoleName)).toEqual(['app-role']);
  });

  it('answers IAM errors in IAM shapes', async () => {
    const { iam } = lab.clients(admin);
    expect(await failure(iam.send(new GetUserCommand({ UserName: 'nobody' })))).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
    expect((await failure(iam.send(new CreateUserCommand({ UserName: 'admin' })))).name).toBe('EntityAlreadyExistsException');
    const bad = await failure(iam.send(new PutUserPolicyCommand({ UserName: 'admin', PolicyName: 'x', PolicyDocument: '{"Statement":' })));
    expect(bad.name).toBe('MalformedPolicyDocumentException');
    const noEffect = await failure(
      iam.send(
        new PutUserPolicyCommand({
          UserName: 'admin',
          PolicyName: 'x',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Action: '*', Resource: '*' }] }),
        }),
      ),
    );
    expect(noEffect.name).toBe('MalformedPolicyDocumentException');
    expect((await failure(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'none' })))).name).toBe('NoSuchEntityException');
  });
});

describe('STS', () => {
  it('AssumeRole needs the identity policy and the trust policy; the session works and says who it is', async () => {
    lab.account.createUser('dev');
    const dev = lab.account.createAccessKey('dev');
    const { sts } = lab.clients(dev);
    const arn = `arn:aws:iam::${ACCOUNT}:role/app-role`;
    const noIdentity = await failure(sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'dev-session' })));
    expect(noIdentity).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(noIdentity.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: sts:AssumeRole on resource: ${arn} because no identity-based policy allows the sts:AssumeRole action`,
    );

    lab.account.putUserPolicy('dev', 'assume', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] });
    lab.account.createRole('closed-role', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const untrusted = await failure(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/closed-role`, RoleSessionName: 'dev-session' })));
    expect(untrusted.name).toBe('AccessDenied');
    expect(untrusted.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/closed-role`,
    );

    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'dev-session', DurationSeconds: 900 }));
    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(assumed.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/app-role/dev-session`);
    expect(assumed.Credentials!.Expiration!.getTime() - Date.now()).toBeGreaterThan(800_000);
    const session = lab.clients({
      accessKeyId: assumed.Credentials!.AccessKeyId!,
      secretAccessKey: assumed.Credentials!.SecretAccessKey!,
      sessionToken: assumed.Credentials!.SessionToken!,
    });
    const me = await session.sts.send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: ACCOUNT, Arn: assumed.AssumedRoleUser?.Arn, UserId: assumed.AssumedRoleUser?.AssumedRoleId });
    expect((await session.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    expect((await failure(session.iam.send(new ListUsersCommand({})))).name).toBe('AccessDenied');
  });

  it('GetSessionToken gives a user session credentials, and refuses session credentials', async () => {
    const { sts } = lab.clients(admin);
    const t = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    expect(t.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    const session = lab.clients({
      accessKeyId: t.Credentials!.AccessKeyId!,
      secretAccessKey: t.Credentials!.SecretAccessKey!,
      sessionToken: t.Credentials!.SessionToken!,
    });
    expect((await session.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/admin`);
    expect((await session.iam.send(new GetUserCommand({}))).User?.UserName).toBe('admin');
    expect(await failure(session.sts.send(new GetSessionTokenCommand({})))).toMatchObject({ name: 'AccessDenied' });
  });
});

describe('authentication', () => {
  it('refuses an unknown key with each service’s code', async () => {
    const c = lab.clients({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(await failure(c.iam.send(new ListUsersCommand({})))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect((await failure(c.iam.send(new ListUsersCommand({})))).message).toBe('The security token included in the request is invalid.');
    expect(await failure(c.sts.send(new GetCallerIdentityCommand({})))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect(await failure(c.ec2.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'AuthFailure' });
    expect(await failure(c.dynamodb.send(new ListTablesCommand({})))).toMatchObject({ name: 'UnrecognizedClientException', status: 400 });
    expect(await failure(c.ssm.send(new DescribeParametersCommand({})))).toMatchObject({ name: 'UnrecognizedClientException', status: 400 });
    expect(await failure(c.s3.send(new ListBucketsCommand({})))).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
  });

  it('refuses a key once it is made Inactive, and records the refusal', async () => {
    lab.account.createUser('mallory');
    lab.account.attachUserPolicy('mallory', 'arn:aws:iam::aws:policy/ReadOnlyAccess');
    const key = lab.account.createAccessKey('mallory');
    const { iam } = lab.clients(key, '203.0.113.66');
    expect((await iam.send(new GetUserCommand({}))).User?.UserName).toBe('mallory');
    await lab.clients(admin).iam.send(new UpdateAccessKeyCommand({ UserName: 'mallory', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    const mark = lab.calls.length;
    expect(await failure(iam.send(new GetUserCommand({})))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect(lab.since(mark)).toEqual([
      expect.objectContaining({ eventName: 'GetUser', accessKeyId: key.accessKeyId, errorCode: 'InvalidClientTokenId', sourceIPAddress: '203.0.113.66' }),
    ]);
    expect(lab.since(mark)[0]?.principal).toBeUndefined();
    expect(lab.account.describeAccessKey(key.accessKeyId)).toMatchObject({ type: 'IAMUser', userName: 'mallory' });
  });

  it('refuses a request changed after signing (body or a signed header)', async () => {
    const { iam } = lab.clients(admin);
    iam.middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.body = String(args.request.body).replace('UserName=admin', 'UserName=admio');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamperBody' },
    );
    expect(await failure(iam.send(new GetUserCommand({ UserName: 'admin' })))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });

    const { sts } = lab.clients(admin, '198.51.100.7');
    sts.middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.headers[LAB_SOURCE_IP_HEADER] = '192.0.2.1';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamperHeader' },
    );
    const mark = lab.calls.length;
    expect((await failure(sts.send(new GetCallerIdentityCommand({})))).name).toBe('SignatureDoesNotMatch');
    expect(lab.since(mark)[0]).toMatchObject({ errorCode: 'SignatureDoesNotMatch', accessKeyId: admin.accessKeyId });
  });

  it('refuses a raw request with a wrong signature, and one without authentication', async () => {
    const body = 'Action=ListUsers&Version=2010-05-08';
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const scope = `${amzDate.slice(0, 8)}/us-east-1/iam/aws4_request`;
    const signature = createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    const res = await fetch(`${lab.server.url}/`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': amzDate,
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        authorization: `AWS4-HMAC-SHA256 Credential=${admin.accessKeyId}/${scope}, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
      },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get(LAB_HEADER)).toBe('this is a local lab, not AWS');
    const text = await res.text();
    expect(text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(text).toContain('<Type>Sender</Type>');

    const anonymous = await fetch(`${lab.server.url}/`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('checks session tokens: missing, wrong, expired', async () => {
    const t = await lab.clients(admin).sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app-role`, RoleSessionName: 'tokens' }));
    const c = t.Credentials!;
    const missing = lab.clients({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey! });
    expect((await failure(missing.sts.send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    expect((await failure(missing.dynamodb.send(new ListTablesCommand({})))).name).toBe('UnrecognizedClientException');
    const wrong = lab.clients({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: `${c.SessionToken!.slice(0, -4)}AAAA` });
    expect((await failure(wrong.sts.send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    expect((await failure(wrong.s3.send(new ListBucketsCommand({})))).name).toBe('InvalidToken');
    const right = lab.clients({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
    expect((await right.sts.send(new GetCallerIdentityCommand({}))).Arn).toContain('assumed-role/app-role/tokens');
    lab.account.sessions.get(c.AccessKeyId!)!.expiration = new Date(Date.now() - 1000);
    expect((await failure(right.sts.send(new GetCallerIdentityCommand({})))).name).toBe('ExpiredToken');
    expect((await failure(right.dynamodb.send(new ListTablesCommand({})))).name).toBe('ExpiredTokenException');
  });
});

describe('authorization', () => {
  it('an explicit deny beats an allow; the denial says so', async () => {
    lab.account.createUser('denied');
    lab.account.putUserPolicy('denied', 'all', ALLOW_ALL);
    lab.account.putUserPolicy('denied', 'no-users', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:List*', Resource: '*' }] });
    const { iam, ec2 } = lab.clients(lab.account.createAccessKey('denied'));
    const e = await failure(iam.send(new ListUsersCommand({})));
    expect(e.name).toBe('AccessDenied');
    expect(e.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/denied is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCOUNT}:user/ with an explicit deny in an identity-based policy`,
    );
    expect((await iam.send(new GetUserCommand({}))).User?.UserName).toBe('denied');
    lab.account.putUserPolicy('denied', 'no-ec2', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] });
    const u = await failure(ec2.send(new DescribeInstancesCommand({})));
    expect(u.name).toBe('UnauthorizedOperation');
    expect(u.message).toMatch(
      /^You are not authorized to perform this operation\. User: arn:aws:iam::\d+:user\/denied is not authorized to perform: ec2:DescribeInstances/,
    );
  });

  it('NotIpAddress aws:SourceIp: the same key works from the office and is denied from elsewhere', async () => {
    lab.account.createUser('office');
    lab.account.putUserPolicy('office', 'all', ALLOW_ALL);
    lab.account.putUserPolicy('office', 'office-only', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['198.51.100.0/24'] } } }],
    });
    const key = lab.account.createAccessKey('office');
    expect((await lab.clients(key, '198.51.100.20').dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    const mark = lab.calls.length;
    const e = await failure(lab.clients(key, '203.0.113.9').dynamodb.send(new ListTablesCommand({})));
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(e.message).toContain('with an explicit deny in an identity-based policy');
    expect(lab.since(mark)).toEqual([
      expect.objectContaining({
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'ListTables',
        // the wire's AccessDeniedException is recorded as CloudTrail records it
        errorCode: 'AccessDenied',
        requestParameters: null,
        sourceIPAddress: '203.0.113.9',
      }),
    ]);
  });

  it('GetCallerIdentity is never denied', async () => {
    lab.account.createUser('nothing');
    lab.account.putUserPolicy('nothing', 'deny', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    const { sts, iam } = lab.clients(lab.account.createAccessKey('nothing'));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/nothing`);
    expect((await failure(iam.send(new GetUserCommand({})))).name).toBe('AccessDenied');
  });
});

describe('call records', () => {
  it('records success and denial as CloudTrail would show them, without secrets', async () => {
    const mark = lab.calls.length;
    const { iam, sts } = lab.clients(admin, '192.0.2.44');
    await iam.send(new CreateUserCommand({ UserName: 'dave' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }))).AccessKey!;
    await iam.send(new GetUserCommand({ UserName: 'dave' }));
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app-role`, RoleSessionName: 'records' }));
    const daveIam = lab.clients({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, '203.0.113.5').iam;
    await failure(daveIam.send(new ListRolesCommand({})));
    const calls = lab.since(mark);
    expect(calls.map((c) => c.eventName)).toEqual(['CreateUser', 'CreateAccessKey', 'GetUser', 'AssumeRole', 'ListRoles']);
    for (const c of calls) {
      expect(c.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(c.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(c.recipientAccountId).toBe(ACCOUNT);
      expect(c.awsRegion).toBe('us-east-1');
      expect(c.eventCategory).toBe('Management');
      expect(c.userAgent).toContain('lab-test');
    }
    const [create, createKey, get, assume, denied] = calls;
    expect(create).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      sourceIPAddress: '192.0.2.44',
      readOnly: false,
      requestParameters: { userName: 'dave' },
      principal: { type: 'IAMUser', userName: 'admin', accessKeyId: admin.accessKeyId },
    });
    expect(create?.responseElements).toMatchObject({ user: { userName: 'dave', arn: `arn:aws:iam::${ACCOUNT}:user/dave` } });
    expect(createKey?.responseElements).toEqual({
      accessKey: { userName: 'dave', accessKeyId: key.AccessKeyId, status: 'Active', createDate: expect.any(String) },
    });
    expect(get).toMatchObject({ readOnly: true, responseElements: null, requestParameters: { userName: 'dave' } });
    expect(assume).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/app-role`, roleSessionName: 'records' },
      responseElements: {
        credentials: {
          accessKeyId: assumed.Credentials?.AccessKeyId,
          expiration: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/),
        },
        assumedRoleUser: { arn: assumed.AssumedRoleUser?.Arn, assumedRoleId: assumed.AssumedRoleUser?.AssumedRoleId },
      },
    });
    expect(denied).toMatchObject({ errorCode: 'AccessDenied', sourceIPAddress: '203.0.113.5', principal: { type: 'IAMUser', userName: 'dave' } });
    expect(denied?.errorMessage).toContain('is not authorized to perform: iam:ListRoles');
    const text = JSON.stringify(lab.calls);
    for (const secret of [admin.secretAccessKey, key.SecretAccessKey!, assumed.Credentials!.SecretAccessKey!, assumed.Credentials!.SessionToken!])
      expect(text).not.toContain(secret);
  });

  it('without the source header, the default address is recorded', async () => {
    const mark = lab.calls.length;
    const res = await lab.clients(admin).sts.send(new GetCallerIdentityCommand({}));
    expect(res.Account).toBe(ACCOUNT);
    expect(lab.since(mark)[0]?.sourceIPAddress).toBe('198.51.100.7');
    const { STSClient } = await import('@aws-sdk/client-sts');
    const plain = new STSClient({ endpoint: lab.server.url, region: 'us-east-1', credentials: admin });
    await plain.send(new GetCallerIdentityCommand({}));
    plain.destroy();
    expect(lab.calls.at(-1)?.sourceIPAddress).toBe(DEFAULT_SOURCE_IP);
    expect(DEFAULT_SOURCE_IP).toBe('192.0.2.200');
  });
});

describe('bad input', () => {
  /** Rewrites a request before it is signed (so that the signature is good and only the content is bad). */
  function rewrite<T extends { middlewareStack: { add(mw: any, o: any): void } }>(
    client: T,
    f: (r: { headers: Record<string, string>; body: string }) => void,
  ): T {
    client.middlewareStack.add(
      (next: any) => (args: any) => {
        f(args.request);
        args.request.headers['content-length'] = String(Buffer.byteLength(args.request.body));
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'rewrite' },
    );
    return client;
  }

  it('answers malformed bodies with the protocol’s validation error and records them', async () => {
    const mark = lab.calls.length;
    const q = rewrite(lab.clients(admin).iam, (r) => {
      r.body = `${r.body}&Bad=%zz`;
    });
    expect(await failure(q.send(new ListUsersCommand({})))).toMatchObject({ name: 'MalformedQueryString', status: 400 });
    const j = rewrite(lab.clients(admin).dynamodb, (r) => {
      r.body = '{"Limit": ';
    });
    expect(await failure(j.send(new ListTablesCommand({})))).toMatchObject({ name: 'SerializationException', status: 400 });
    const unknown = rewrite(lab.clients(admin).dynamodb, (r) => {
      r.headers['x-amz-target'] = 'DynamoDB_20120810.PutItem';
    });
    expect((await failure(unknown.send(new ListTablesCommand({})))).name).toBe('UnknownOperationException');
    const action = rewrite(lab.clients(admin).iam, (r) => {
      r.body = 'Action=DeleteAccountPasswordPolicy&Version=2010-05-08';
    });
    expect((await failure(action.send(new ListUsersCommand({})))).name).toBe('InvalidAction');
    const xml = rewrite(lab.clients(admin).s3, (r) => {
      r.body = '<PublicAccessBlockConfiguration><BlockPublicAcls>true</Block';
    });
    lab.account.createBucket('bad-input-bucket');
    const { PutPublicAccessBlockCommand } = await import('@aws-sdk/client-s3');
    const s3e = await failure(
      xml.send(new PutPublicAccessBlockCommand({ Bucket: 'bad-input-bucket', PublicAccessBlockConfiguration: { BlockPublicAcls: true } })),
    );
    expect(s3e).toMatchObject({ name: 'MalformedXML', status: 400 });
    expect(lab.since(mark).map((c) => [c.eventName, c.errorCode])).toEqual([
      ['ListUsers', 'MalformedQueryString'],
      ['ListTables', 'SerializationException'],
      ['PutItem', 'UnknownOperationException'],
      ['DeleteAccountPasswordPolicy', 'InvalidAction'],
      ['PutBucketPublicAccessBlock', 'MalformedXML'],
    ]);
  });

  it('refuses an oversized body without reading it all', async () => {
    const res = await fetch(`${lab.server.url}/`, {
      method: 'POST',
      body: 'x'.repeat(5 * 1024 * 1024),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(413);
  });
});
