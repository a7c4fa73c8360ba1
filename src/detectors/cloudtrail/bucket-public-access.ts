import type { ApiEvent } from '../../core/event.js';
import { requestParams, succeeded } from './account-tampering.js';

/**
 * What a bucket policy or ACL change grants. `anonymous`: anyone on the internet (`Principal: "*"` or
 * `{"AWS": "*"}` with no condition that limits the caller, or an ACL grant to AllUsers, or a canned ACL
 * `public-read` / `public-read-write`). `authenticated`: any AWS account (ACL grant to AuthenticatedUsers or
 * canned `authenticated-read`). Whether Block Public Access would still stop the grant is not visible in the
 * event, so it is not judged.
 */
export type PublicGrant = { scope: 'anonymous' | 'authenticated'; via: 'bucketPolicy' | 'accessControlList'; read: boolean; write: boolean };

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
/** Condition keys that limit who can use a statement; a statement with any of them is not public. */
const LIMITING_KEYS =
  /^aws:(SourceIp|SourceVpc|SourceVpce|PrincipalOrgID|PrincipalOrgPaths|PrincipalAccount|PrincipalArn|SourceAccount|SourceArn|SourceOwner|userid|username|PrincipalServiceName|VpcSourceIp)$/i;

export function publicGrant(e: ApiEvent): PublicGrant | undefined {
  if (e.source !== 's3.amazonaws.com' || !succeeded(e)) return undefined;
  const rp = requestParams(e);
  if (e.name === 'PutBucketPolicy') return policyGrant(rp.bucketPolicy ?? rp.policy);
  if (e.name === 'PutBucketAcl' || e.name === 'CreateBucket') return aclGrant(rp);
  return undefined;
}

function policyGrant(raw: unknown): PublicGrant | undefined {
  let policy = raw;
  if (Array.isArray(policy) && typeof policy[0] === 'string') policy = policy[0];
  if (typeof policy === 'string') {
    try {
      policy = JSON.parse(policy);
    } catch {
      return undefined;
    }
  }
  if (!policy || typeof policy !== 'object') return undefined;
  const statements = (policy as Record<string, unknown>).Statement;
  const list = Array.isArray(statements) ? statements : [statements];
  let read = false;
  let write = false;
  for (const st of list) {
    if (!st || typeof st !== 'object') continue;
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Allow' || !isEveryone(s.Principal)) continue;
    if (hasLimitingCondition(s.Condition)) continue;
    const actions = ([] as unknown[]).concat(s.Action ?? []).map(String);
    for (const a of actions) {
      if (/^s3:(\*|Get|List)/i.test(a) || a === '*') read = true;
      if (/^s3:(\*|Put|Delete|Create|Restore|Abort)/i.test(a) || a === '*') write = true;
    }
  }
  return read || write ? { scope: 'anonymous', via: 'bucketPolicy', read, write } : undefined;
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    const aws = (principal as Record<string, unknown>).AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  }
  return false;
}

function hasLimitingCondition(condition: unknown): boolean {
  if (!condition || typeof condition !== 'object') return false;
  for (const block of Object.values(condition as Record<string, unknown>)) {
    if (block && typeof block === 'object' && Object.keys(block).some((k) => LIMITING_KEYS.test(k))) return true;
  }
  return false;
}

function aclGrant(rp: Record<string, unknown>): PublicGrant | undefined {
  const canned = ([] as unknown[]).concat(rp['x-amz-acl'] ?? []).map(String);
  if (canned.includes('public-read-write')) return { scope: 'anonymous', via: 'accessControlList', read: true, write: true };
  if (canned.includes('public-read')) return { scope: 'anonymous', via: 'accessControlList', read: true, write: false };
  if (canned.includes('authenticated-read')) return { scope: 'authenticated', via: 'accessControlList', read: true, write: false };
  const acp = rp.AccessControlPolicy as Record<string, unknown> | undefined;
  const acl = acp?.AccessControlList as Record<string, unknown> | undefined;
  const grants = ([] as unknown[]).concat(acl?.Grant ?? []);
  let result: PublicGrant | undefined;
  for (const g of grants) {
    if (!g || typeof g !== 'object') continue;
    const grantee = (g as Record<string, unknown>).Grantee as Record<string, unknown> | undefined;
    const uri = grantee?.URI;
    const permission = String((g as Record<string, unknown>).Permission ?? '');
    const read = /READ|FULL_CONTROL/.test(permission);
    const write = /WRITE|FULL_CONTROL/.test(permission);
    if (uri === ALL_USERS) return { scope: 'anonymous', via: 'accessControlList', read, write };
    if (uri === AUTH_USERS) result = { scope: 'authenticated', via: 'accessControlList', read, write };
  }
  return result;
}

export function publicAccessDetail(grant: PublicGrant) {
  const perm = { allowsPublicReadAccess: grant.read, allowsPublicWriteAccess: grant.write };
  return {
    publicAccess: {
      permissionConfiguration: {
        bucketLevelPermissions: grant.via === 'bucketPolicy' ? { bucketPolicy: perm } : { accessControlList: perm },
      },
    },
  };
}
