// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables (${aws:username}) are literal text in policies
/**
 * The lab's policy evaluator (src/lab/policy.ts) against @cloud-copilot/iam-simulate, an independent simulator of
 * IAM's evaluation logic (AGPL: used here, in tests, only). Every case runs through both; they must agree on the
 * decision (Allow, explicit deny, implicit deny), and ours must be the one the case expects.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { type Decision, evaluate } from '../../src/lab/policy.js';

const ACCOUNT = '111122223333';
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/WebAppRole/i-0a1b2c3d4e5f67890`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`;
const TRAIL_OBJECT = 'arn:aws:s3:::trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/file.json.gz';

const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const revoke = (iso: string) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'RevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': iso } } }],
});
const denyOutside = (op: string, cidrs: string | string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { [op]: { 'aws:SourceIp': cidrs } } }],
});
const allow = (statement: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
const deny = (statement: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', ...statement }] });

interface Case {
  name: string;
  policies: unknown[];
  action: string;
  resource?: string;
  principal?: string;
  context?: Record<string, string | string[]>;
  expected: Decision;
  /** When iam-simulate is known to decide otherwise: what it says and why we keep ours. */
  simulatorSays?: { decision: Decision; why: string };
}

const userContext = { 'aws:username': 'alice', 'aws:userid': 'AIDAEXAMPLEALICE', 'aws:PrincipalArn': USER, 'aws:SourceIp': '198.51.100.23' };
const roleContext = {
  'aws:userid': 'AROAEXAMPLEWEBAPP:i-0a1b2c3d4e5f67890',
  'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/WebAppRole`,
  'aws:SourceIp': '198.51.100.23',
  'aws:TokenIssueTime': '2024-05-01T10:00:00Z',
  'ec2:SourceInstanceARN': `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0a1b2c3d4e5f67890`,
};

const cases: Case[] = [
  // --- the workshop's revoke-older-sessions policy (aws:TokenIssueTime)
  {
    name: 'revoke: token issued before the cut-off is denied',
    policies: [allowAll, revoke('2024-05-01T12:00:00Z')],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'revoke: token issued after the cut-off is allowed',
    policies: [allowAll, revoke('2024-05-01T09:00:00Z')],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'revoke: token issued exactly at the cut-off is not "less than"',
    policies: [allowAll, revoke('2024-05-01T10:00:00Z')],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'revoke: a long-term key has no aws:TokenIssueTime, so the deny does not apply',
    policies: [allowAll, revoke('2030-01-01T00:00:00Z')],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'revoke: cut-off with a time-zone offset',
    policies: [allowAll, revoke('2024-05-01T11:30:00+01:00')],
    action: 'ssm:DescribeParameters',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'revoke: cut-off in epoch seconds',
    policies: [allowAll, revoke('1714561200')], // 2024-05-01T11:00:00Z
    action: 'dynamodb:DescribeTable',
    resource: TABLE,
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ExplicitDeny',
    simulatorSays: {
      decision: 'Allow',
      why:
        'iam-simulate reads an epoch policy value as a number of seconds but an ISO 8601 request value as milliseconds, and compares ' +
        'the two (1714561200 < 1714557600000), so the deny never applies; AWS documents date values as ISO 8601 or epoch (UNIX) seconds',
    },
  },
  {
    name: 'revoke: the deny also beats a specific allow',
    policies: [allow({ Action: 'dynamodb:ListTables', Resource: '*' }), revoke('2024-05-02T00:00:00Z')],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ExplicitDeny',
  },
  // --- source address
  {
    name: 'NotIpAddress deny: call from outside the allowed range is denied',
    policies: [allowAll, denyOutside('NotIpAddress', '203.0.113.0/24')],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'NotIpAddress deny: call from inside the range is allowed',
    policies: [allowAll, denyOutside('NotIpAddress', '203.0.113.0/24')],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SourceIp': '203.0.113.77' },
    expected: 'Allow',
  },
  {
    name: 'NotIpAddress deny with two ranges (NOR): inside the second range is allowed',
    policies: [allowAll, denyOutside('NotIpAddress', ['203.0.113.0/24', '10.0.0.0/8'])],
    action: 'iam:GetUser',
    resource: USER,
    context: { ...userContext, 'aws:SourceIp': '10.1.2.3' },
    expected: 'Allow',
  },
  {
    name: 'NotIpAddress deny: without aws:SourceIp (negated operator, missing key) the deny applies',
    policies: [allowAll, denyOutside('NotIpAddress', '203.0.113.0/24')],
    action: 'dynamodb:ListTables',
    context: { 'aws:username': 'alice' },
    expected: 'ExplicitDeny',
  },
  {
    name: 'NotIpAddressIfExists deny: without aws:SourceIp the condition is true (IfExists), so the deny applies',
    policies: [allowAll, denyOutside('NotIpAddressIfExists', '203.0.113.0/24')],
    action: 'dynamodb:ListTables',
    context: { 'aws:username': 'alice' },
    expected: 'ExplicitDeny',
  },
  {
    name: 'IpAddressIfExists allow: without aws:SourceIp the allow applies',
    policies: [allow({ Action: 'dynamodb:ListTables', Resource: '*', Condition: { IpAddressIfExists: { 'aws:SourceIp': '203.0.113.0/24' } } })],
    action: 'dynamodb:ListTables',
    context: { 'aws:username': 'alice' },
    expected: 'Allow',
  },
  {
    name: 'IpAddress deny: a threat-listed address is denied',
    policies: [allowAll, denyOutside('IpAddress', ['192.0.2.0/24', '198.51.100.23/32'])],
    action: 'sts:GetSessionToken',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'IpAddress deny: another address is allowed',
    policies: [allowAll, denyOutside('IpAddress', '198.51.100.0/25')],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SourceIp': '198.51.100.200' },
    expected: 'Allow',
  },
  {
    name: 'IpAddress allow with an IPv6 range',
    policies: [allow({ Action: 'dynamodb:ListTables', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SourceIp': '2001:db8:1234::5' },
    expected: 'Allow',
  },
  {
    name: 'IpAddress allow with an IPv6 range: an address outside it',
    policies: [allow({ Action: 'dynamodb:ListTables', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SourceIp': '2001:db9::5' },
    expected: 'ImplicitDeny',
  },
  // --- action wildcards and case
  {
    name: 'action wildcard dynamodb:List* allows ListTables',
    policies: [allow({ Action: 'dynamodb:List*', Resource: '*' })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'action wildcard dynamodb:List* does not allow DescribeTable',
    policies: [allow({ Action: 'dynamodb:List*', Resource: '*' })],
    action: 'dynamodb:DescribeTable',
    resource: TABLE,
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'actions are case-insensitive',
    policies: [allow({ Action: ['DynamoDB:listtables'], Resource: '*' })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'action ? wildcard',
    policies: [allow({ Action: 'ssm:GetParameter?', Resource: '*' })],
    action: 'ssm:GetParameters',
    resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db-password`,
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'action ? wildcard matches exactly one character',
    policies: [allow({ Action: 'ssm:GetParameter?', Resource: '*' })],
    action: 'ssm:GetParameter',
    resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db-password`,
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'iam:*AccessKey* allows UpdateAccessKey',
    policies: [allow({ Action: 'iam:*AccessKey*', Resource: '*' })],
    action: 'iam:UpdateAccessKey',
    resource: USER,
    context: userContext,
    expected: 'Allow',
  },
  // --- resource wildcards
  {
    name: 'resource wildcard on the trail bucket allows the object',
    policies: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/AWSLogs/*' })],
    action: 's3:GetObject',
    resource: TRAIL_OBJECT,
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'resource wildcard: another bucket is not allowed',
    policies: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/AWSLogs/*' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::other-bucket/AWSLogs/x',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'resources are case-sensitive',
    policies: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::Trail-Bucket/*' })],
    action: 's3:GetObject',
    resource: TRAIL_OBJECT,
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'resource wildcards in region and account segments',
    policies: [allow({ Action: 'dynamodb:DescribeTable', Resource: 'arn:aws:dynamodb:*:*:table/ord?rs' })],
    action: 'dynamodb:DescribeTable',
    resource: TABLE,
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'a specific resource does not cover a resource-less action (ListTables needs "*")',
    policies: [allow({ Action: 'dynamodb:*', Resource: TABLE })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  // --- policy variables
  {
    name: '${aws:username} in the resource: own user',
    policies: [allow({ Action: 'iam:*AccessKey*', Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` })],
    action: 'iam:ListAccessKeys',
    resource: USER,
    context: userContext,
    expected: 'Allow',
  },
  {
    name: '${aws:username} in the resource: another user',
    policies: [allow({ Action: 'iam:*AccessKey*', Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` })],
    action: 'iam:ListAccessKeys',
    resource: `arn:aws:iam::${ACCOUNT}:user/bob`,
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: '${aws:username} in a condition value',
    policies: [allow({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::home', Condition: { StringLike: { 's3:prefix': '${aws:username}/*' } } })],
    action: 's3:ListBucket',
    resource: 'arn:aws:s3:::home',
    context: { ...userContext, 's3:prefix': 'alice/docs/' },
    expected: 'Allow',
  },
  {
    name: 'a variable with a default value',
    policies: [allow({ Action: 's3:GetObject', Resource: "arn:aws:s3:::home/${aws:username, 'shared'}/*" })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::home/shared/readme.txt',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'Version 2008-10-17: ${...} is literal text',
    policies: [{ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` }] }],
    action: 'iam:GetUser',
    resource: USER,
    context: userContext,
    expected: 'ImplicitDeny',
    simulatorSays: {
      decision: 'Allow',
      why: 'iam-simulate substitutes variables whatever the Version; AWS: "variables like ${aws:username} are treated as literal strings" before 2012-10-17',
    },
  },
  // --- NotAction / NotResource
  {
    name: 'NotAction allow: everything but IAM (DynamoDB allowed)',
    policies: [allow({ NotAction: 'iam:*', Resource: '*' })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'NotAction allow: everything but IAM (IAM not allowed)',
    policies: [allow({ NotAction: 'iam:*', Resource: '*' })],
    action: 'iam:ListUsers',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'NotAction deny: deny all but GetCallerIdentity (ListTables denied)',
    policies: [allowAll, deny({ NotAction: ['sts:GetCallerIdentity'], Resource: '*' })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'NotAction deny: deny all but GetCallerIdentity (GetCallerIdentity allowed)',
    policies: [allowAll, deny({ NotAction: ['sts:GetCallerIdentity'], Resource: '*' })],
    action: 'sts:GetCallerIdentity',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'NotResource deny: reading outside the trail bucket is denied',
    policies: [allow({ Action: 's3:*', Resource: '*' }), deny({ Action: 's3:GetObject', NotResource: 'arn:aws:s3:::trail-bucket/*' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::payroll/2024.csv',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'NotResource deny: reading the trail bucket is allowed',
    policies: [allow({ Action: 's3:*', Resource: '*' }), deny({ Action: 's3:GetObject', NotResource: 'arn:aws:s3:::trail-bucket/*' })],
    action: 's3:GetObject',
    resource: TRAIL_OBJECT,
    context: userContext,
    expected: 'Allow',
  },
  // --- explicit deny over allow, implicit deny
  {
    name: 'explicit deny in another policy beats allow *',
    policies: [allowAll, deny({ Action: 'dynamodb:*', Resource: '*' })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'explicit deny in the same policy beats allow',
    policies: [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'ssm:*', Resource: '*' },
          { Effect: 'Deny', Action: 'ssm:GetParameters', Resource: `arn:aws:ssm:*:*:parameter/app/*` },
        ],
      },
    ],
    action: 'ssm:GetParameters',
    resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db-password`,
    context: userContext,
    expected: 'ExplicitDeny',
  },
  { name: 'no policies: implicit deny', policies: [], action: 'dynamodb:ListTables', context: userContext, expected: 'ImplicitDeny' },
  {
    name: 'a deny whose condition does not match leaves an implicit deny',
    policies: [deny({ Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SecureTransport': 'true' },
    expected: 'ImplicitDeny',
  },
  // --- other condition operators
  {
    name: 'StringEquals on aws:username, key name in another case',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEquals: { 'AWS:UserName': 'alice' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'StringEquals is case-sensitive on values',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': 'Alice' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'StringEqualsIgnoreCase',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEqualsIgnoreCase: { 'aws:username': 'ALICE' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'StringLike on the principal ARN (role sessions of WebAppRole)',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/Web*` } } })],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'StringNotEquals deny with the key missing applies (negated operator)',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'security' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'StringNotLike deny: a value matching one of the patterns is not denied (NOR)',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { StringNotLike: { 'aws:username': ['bob', 'ali*'] } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'StringEqualsIfExists with the key missing',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:PrincipalTag/team': 'security' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'StringEquals with the key missing',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'security' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'Bool aws:SecureTransport false: denied over plain HTTP',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SecureTransport': 'false' },
    expected: 'ExplicitDeny',
  },
  {
    name: 'BoolIfExists MFA deny: a key without MFA information is denied',
    policies: [allowAll, deny({ Action: 'iam:*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } })],
    action: 'iam:ListUsers',
    context: userContext,
    expected: 'ExplicitDeny',
  },
  {
    name: 'BoolIfExists MFA deny: with MFA the call is allowed',
    policies: [allowAll, deny({ Action: 'iam:*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } })],
    action: 'iam:ListUsers',
    context: { ...userContext, 'aws:MultiFactorAuthPresent': 'true' },
    expected: 'Allow',
  },
  {
    name: 'Null: only long-term keys (no aws:TokenIssueTime) are allowed; a role session is not',
    policies: [allow({ Action: 'ec2:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })],
    action: 'ec2:DescribeInstances',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'Null: a long-term key is allowed',
    policies: [allow({ Action: 'ec2:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })],
    action: 'ec2:DescribeInstances',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'NumericLessThan on aws:MultiFactorAuthAge',
    policies: [allow({ Action: '*', Resource: '*', Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:MultiFactorAuthAge': '1200' },
    expected: 'Allow',
  },
  {
    name: 'NumericGreaterThanEquals not met',
    policies: [allow({ Action: '*', Resource: '*', Condition: { NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': 3600 } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:MultiFactorAuthAge': '1200' },
    expected: 'ImplicitDeny',
  },
  {
    name: 'DateGreaterThan on aws:CurrentTime: a policy that expired',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:CurrentTime': '2024-07-01T08:00:00Z' },
    expected: 'ExplicitDeny',
  },
  {
    name: 'DateLessThanEquals on aws:EpochTime (epoch seconds on both sides)',
    policies: [allow({ Action: '*', Resource: '*', Condition: { DateLessThanEquals: { 'aws:EpochTime': '1714557600' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:EpochTime': '1714557600' },
    expected: 'Allow',
  },
  {
    name: 'ArnLike on ec2:SourceInstanceARN: instance credentials used from the instance',
    policies: [
      allow({ Action: 'dynamodb:*', Resource: '*', Condition: { ArnLike: { 'ec2:SourceInstanceARN': `arn:aws:ec2:*:${ACCOUNT}:instance/i-0a1b*` } } }),
    ],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'ArnNotLike deny: instance credentials used off the instance (key missing) are denied',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { ArnNotLike: { 'ec2:SourceInstanceARN': `arn:aws:ec2:*:${ACCOUNT}:instance/*` } } })],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: { ...roleContext, 'ec2:SourceInstanceARN': undefined as unknown as string },
    expected: 'ExplicitDeny',
  },
  {
    name: 'ArnEquals on aws:PrincipalArn',
    policies: [allow({ Action: '*', Resource: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': USER } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'two keys in one operator are ANDed',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': 'alice', 'aws:userid': 'AIDAOTHER' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'two operators are ANDed (both met)',
    policies: [
      allow({
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:username': 'alice' }, IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } },
      }),
    ],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'ForAnyValue:StringEquals on aws:CalledVia',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
    expected: 'Allow',
  },
  {
    name: 'ForAnyValue with the key missing is false',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'ForAllValues:StringLike: every value must match',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAllValues:StringLike': { 'aws:CalledVia': ['*.amazonaws.com'] } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:CalledVia': ['athena.amazonaws.com', 'evil.example'] },
    expected: 'ImplicitDeny',
  },
  {
    name: 'ForAllValues with the key missing is true',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:CalledVia': ['athena.amazonaws.com'] } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'a variable whose key is missing makes the statement not apply (resource)',
    policies: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::home/alice/readme.txt',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'a variable whose key is missing makes a deny not apply (negated condition)',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:userid': '${aws:PrincipalTag/owner}' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'NotResource allow covers a resource-less action',
    policies: [allow({ Action: 'dynamodb:*', NotResource: TABLE })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'a wildcard account segment',
    policies: [allow({ Action: 'iam:GetUser', Resource: 'arn:aws:iam::*:user/alice' })],
    action: 'iam:GetUser',
    resource: USER,
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'a wildcard segment does not cross a colon',
    policies: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:*:*:bucket/key' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::extra:bucket/key',
    context: userContext,
    expected: 'ImplicitDeny',
  },
  {
    name: 'StringLike with ? in the value',
    policies: [allow({ Action: '*', Resource: '*', Condition: { StringLike: { 'aws:username': 'al?ce' } } })],
    action: 'dynamodb:ListTables',
    context: userContext,
    expected: 'Allow',
  },
  {
    name: 'DateEquals on aws:TokenIssueTime',
    policies: [allow({ Action: '*', Resource: '*', Condition: { DateEquals: { 'aws:TokenIssueTime': '2024-05-01T10:00:00Z' } } })],
    action: 'dynamodb:ListTables',
    principal: ROLE_SESSION,
    context: roleContext,
    expected: 'Allow',
  },
  {
    name: 'NumericEquals compares numbers, not text',
    policies: [allow({ Action: '*', Resource: '*', Condition: { NumericEquals: { 'aws:MultiFactorAuthAge': '60.0' } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:MultiFactorAuthAge': '60' },
    expected: 'Allow',
  },
  {
    name: 'Bool with a JSON boolean value',
    policies: [allowAll, deny({ Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:SecureTransport': 'false' },
    expected: 'ExplicitDeny',
  },
  {
    name: 'ForAnyValue:StringNotEquals: one value outside the list is enough',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringNotEquals': { 'aws:CalledVia': ['athena.amazonaws.com'] } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
    expected: 'Allow',
  },
  {
    name: 'ForAllValues:StringNotLike: one value matching a pattern fails it',
    policies: [allow({ Action: '*', Resource: '*', Condition: { 'ForAllValues:StringNotLike': { 'aws:CalledVia': ['cloud*'] } } })],
    action: 'dynamodb:ListTables',
    context: { ...userContext, 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
    expected: 'ImplicitDeny',
  },
  {
    name: 'a Statement object (not an array) and Action as a string',
    policies: [{ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' } }],
    action: 's3:ListAllMyBuckets',
    context: userContext,
    expected: 'Allow',
  },
];

const SIMULATOR: Record<string, Decision> = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' };

async function simulate(c: Case): Promise<Decision> {
  const context = Object.fromEntries(Object.entries(c.context ?? {}).filter(([, v]) => v !== undefined));
  const simulation: Simulation = {
    request: {
      principal: c.principal ?? USER,
      action: c.action,
      resource: { resource: c.resource ?? '*', accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: c.policies.map((policy, i) => ({ name: `policy${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`iam-simulate refused the case: ${JSON.stringify(result.errors)}`);
  const decision = SIMULATOR[result.overallResult];
  if (!decision) throw new Error(`iam-simulate returned ${JSON.stringify(result.overallResult)}`);
  return decision;
}

describe('policy evaluation agrees with @cloud-copilot/iam-simulate', () => {
  it('has a table of at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ours = evaluate(
      c.policies.map((document, i) => ({ name: `policy${i}`, document })),
      { action: c.action, resource: c.resource ?? '*', context: c.context ?? {} },
    ).decision;
    expect(ours, 'ours').toBe(c.expected);
    const theirs = await simulate(c);
    expect(theirs, 'iam-simulate').toBe(c.simulatorSays ? c.simulatorSays.decision : ours);
  });
});
