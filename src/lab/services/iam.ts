/**
 * IAM (Query protocol): users, access keys, roles, inline and attached policies, instance profiles — what the
 * scenarios and Trailhound's playbooks call. Pagination is not emulated (every list is one page).
 */
import type { IamRole, IamUser, InstanceProfile } from '../account.js';
import { policyProblems, trustPolicyProblems } from '../account.js';
import { type CallContext, type Input, LabServiceError, type Operation, optStr, type ServiceDef, state } from '../protocols/common.js';
import { IAM_NS } from '../protocols/query.js';
import { members } from '../protocols/xml.js';
import { cloudTrailDate } from '../time.js';

type Op = Operation<Input, Record<string, unknown> | undefined>;

const CODES = {
  NotFound: ['NoSuchEntity', 404],
  Exists: ['EntityAlreadyExists', 409],
  Limit: ['LimitExceeded', 409],
  Invalid: ['ValidationError', 400],
  Conflict: ['ValidationError', 400],
} as const satisfies Parameters<typeof state>[1];

function need(input: Input, name: string): string {
  const v = optStr(input[name]);
  if (v === undefined || v === '')
    throw new LabServiceError(
      'ValidationError',
      `1 validation error detected: Value null at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  return v;
}

/** CloudTrail's requestParameters for Query calls: the input's names in camelCase. */
export function camelParams(input: Input, omit: string[] = []): Record<string, unknown> | null {
  const convert = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(convert);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !omit.includes(k))
          .map(([k, x]) => [k[0]!.toLowerCase() + k.slice(1), convert(x)]),
      );
    return v;
  };
  const out = convert(input) as Record<string, unknown>;
  return Object.keys(out).length ? out : null;
}

function userArn(ctx: CallContext, name: string): string {
  return ctx.account.findUser(name)?.arn ?? `arn:aws:iam::${ctx.account.accountId}:user/${name}`;
}

function roleArn(ctx: CallContext, name: string): string {
  return ctx.account.findRole(name)?.arn ?? `arn:aws:iam::${ctx.account.accountId}:role/${name}`;
}

/** The user an access-key call is about: UserName, or the calling user. */
function targetUser(input: Input, ctx: CallContext): string {
  const name = optStr(input.UserName);
  if (name) return name;
  if (ctx.principal.type === 'IAMUser') return ctx.principal.userName;
  throw new LabServiceError('ValidationError', 'Must specify userName when calling with non-User credentials');
}

function checkPolicy(text: string, trust = false): void {
  const problems = trust ? trustPolicyProblems(text) : policyProblems(text);
  if (problems.length) throw new LabServiceError('MalformedPolicyDocument', problems.join('; '));
}

function userXml(u: IamUser) {
  return { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: u.createDate.toISOString() };
}

function roleXml(r: IamRole) {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: r.createDate.toISOString(),
    AssumeRolePolicyDocument: encodeURIComponent(r.trustPolicy),
    ...(r.description ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
  };
}

function profileXml(p: InstanceProfile, ctx: CallContext) {
  return {
    Path: p.path,
    InstanceProfileName: p.name,
    InstanceProfileId: p.id,
    Arn: p.arn,
    CreateDate: p.createDate.toISOString(),
    Roles: members(p.roles.map((r) => ctx.account.findRole(r)).flatMap((r) => (r ? [roleXml(r)] : []))),
  };
}

function attachedXml(ctx: CallContext, arns: Set<string>) {
  return {
    AttachedPolicies: members([...arns].map((arn) => ({ PolicyName: ctx.account.managedPolicies.get(arn)?.policyName ?? arn, PolicyArn: arn }))),
    IsTruncated: false,
  };
}

const userParams = (i: Input) => camelParams(i);
const policyParams = (i: Input) => camelParams(i);

const write = (action: string, resource: (i: Input, ctx: CallContext) => string, run: Op['run']): Op => ({
  action,
  readOnly: false,
  resources: (i, ctx) => [resource(i, ctx)],
  params: policyParams,
  run,
});

const operations: Record<string, Op> = {
  GetUser: {
    action: 'iam:GetUser',
    readOnly: true,
    resources: (i, ctx) => [optStr(i.UserName) ? userArn(ctx, optStr(i.UserName)!) : ctx.principal.type === 'AWSService' ? '*' : ctx.principal.arn],
    params: userParams,
    run(i, ctx) {
      const name = targetUser(i, ctx);
      return { result: { User: userXml(state(() => ctx.account.user(name), CODES)) } };
    },
  },
  CreateUser: {
    action: 'iam:CreateUser',
    readOnly: false,
    resources: (i, ctx) => [`arn:aws:iam::${ctx.account.accountId}:user${optStr(i.Path) ?? '/'}${optStr(i.UserName) ?? ''}`],
    params: userParams,
    run(i, ctx) {
      const tags = Object.fromEntries(
        (Array.isArray(i.Tags) ? (i.Tags as Input[]) : []).map((t) => [optStr(t.Key) ?? '', optStr(t.Value) ?? '']).filter(([k]) => k),
      );
      const u = state(() => ctx.account.createUser(need(i, 'UserName'), { path: optStr(i.Path), tags }), CODES);
      return {
        result: { User: userXml(u) },
        responseElements: { user: { path: u.path, userName: u.userName, userId: u.userId, arn: u.arn, createDate: cloudTrailDate(u.createDate) } },
      };
    },
  },
  ListUsers: {
    action: 'iam:ListUsers',
    readOnly: true,
    resources: (_i, ctx) => [`arn:aws:iam::${ctx.account.accountId}:user/`],
    params: userParams,
    run(i, ctx) {
      const prefix = optStr(i.PathPrefix) ?? '/';
      const users = [...ctx.account.users.values()].filter((u) => u.path.startsWith(prefix));
      return { result: { Users: members(users.map(userXml)), IsTruncated: false } };
    },
  },
  ListRoles: {
    action: 'iam:ListRoles',
    readOnly: true,
    resources: (_i, ctx) => [`arn:aws:iam::${ctx.account.accountId}:role/`],
    params: userParams,
    run(i, ctx) {
      const prefix = optStr(i.PathPrefix) ?? '/';
      const roles = [...ctx.account.roles.values()].filter((r) => r.path.startsWith(prefix));
      return { result: { Roles: members(roles.map(roleXml)), IsTruncated: false } };
    },
  },
  GetRole: {
    action: 'iam:GetRole',
    readOnly: true,
    resources: (i, ctx) => [roleArn(ctx, optStr(i.RoleName) ?? '')],
    params: userParams,
    run(i, ctx) {
      return { result: { Role: roleXml(state(() => ctx.account.role(need(i, 'RoleName')), CODES)) } };
    },
  },
  CreateRole: {
    action: 'iam:CreateRole',
    readOnly: false,
    resources: (i, ctx) => [`arn:aws:iam::${ctx.account.accountId}:role${optStr(i.Path) ?? '/'}${optStr(i.RoleName) ?? ''}`],
    params: userParams,
    run(i, ctx) {
      const trust = need(i, 'AssumeRolePolicyDocument');
      checkPolicy(trust, true);
      const max = optStr(i.MaxSessionDuration);
      const r = state(
        () =>
          ctx.account.createRole(need(i, 'RoleName'), trust, {
            path: optStr(i.Path),
            description: optStr(i.Description),
            maxSessionDuration: max === undefined ? undefined : Number(max),
          }),
        CODES,
      );
      return {
        result: { Role: roleXml(r) },
        responseElements: {
          role: { path: r.path, roleName: r.roleName, roleId: r.roleId, arn: r.arn, createDate: cloudTrailDate(r.createDate), assumeRolePolicyDocument: trust },
        },
      };
    },
  },
  CreateAccessKey: {
    action: 'iam:CreateAccessKey',
    readOnly: false,
    resources: (i, ctx) => [userArnFor(i, ctx)],
    params: userParams,
    run(i, ctx) {
      const k = state(() => ctx.account.createAccessKey(targetUser(i, ctx)), CODES);
      return {
        result: {
          AccessKey: {
            UserName: k.userName,
            AccessKeyId: k.accessKeyId,
            Status: k.status,
            SecretAccessKey: k.secretAccessKey,
            CreateDate: k.createDate.toISOString(),
          },
        },
        responseElements: { accessKey: { userName: k.userName, accessKeyId: k.accessKeyId, status: k.status, createDate: cloudTrailDate(k.createDate) } },
      };
    },
  },
  UpdateAccessKey: {
    action: 'iam:UpdateAccessKey',
    readOnly: false,
    resources: (i, ctx) => [userArnFor(i, ctx)],
    params: userParams,
    run(i, ctx) {
      const status = need(i, 'Status');
      if (status !== 'Active' && status !== 'Inactive')
        throw new LabServiceError(
          'ValidationError',
          `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
        );
      state(() => ctx.account.updateAccessKey(need(i, 'AccessKeyId'), status, targetUser(i, ctx)), CODES);
      return { result: undefined, responseElements: null };
    },
  },
  ListAccessKeys: {
    action: 'iam:ListAccessKeys',
    readOnly: true,
    resources: (i, ctx) => [userArnFor(i, ctx)],
    params: userParams,
    run(i, ctx) {
      const keys = state(() => ctx.account.userKeys(targetUser(i, ctx)), CODES);
      return {
        result: {
          AccessKeyMetadata: members(
            keys.map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate.toISOString() })),
          ),
          IsTruncated: false,
        },
      };
    },
  },
  DeleteAccessKey: {
    action: 'iam:DeleteAccessKey',
    readOnly: false,
    resources: (i, ctx) => [userArnFor(i, ctx)],
    params: userParams,
    run(i, ctx) {
      state(() => ctx.account.deleteAccessKey(need(i, 'AccessKeyId'), targetUser(i, ctx)), CODES);
      return { result: undefined, responseElements: null };
    },
  },
  PutUserPolicy: write(
    'iam:PutUserPolicy',
    (i, ctx) => userArn(ctx, optStr(i.UserName) ?? ''),
    (i, ctx) => {
      const doc = need(i, 'PolicyDocument');
      checkPolicy(doc);
      state(() => ctx.account.putUserPolicy(need(i, 'UserName'), need(i, 'PolicyName'), doc), CODES);
      return { result: undefined, responseElements: null };
    },
  ),
  GetUserPolicy: {
    action: 'iam:GetUserPolicy',
    readOnly: true,
    resources: (i, ctx) => [userArn(ctx, optStr(i.UserName) ?? '')],
    params: policyParams,
    run(i, ctx) {
      const user = state(() => ctx.account.user(need(i, 'UserName')), CODES);
      const name = need(i, 'PolicyName');
      const doc = user.policies.get(name);
      if (doc === undefined) throw new LabServiceError('NoSuchEntity', `The user policy with name ${name} cannot be found.`, 404);
      return { result: { UserName: user.userName, PolicyName: name, PolicyDocument: encodeURIComponent(doc) } };
    },
  },
  DeleteUserPolicy: write(
    'iam:DeleteUserPolicy',
    (i, ctx) => userArn(ctx, optStr(i.UserName) ?? ''),
    (i, ctx) => {
      state(() => ctx.account.deleteUserPolicy(need(i, 'UserName'), need(i, 'PolicyName')), CODES);
      return { result: undefined, responseElements: null };
    },
  ),
  ListUserPolicies: {
    action: 'iam:ListUserPolicies',
    readOnly: true,
    resources: (i, ctx) => [userArn(ctx, optStr(i.UserName) ?? '')],
    params: userParams,
    run(i, ctx) {
      const user = state(() => ctx.account.user(need(i, 'UserName')), CODES);
      return { result: { PolicyNames: members([...user.policies.keys()]), IsTruncated: false } };
    },
  },
  PutRolePolicy: write(
    'iam:PutRolePolicy',
    (i, ctx) => roleArn(ctx, optStr(i.RoleName) ?? ''),
    (i, ctx) => {
      const doc = need(i, 'PolicyDocument');
      checkPolicy(doc);
      state(() => ctx.account.putRolePolicy(need(i, 'RoleName'), need(i, 'PolicyName'), doc), CODES);
      return { result: undefined, responseElements: null };
    },
  ),
  GetRolePolicy: {
    action: 'iam:GetRolePolicy',
    readOnly: true,
    resources: (i, ctx) => [roleArn(ctx, optStr(i.RoleName) ?? '')],
    params: policyParams,
    run(i, ctx) {
      const role = state(() => ctx.account.role(need(i, 'RoleName')), CODES);
      const name = need(i, 'PolicyName');
      const doc = role.policies.get(name);
      if (doc === undefined) throw new LabServiceError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      return { result: { RoleName: role.roleName, PolicyName: name, PolicyDocument: encodeURIComponent(doc) } };
    },
  },
  DeleteRolePolicy: write(
    'iam:DeleteRolePolicy',
    (i, ctx) => roleArn(ctx, optStr(i.RoleName) ?? ''),
    (i, ctx) => {
      state(() => ctx.account.deleteRolePolicy(need(i, 'RoleName'), need(i, 'PolicyName')), CODES);
      return { result: undefined, responseElements: null };
    },
  ),
  ListRolePolicies: {
    action: 'iam:ListRolePolicies',
    readOnly: true,
    resources: (i, ctx) => [roleArn(ctx, optStr(i.RoleName) ?? '')],
    params: userParams,
    run(i, ctx) {
      const role = state(() => ctx.account.role(need(i, 'RoleName')), CODES);
      return { result: { PolicyNames: members([...role.policies.keys()]), IsTruncated: false } };
    },
  },
  AttachUserPolicy: {
    ...write(
      'iam:AttachUserPolicy',
      (i, ctx) => userArn(ctx, optStr(i.UserName) ?? ''),
      (i, ctx) => {
        state(() => ctx.account.attachUserPolicy(need(i, 'UserName'), need(i, 'PolicyArn')), CODES);
        return { result: undefined, responseElements: null };
      },
    ),
    conditions: (i) => ({ 'iam:PolicyARN': optStr(i.PolicyArn) }),
  },
  AttachRolePolicy: {
    ...write(
      'iam:AttachRolePolicy',
      (i, ctx) => roleArn(ctx, optStr(i.RoleName) ?? ''),
      (i, ctx) => {
        state(() => ctx.account.attachRolePolicy(need(i, 'RoleName'), need(i, 'PolicyArn')), CODES);
        return { result: undefined, responseElements: null };
      },
    ),
    conditions: (i) => ({ 'iam:PolicyARN': optStr(i.PolicyArn) }),
  },
  ListAttachedUserPolicies: {
    action: 'iam:ListAttachedUserPolicies',
    readOnly: true,
    resources: (i, ctx) => [userArn(ctx, optStr(i.UserName) ?? '')],
    params: userParams,
    run(i, ctx) {
      return { result: attachedXml(ctx, state(() => ctx.account.user(need(i, 'UserName')), CODES).attached) };
    },
  },
  ListAttachedRolePolicies: {
    action: 'iam:ListAttachedRolePolicies',
    readOnly: true,
    resources: (i, ctx) => [roleArn(ctx, optStr(i.RoleName) ?? '')],
    params: userParams,
    run(i, ctx) {
      return { result: attachedXml(ctx, state(() => ctx.account.role(need(i, 'RoleName')), CODES).attached) };
    },
  },
  GetInstanceProfile: {
    action: 'iam:GetInstanceProfile',
    readOnly: true,
    resources: (i, ctx) => [
      ctx.account.instanceProfiles.get(optStr(i.InstanceProfileName) ?? '')?.arn ??
        `arn:aws:iam::${ctx.account.accountId}:instance-profile/${optStr(i.InstanceProfileName) ?? ''}`,
    ],
    params: userParams,
    run(i, ctx) {
      const p = state(() => ctx.account.instanceProfile(need(i, 'InstanceProfileName')), CODES);
      return { result: { InstanceProfile: profileXml(p, ctx) } };
    },
  },
};

function userArnFor(i: Input, ctx: CallContext): string {
  const name = optStr(i.UserName);
  if (name) return userArn(ctx, name);
  return ctx.principal.type === 'IAMUser' ? ctx.principal.arn : '*';
}

export const iamService: ServiceDef<Input> = {
  name: 'iam',
  eventSource: 'iam.amazonaws.com',
  protocol: 'query',
  global: true,
  xmlNamespace: IAM_NS,
  operations,
};
