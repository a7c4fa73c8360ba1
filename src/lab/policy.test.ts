// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables (${aws:username}) are literal text in policies
import { describe, expect, it } from 'vitest';
import { type AuthzRequest, type Decision, evaluate, PolicyError, type PolicySource, parsePolicyDate, validatePolicyDocument } from './policy.js';

const ACCOUNT = '111122223333';
const V = '2012-10-17';

const doc = (...Statement: Record<string, unknown>[]) => ({ Version: V, Statement });
const allowAll = doc({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' });
/** The workshop's revoke playbook writes this inline policy on the role. */
const revokeOlderSessions = (iso: string) =>
  doc({ Sid: 'RevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': iso } } });

function decide(documents: unknown[], action: string, context: AuthzRequest['context'] = {}, resource = '*'): Decision {
  return evaluate(
    documents.map((document, i) => ({ name: `p${i}`, document })),
    { action, resource, context },
  ).decision;
}

describe('evaluate', () => {
  const cases: Array<{ name: string; policies: unknown[]; action: string; resource?: string; context?: AuthzRequest['context']; expected: Decision }> = [
    // the revoke-sessions policy
    {
      name: 'revoke: a session issued before the cut-off is denied',
      policies: [allowAll, revokeOlderSessions('2024-05-01T12:00:00Z')],
      action: 'dynamodb:ListTables',
      context: { 'aws:TokenIssueTime': '2024-05-01T11:59:59Z' },
      expected: 'ExplicitDeny',
    },
    {
      name: 'revoke: a session issued after the cut-off is allowed',
      policies: [allowAll, revokeOlderSessions('2024-05-01T12:00:00Z')],
      action: 'dynamodb:ListTables',
      context: { 'aws:TokenIssueTime': '2024-05-01T12:00:01Z' },
      expected: 'Allow',
    },
    {
      name: 'revoke: milliseconds count',
      policies: [allowAll, revokeOlderSessions('2024-05-01T12:00:00.500Z')],
      action: 'dynamodb:ListTables',
      context: { 'aws:TokenIssueTime': '2024-05-01T12:00:00.250Z' },
      expected: 'ExplicitDeny',
    },
    {
      name: 'revoke: long-term keys carry no aws:TokenIssueTime and are not affected',
      policies: [allowAll, revokeOlderSessions('2099-01-01T00:00:00Z')],
      action: 'dynamodb:ListTables',
      expected: 'Allow',
    },
    {
      name: 'revoke alone (no allow) leaves newer sessions implicitly denied',
      policies: [revokeOlderSessions('2024-05-01T12:00:00Z')],
      action: 'dynamodb:ListTables',
      context: { 'aws:TokenIssueTime': '2024-05-02T00:00:00Z' },
      expected: 'ImplicitDeny',
    },
    // source address deny policies
    {
      name: 'NotIpAddress: outside the office range is denied',
      policies: [
        allowAll,
        doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } } }),
      ],
      action: 'ec2:DescribeInstances',
      context: { 'aws:SourceIp': '198.51.100.23' },
      expected: 'ExplicitDeny',
    },
    {
      name: 'NotIpAddress: inside an IPv6 office range is allowed',
      policies: [
        allowAll,
        doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } } }),
      ],
      action: 'ec2:DescribeInstances',
      context: { 'aws:SourceIp': '2001:db8::42' },
      expected: 'Allow',
    },
    {
      name: 'IpAddress: the attacker address is denied',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '198.51.100.23/32' } } })],
      action: 'ssm:DescribeParameters',
      context: { 'aws:SourceIp': '198.51.100.23' },
      expected: 'ExplicitDeny',
    },
    {
      name: 'IpAddress: an IPv4-mapped IPv6 source is the IPv4 address',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } } })],
      action: 'ssm:DescribeParameters',
      context: { 'aws:SourceIp': '::ffff:198.51.100.23' },
      expected: 'ExplicitDeny',
    },
    {
      name: 'IpAddress: a source that is not an address never matches',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })],
      action: 'ssm:DescribeParameters',
      context: { 'aws:SourceIp': 'ec2.amazonaws.com' },
      expected: 'Allow',
    },
    // wildcards
    {
      name: 'action wildcard across the name',
      policies: [doc({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: '*' })],
      action: 'iam:UpdateAccessKey',
      expected: 'Allow',
    },
    {
      name: 'action match is case-insensitive both ways',
      policies: [doc({ Effect: 'Allow', Action: 'IAM:getuser', Resource: '*' })],
      action: 'iam:GetUser',
      expected: 'Allow',
    },
    {
      name: 'action prefix must match whole service',
      policies: [doc({ Effect: 'Allow', Action: 'dynamo:*', Resource: '*' })],
      action: 'dynamodb:ListTables',
      expected: 'ImplicitDeny',
    },
    {
      name: 'resource * in a segment does not cross a colon',
      policies: [doc({ Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::*:user/alice' })],
      action: 'iam:GetUser',
      resource: `arn:aws:iam::${ACCOUNT}:extra:user/alice`,
      expected: 'ImplicitDeny',
    },
    {
      name: 'resource * in the last segment crosses slashes and colons',
      policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail/*' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::trail/AWSLogs/a:b/c.json',
      expected: 'Allow',
    },
    {
      name: 'resource ? matches exactly one character',
      policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail/?.json' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::trail/ab.json',
      expected: 'ImplicitDeny',
    },
    {
      name: 'resource * at a request without resource (*) matches only a * pattern',
      policies: [doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:*:*:*' })],
      action: 'dynamodb:ListTables',
      expected: 'ImplicitDeny',
    },
    // NotAction
    {
      name: 'NotAction allow: not for IAM',
      policies: [doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })],
      action: 'iam:CreateUser',
      expected: 'ImplicitDeny',
    },
    {
      name: 'NotAction deny: everything but GetCallerIdentity is denied',
      policies: [allowAll, doc({ Effect: 'Deny', NotAction: 'sts:GetCallerIdentity', Resource: '*' })],
      action: 's3:ListAllMyBuckets',
      expected: 'ExplicitDeny',
    },
    // explicit deny beats allow
    {
      name: 'explicit deny beats an allow in the same statement list',
      policies: [doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }, { Effect: 'Deny', Action: 'dynamodb:ListTables', Resource: '*' })],
      action: 'dynamodb:ListTables',
      expected: 'ExplicitDeny',
    },
    {
      name: 'deny listed first, allow later: still denied',
      policies: [doc({ Effect: 'Deny', Action: 'dynamodb:ListTables', Resource: '*' }), allowAll],
      action: 'dynamodb:ListTables',
      expected: 'ExplicitDeny',
    },
    // condition mechanics
    {
      name: 'condition key names are case-insensitive (request side too)',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:USERNAME': 'alice' } } })],
      action: 'dynamodb:ListTables',
      context: { 'AWS:UserName': 'alice' },
      expected: 'Allow',
    },
    {
      name: 'a key given as undefined is absent',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:TokenIssueTime': undefined },
      expected: 'Allow',
    },
    {
      name: 'Null false requires the key',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'false' } } })],
      action: 'dynamodb:ListTables',
      expected: 'ImplicitDeny',
    },
    {
      name: 'StringEquals values are ORed',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': ['bob', 'alice'] } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:username': 'alice' },
      expected: 'Allow',
    },
    {
      name: 'StringNotEquals values are NORed',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:username': ['bob', 'alice'] } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:username': 'alice' },
      expected: 'Allow',
    },
    {
      name: 'StringNotEquals with the key missing is true',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:username': 'alice' } } })],
      action: 'dynamodb:ListTables',
      expected: 'ExplicitDeny',
    },
    {
      name: 'StringLike * matches across slashes',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/*' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/path/WebAppRole` },
      expected: 'Allow',
    },
    {
      name: 'StringEquals treats * literally',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': 'a*' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:username': 'alice' },
      expected: 'ImplicitDeny',
    },
    {
      name: 'two operators AND: one fails',
      policies: [
        doc({
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:username': 'alice' }, Bool: { 'aws:SecureTransport': 'true' } },
        }),
      ],
      action: 'dynamodb:ListTables',
      context: { 'aws:username': 'alice', 'aws:SecureTransport': 'false' },
      expected: 'ImplicitDeny',
    },
    {
      name: 'Bool is case-insensitive on the request value',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:ViaAWSService': 'true' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:ViaAWSService': 'TRUE' },
      expected: 'Allow',
    },
    {
      name: 'DateGreaterThan with epoch seconds on the request (aws:EpochTime) and ISO in the policy',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:EpochTime': '2024-05-01T00:00:00Z' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:EpochTime': '1714521601' },
      expected: 'Allow',
    },
    {
      name: 'Date without a zone is UTC',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2024-05-01T12:00:00' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:CurrentTime': '2024-05-01T11:59:59Z' },
      expected: 'Allow',
    },
    {
      name: 'a request value that is not a date never matches',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:CurrentTime': 'yesterday' },
      expected: 'ImplicitDeny',
    },
    {
      name: 'ArnLike compares segment by segment',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { ArnLike: { 'ec2:SourceInstanceARN': 'arn:aws:ec2:*:*:instance/i-*' } } })],
      action: 'dynamodb:ListTables',
      context: { 'ec2:SourceInstanceARN': `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc` },
      expected: 'Allow',
    },
    {
      name: 'ArnLike: a value that is not an ARN does not match',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { ArnLike: { 'ec2:SourceInstanceARN': 'arn:aws:ec2:*:*:instance/i-*' } } })],
      action: 'dynamodb:ListTables',
      context: { 'ec2:SourceInstanceARN': 'i-0abc' },
      expected: 'ImplicitDeny',
    },
    {
      name: 'a single-valued operator on a multivalued key: any value matches',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:CalledVia': 'athena.amazonaws.com' } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:CalledVia': ['cloudformation.amazonaws.com', 'athena.amazonaws.com'] },
      expected: 'Allow',
    },
    {
      name: 'ForAllValues on an empty list is true',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:TagKeys': [] },
      expected: 'Allow',
    },
    // policy variables
    {
      name: '${aws:username} in the resource',
      policies: [doc({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` })],
      action: 'iam:UpdateAccessKey',
      resource: `arn:aws:iam::${ACCOUNT}:user/alice`,
      context: { 'aws:username': 'alice' },
      expected: 'Allow',
    },
    {
      name: 'a substituted value is literal: a * in it is not a wildcard',
      policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/x' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::home/alice/x',
      context: { 'aws:username': '*' },
      expected: 'ImplicitDeny',
    },
    {
      name: '${*} is a literal asterisk',
      policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${*}/x' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::home/star/x',
      expected: 'ImplicitDeny',
    },
    {
      name: '${*} matches an asterisk in the resource',
      policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${*}/x' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::home/*/x',
      expected: 'Allow',
    },
    {
      name: 'a variable with a default',
      policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:userid': "${aws:username, 'nobody'}" } } })],
      action: 'dynamodb:ListTables',
      context: { 'aws:userid': 'nobody' },
      expected: 'Allow',
    },
    {
      name: 'an unresolvable variable in a deny makes it not apply',
      policies: [allowAll, doc({ Effect: 'Deny', Action: '*', Resource: 'arn:aws:s3:::x/${aws:username}' })],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::x/alice',
      expected: 'Allow',
    },
    {
      name: 'without Version, ${...} is literal',
      policies: [{ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::x/${aws:username}' }] }],
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::x/${aws:username}',
      context: { 'aws:username': 'alice' },
      expected: 'Allow',
    },
    {
      name: 'a JSON string document is parsed',
      policies: [JSON.stringify(allowAll)],
      action: 'dynamodb:ListTables',
      expected: 'Allow',
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(decide(c.policies, c.action, c.context, c.resource)).toBe(c.expected);
  });

  it('names the deciding statement', () => {
    const policies: PolicySource[] = [
      { name: 'role/WebAppRole inline policy app', document: allowAll },
      { name: 'role/WebAppRole inline policy revoke', document: revokeOlderSessions('2024-05-01T12:00:00Z') },
    ];
    expect(evaluate(policies, { action: 'dynamodb:ListTables', resource: '*', context: { 'aws:TokenIssueTime': '2024-05-01T10:00:00Z' } })).toEqual({
      decision: 'ExplicitDeny',
      by: { policy: 'role/WebAppRole inline policy revoke', sid: 'RevokeOlderSessions' },
    });
    expect(evaluate(policies, { action: 'dynamodb:ListTables', resource: '*', context: { 'aws:TokenIssueTime': '2024-05-01T13:00:00Z' } })).toEqual({
      decision: 'Allow',
      by: { policy: 'role/WebAppRole inline policy app', sid: 'All' },
    });
    expect(evaluate([], { action: 'dynamodb:ListTables', resource: '*', context: {} })).toEqual({ decision: 'ImplicitDeny' });
    const noSid = evaluate([{ name: 'p', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) }], { action: 'a:b', resource: '*', context: {} });
    expect(noSid.by).toEqual({ policy: 'p' });
  });

  it('refuses a malformed policy, naming it and every problem', () => {
    let err: unknown;
    try {
      evaluate([{ name: 'user/alice inline policy bad', document: { Version: V, Statement: [{ Effect: 'allow', Action: 'ListTables' }] } }], {
        action: 'dynamodb:ListTables',
        resource: '*',
        context: {},
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const pe = err as PolicyError;
    expect(pe.message).toContain('user/alice inline policy bad');
    expect(pe.problems).toHaveLength(3); // Effect, action format, missing Resource
  });

  it('refuses a malformed request', () => {
    expect(() =>
      evaluate(
        [allowAll].map((document) => ({ name: 'p', document })),
        { action: 'ListTables', resource: '*', context: {} },
      ),
    ).toThrow(PolicyError);
    expect(() => evaluate([], { action: 'dynamodb:List*', resource: '*', context: {} })).toThrow(/service:Action/);
    expect(() => evaluate([], { action: 'dynamodb:ListTables', resource: '', context: {} })).toThrow(PolicyError);
  });

  it('pathological wildcard patterns stay fast', () => {
    const pattern = `arn:aws:s3:::${'*a'.repeat(40)}b`;
    const resource = `arn:aws:s3:::${'a'.repeat(5000)}`;
    const started = performance.now();
    expect(decide([doc({ Effect: 'Allow', Action: '*', Resource: pattern })], 's3:GetObject', {}, resource)).toBe('ImplicitDeny');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('validatePolicyDocument', () => {
  it('accepts valid documents', () => {
    expect(validatePolicyDocument(allowAll)).toEqual([]);
    expect(validatePolicyDocument(revokeOlderSessions('2024-05-01T12:00:00Z'))).toEqual([]);
    expect(validatePolicyDocument({ Statement: { Effect: 'Deny', NotAction: ['iam:*', 's3:Get*'], NotResource: 'arn:aws:s3:::b/*' } })).toEqual([]);
    expect(
      validatePolicyDocument(
        doc({
          Sid: 'A1',
          Effect: 'Allow',
          Action: 'ec2:Describe*',
          Resource: '*',
          Condition: {
            'ForAnyValue:StringLikeIfExists': { 'aws:CalledVia': ['*.amazonaws.com'] },
            NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] },
            NumericLessThanEquals: { 'aws:MultiFactorAuthAge': 3600 },
            DateGreaterThan: { 'aws:CurrentTime': '1714521600' },
            Bool: { 'aws:SecureTransport': true },
            Null: { 'aws:TokenIssueTime': 'true' },
            ArnNotLikeIfExists: { 'ec2:SourceInstanceARN': 'arn:aws:ec2:*:*:instance/*' },
          },
        }),
      ),
    ).toEqual([]);
    expect(validatePolicyDocument(JSON.stringify(allowAll))).toEqual([]);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['not an object', [], /JSON object/],
    ['not JSON', '{"Version":', /not valid JSON/],
    ['bad Version', { Version: '2012-10-18', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, /Version/],
    ['no Statement', { Version: V }, /Statement is required/],
    ['empty Statement', { Version: V, Statement: [] }, /must not be empty/],
    [
      'unknown top-level key',
      { Version: V, Statment: [], Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      /unknown top-level element "Statment"/,
    ],
    ['no Effect', doc({ Action: '*', Resource: '*' }), /Effect is required/],
    ['lower-case Effect', doc({ Effect: 'allow', Action: '*', Resource: '*' }), /Effect must be "Allow" or "Deny"/],
    ['no Action', doc({ Effect: 'Allow', Resource: '*' }), /Action or NotAction is required/],
    ['Action and NotAction', doc({ Effect: 'Allow', Action: '*', NotAction: 'iam:*', Resource: '*' }), /cannot both/],
    ['action without vendor', doc({ Effect: 'Allow', Action: 'ListTables', Resource: '*' }), /not a valid action/],
    ['empty Action list', doc({ Effect: 'Allow', Action: [], Resource: '*' }), /non-empty array/],
    ['no Resource', doc({ Effect: 'Allow', Action: '*' }), /Resource or NotResource is required/],
    ['Resource not an ARN', doc({ Effect: 'Allow', Action: '*', Resource: 'my-bucket' }), /ARN format/],
    ['Principal in an identity policy', doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }), /must not specify Principal/],
    ['unknown statement element', doc({ Effect: 'Allow', Action: '*', Resource: '*', Conditions: {} }), /unknown element "Conditions"/],
    ['Sid not alphanumeric', doc({ Sid: 'my sid', Effect: 'Allow', Action: '*', Resource: '*' }), /alphanumeric/],
    ['duplicate Sid', doc({ Sid: 'A', Effect: 'Allow', Action: '*', Resource: '*' }, { Sid: 'A', Effect: 'Deny', Action: '*', Resource: '*' }), /not unique/],
    [
      'unknown operator',
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqual: { 'aws:username': 'a' } } }),
      /unknown condition operator "StringEqual"/,
    ],
    [
      'unknown set prefix',
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForSomeValues:StringEquals': { 'aws:username': 'a' } } }),
      /unknown condition operator/,
    ],
    ['NullIfExists', doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { NullIfExists: { 'aws:username': 'true' } } }), /Null takes neither/],
    [
      'condition key without vendor',
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { username: 'a' } } }),
      /prefixed by a vendor/,
    ],
    [
      'bad date',
      doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': 'last tuesday' } } }),
      /not an ISO 8601 date/,
    ],
    ['bad number', doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': 'ten' } } }), /not a number/],
    ['bad CIDR', doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/33' } } }), /prefix length/],
    ['bad Bool', doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), /"true" or "false"/],
    ['empty condition values', doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': [] } } }), /at least one value/],
    [
      'object as condition value',
      doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:username': { a: 1 } } } }),
      /strings, numbers or booleans/,
    ],
  ];
  it.each(invalid)('%s', (_name, document, message) => {
    const errors = validatePolicyDocument(document);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });
});

describe('parsePolicyDate', () => {
  it.each([
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T12:00:00.123Z', Date.UTC(2024, 4, 1, 12, 0, 0, 123)],
    ['2024-05-01T14:00:00+02:00', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T14:00:00+0200', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T12:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['1714564800', Date.UTC(2024, 4, 1, 12)],
  ])('%s', (text, ms) => {
    expect(parsePolicyDate(text)).toBe(ms);
  });
  it.each(['', 'tomorrow', '2024-13-01', '2024-05-01 12:00:00', '05/01/2024'])('rejects %j', (text) => {
    expect(parsePolicyDate(text)).toBeNaN();
  });
});
