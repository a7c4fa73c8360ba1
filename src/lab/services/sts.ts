/**
 * STS (Query protocol): AssumeRole (the caller's identity policy AND the role's trust policy must allow it),
 * GetCallerIdentity (never denied), GetSessionToken (IAM users with long-term keys only).
 */
import type { IamRole, LabSession } from '../account.js';
import { evaluate, PolicyError } from '../policy.js';
import { type CallContext, type Input, LabServiceError, type Operation, optInt, optStr, type ServiceDef } from '../protocols/common.js';
import { STS_NS } from '../protocols/query.js';
import { cloudTrailDate } from '../time.js';
import { HIDDEN } from '../trail.js';
import type { LabPrincipal } from '../types.js';
import { camelParams } from './iam.js';

type Op = Operation<Input, Record<string, unknown> | undefined>;

function credentialsXml(s: LabSession) {
  return {
    AccessKeyId: s.accessKeyId,
    SecretAccessKey: s.secretAccessKey,
    SessionToken: s.sessionToken,
    Expiration: s.expiration.toISOString(),
  };
}

function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Whether a trust statement's Principal names the caller: `*`, its account (id or root ARN), or its ARN. */
function principalMatches(principal: unknown, caller: LabPrincipal, accountId: string): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object' || caller.type === 'AWSService') return false;
  const names = asList((principal as Record<string, unknown>).AWS).map(String);
  const own = caller.type === 'IAMUser' ? [caller.arn] : [caller.roleArn, caller.arn];
  return names.some((n) => n === '*' || n === accountId || n === `arn:aws:iam::${accountId}:root` || own.includes(n));
}

/** The role's trust policy, restricted to statements about the caller, evaluated for sts:AssumeRole on the role. */
export function trustAllows(role: IamRole, caller: LabPrincipal, accountId: string, context: CallContext['authContext']): boolean {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(role.trustPolicy) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = asList(doc?.Statement)
    .filter((s): s is Record<string, unknown> => !!s && typeof s === 'object' && principalMatches((s as Record<string, unknown>).Principal, caller, accountId))
    .map(({ Principal: _p, NotPrincipal: _n, ...rest }) => ({ ...rest, Resource: role.arn }));
  if (statements.length === 0) return false;
  try {
    const verdict = evaluate([{ name: `${role.roleName} trust policy`, document: { ...doc, Statement: statements } }], {
      action: 'sts:AssumeRole',
      resource: role.arn,
      context,
    });
    return verdict.decision === 'Allow';
  } catch (err) {
    if (err instanceof PolicyError) return false;
    throw err;
  }
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

const operations: Record<string, Op> = {
  AssumeRole: {
    action: 'sts:AssumeRole',
    readOnly: true,
    resources: (i) => [optStr(i.RoleArn) ?? '*'],
    params: (i) => camelParams(i, ['TokenCode']),
    trailResources: (i, ctx) => {
      const arn = optStr(i.RoleArn);
      return arn ? [{ accountId: ctx.account.accountId, type: 'AWS::IAM::Role', ARN: arn }] : [];
    },
    run(i, ctx) {
      const arn = optStr(i.RoleArn);
      const sessionName = optStr(i.RoleSessionName);
      if (!arn || !ROLE_ARN.test(arn)) throw new LabServiceError('ValidationError', `${arn ?? 'null'} is invalid`);
      if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName))
        throw new LabServiceError(
          'ValidationError',
          `1 validation error detected: Value '${sessionName ?? 'null'}' at 'roleSessionName' failed to satisfy constraint: Member must be 2 to 64 characters of [\\w+=,.@-]`,
        );
      const role = ctx.account.roleByArn(arn);
      const denied = () =>
        new LabServiceError(
          'AccessDenied',
          `User: ${(ctx.principal as { arn: string }).arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
          403,
        );
      if (!role || !trustAllows(role, ctx.principal, ctx.account.accountId, ctx.authContext)) throw denied();
      const chained = ctx.principal.type === 'AssumedRole';
      const max = chained ? 3600 : role.maxSessionDuration;
      const duration = optInt(i.DurationSeconds, 'ValidationError', 'durationSeconds') ?? 3600;
      if (duration < 900 || duration > max)
        throw new LabServiceError(
          'ValidationError',
          `The requested DurationSeconds exceeds the ${chained ? '1 hour session limit for roles assumed by role chaining' : 'MaxSessionDuration set for this role'}.`,
        );
      const s = ctx.account.createRoleSession(role.roleName, sessionName, {
        durationSeconds: duration,
        assumedBy: ctx.principal.type === 'AWSService' ? undefined : ctx.principal.arn,
      });
      const assumedRoleId = `${role.roleId}:${sessionName}`;
      const sessionArn = `arn:aws:sts::${ctx.account.accountId}:assumed-role/${role.roleName}/${sessionName}`;
      return {
        result: { Credentials: credentialsXml(s), AssumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: sessionArn } },
        responseElements: {
          credentials: { accessKeyId: s.accessKeyId, sessionToken: HIDDEN, expiration: cloudTrailDate(s.expiration) },
          assumedRoleUser: { assumedRoleId, arn: sessionArn },
        },
      };
    },
  },
  GetCallerIdentity: {
    action: 'sts:GetCallerIdentity',
    readOnly: true,
    neverDenied: true,
    params: () => null,
    run(_i, ctx) {
      const p = ctx.principal;
      if (p.type === 'AWSService') throw new LabServiceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      const userId = p.type === 'IAMUser' ? p.principalId : `${p.roleId}:${p.sessionName}`;
      return { result: { UserId: userId, Account: ctx.account.accountId, Arn: p.arn } };
    },
  },
  GetSessionToken: {
    action: 'sts:GetSessionToken',
    readOnly: true,
    params: (i) => camelParams(i, ['TokenCode']),
    run(i, ctx) {
      const p = ctx.principal;
      if (p.type !== 'IAMUser' || ctx.session) throw new LabServiceError('AccessDenied', 'Cannot call GetSessionToken with session credentials', 403);
      const duration = optInt(i.DurationSeconds, 'ValidationError', 'durationSeconds') ?? 43200;
      if (duration < 900 || duration > 129600)
        throw new LabServiceError(
          'ValidationError',
          `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600`,
        );
      const s = ctx.account.createUserSession(p.userName, p.accessKeyId, duration);
      return {
        result: { Credentials: credentialsXml(s) },
        responseElements: { credentials: { accessKeyId: s.accessKeyId, sessionToken: HIDDEN, expiration: cloudTrailDate(s.expiration) } },
      };
    },
  },
};

export const stsService: ServiceDef<Input> = {
  name: 'sts',
  eventSource: 'sts.amazonaws.com',
  protocol: 'query',
  // Regional: the SDK v3 calls STS's regional endpoints, and CloudTrail records those calls in the caller's region.
  xmlNamespace: STS_NS,
  operations,
};
