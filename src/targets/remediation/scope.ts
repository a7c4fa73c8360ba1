import { z } from 'zod';
import { wildcardMatch } from '../../core/glob.js';
import { RegionSchema } from '../aws/common.js';

/** A name pattern: `*` matches any run of characters, `?` one character; the whole name must match. */
const NamePattern = z.string().min(1).max(512);

/**
 * What a remediation may touch. Everything not allowed is refused: accounts and regions must be listed; a role or
 * user must match one of the name patterns; an instance must be listed by id or carry one of the tags (value `*` =
 * any value). Empty lists allow nothing.
 */
export const ScopeSchema = z.strictObject({
  accounts: z.array(z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits')).min(1),
  regions: z.array(RegionSchema).min(1),
  roles: z.array(NamePattern).default([]),
  users: z.array(NamePattern).default([]),
  instanceIds: z.array(z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an instance id')).default([]),
  instanceTags: z.array(z.strictObject({ key: z.string().min(1).max(128), value: z.string().max(256) })).default([]),
});

export type Scope = z.infer<typeof ScopeSchema>;

export type ScopeDecision = { ok: true } | { ok: false; reason: string };

const ALLOW: ScopeDecision = { ok: true };

export function accountRegionInScope(scope: Scope, account: string, region: string): ScopeDecision {
  if (!scope.accounts.includes(account)) return { ok: false, reason: `account ${account} is not in the remediation scope` };
  if (!scope.regions.includes(region)) return { ok: false, reason: `region ${region} is not in the remediation scope` };
  return ALLOW;
}

export function roleInScope(scope: Scope, role: string): ScopeDecision {
  return scope.roles.some((p) => wildcardMatch(p, role)) ? ALLOW : { ok: false, reason: `role ${role} matches no role pattern in the remediation scope` };
}

export function userInScope(scope: Scope, user: string): ScopeDecision {
  return scope.users.some((p) => wildcardMatch(p, user)) ? ALLOW : { ok: false, reason: `user ${user} matches no user pattern in the remediation scope` };
}

/**
 * Whether an instance may be touched. `tags` undefined means they are not known yet (a dry run reads nothing): the
 * decision is then `unknown` unless the id is listed.
 */
export function instanceInScope(scope: Scope, instanceId: string, tags: Array<{ key: string; value: string }> | undefined): ScopeDecision | 'unknown' {
  if (scope.instanceIds.includes(instanceId)) return ALLOW;
  if (scope.instanceTags.length === 0) return { ok: false, reason: `instance ${instanceId} is not in the remediation scope (no instance id or tag allows it)` };
  if (tags === undefined) return 'unknown';
  const hit = scope.instanceTags.some((want) => tags.some((t) => t.key === want.key && (want.value === '*' || t.value === want.value)));
  return hit ? ALLOW : { ok: false, reason: `instance ${instanceId} carries none of the tags the remediation scope allows` };
}
