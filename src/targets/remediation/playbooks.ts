import type { Finding } from '../../core/finding.js';
import type { AuditLog } from './audit.js';
import type { Executor } from './executor.js';
import { decodePolicyDocument, ROLE_REVOKE_POLICY_NAME, revokeOlderSessionsPolicy, samePolicy, tokenIssueCutoff, USER_REVOKE_POLICY_NAME } from './policy.js';
import { instanceInScope, roleInScope, type Scope, userInScope } from './scope.js';

export const PLAYBOOKS = ['revoke-role-sessions', 'deactivate-access-key', 'isolate-instance'] as const;
export type PlaybookName = (typeof PLAYBOOKS)[number];

/** A refusal: the playbook will not act (out of scope, service-linked role, wrong finding). Nothing after it is sent. */
export class Refusal extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Refusal';
  }
}

export interface IsolationOptions {
  quarantineGroupId?: string;
  createQuarantineGroup: boolean;
  quarantineGroupName: string;
  transitionGroupId?: string;
  disassociateInstanceProfile: boolean;
  revokeRoleSessions: boolean;
}

export interface PlaybookContext {
  finding: Finding;
  ex: Executor;
  now: number;
  scope: Scope;
  audit: AuditLog;
  actor: string;
  isolation: IsolationOptions;
  /** Notes for the audit and the result (skipped steps, carried-forward state). */
  notes: string[];
  /** Records the rollback data so far, so that a run failing part way still leaves what a rollback needs. */
  progress(rollback: unknown): void;
}

export interface PlaybookRun {
  notification: string;
  rollback: unknown;
}

export interface Playbook {
  name: PlaybookName;
  /** The thing the playbook acts on, from the finding alone, or why this finding is not for it (offline checks). */
  subject(finding: Finding, scope: Scope): { target: string } | { refused: string };
  run(ctx: PlaybookContext): Promise<PlaybookRun>;
  rollback(ctx: Omit<PlaybookContext, 'finding'>, data: unknown): Promise<void>;
}

const ICE_PREFIX = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration';

function isServiceLinkedName(role: string): boolean {
  return role.startsWith('AWSServiceRoleFor');
}

// ---------------------------------------------------------------- role session revocation (shared)

export interface RoleRevocation {
  roleName: string;
  policyName: string;
  document: string;
  /** The policy of that name before we wrote ours (URL-decoded JSON), null when there was none. */
  priorDocument: string | null;
}

/**
 * Revokes a role's older sessions: GetRole (refuse a service-linked role: path `/aws-service-role/`), GetRolePolicy
 * (the prior document, for rollback), PutRolePolicy of `AWSRevokeOlderSessions`. Idempotent: the same name is
 * overwritten. A prior document that is our own earlier revocation is carried forward from the audit log.
 */
export async function revokeRoleSessions(
  ctx: Omit<PlaybookContext, 'finding'>,
  playbook: PlaybookName,
  target: string,
  roleName: string,
): Promise<RoleRevocation> {
  if (isServiceLinkedName(roleName)) throw new Refusal(`role ${roleName} is a service-linked role; its sessions cannot be revoked`);
  const role = await ctx.ex.send<'iam', { Role?: { Path?: string; RoleName?: string } }>(
    'iam',
    'GetRole',
    { RoleName: roleName },
    { dry: { Role: { Path: '/', RoleName: roleName } } },
  );
  if (role?.Role?.Path?.startsWith('/aws-service-role/'))
    throw new Refusal(`role ${roleName} is a service-linked role (path ${role.Role.Path}); its sessions cannot be revoked`);
  const document = revokeOlderSessionsPolicy(tokenIssueCutoff(ctx.now));
  const prior = await ctx.ex.send<'iam', { PolicyDocument?: string } | undefined>(
    'iam',
    'GetRolePolicy',
    { RoleName: roleName, PolicyName: ROLE_REVOKE_POLICY_NAME },
    { tolerate: ['NoSuchEntityException'], dry: undefined },
  );
  let priorDocument = prior?.PolicyDocument ? decodePolicyDocument(prior.PolicyDocument) : null;
  const earlier = ctx.audit.lastExecuted(playbook, target)?.rollback as { revocations?: RoleRevocation[] } | RoleRevocation | undefined;
  const earlierRevocations = earlier && 'revocations' in earlier ? (earlier.revocations ?? []) : earlier ? [earlier as RoleRevocation] : [];
  const ours = earlierRevocations.find((r) => r.roleName === roleName && samePolicy(r.document, priorDocument ?? undefined));
  if (ours) {
    priorDocument = ours.priorDocument;
    ctx.notes.push(`role ${roleName}: ${ROLE_REVOKE_POLICY_NAME} was written by an earlier run; its prior state is carried forward`);
  }
  await ctx.ex.send('iam', 'PutRolePolicy', { RoleName: roleName, PolicyName: ROLE_REVOKE_POLICY_NAME, PolicyDocument: document });
  return { roleName, policyName: ROLE_REVOKE_POLICY_NAME, document, priorDocument };
}

/**
 * Undoes a revocation, only if the policy is still the one we wrote: restores the prior document, or deletes the
 * policy when there was none. A policy changed since (a later revocation) is left alone and noted.
 */
async function undoRoleRevocation(ctx: Omit<PlaybookContext, 'finding'>, r: RoleRevocation): Promise<void> {
  const current = await ctx.ex.send<'iam', { PolicyDocument?: string } | undefined>(
    'iam',
    'GetRolePolicy',
    { RoleName: r.roleName, PolicyName: r.policyName },
    { tolerate: ['NoSuchEntityException'], dry: { PolicyDocument: encodeURIComponent(r.document) } },
  );
  if (!current?.PolicyDocument) {
    ctx.notes.push(`role ${r.roleName}: ${r.policyName} is already gone`);
    return;
  }
  if (!samePolicy(current.PolicyDocument, r.document)) {
    throw new Refusal(`role ${r.roleName}: ${r.policyName} was changed after this remediation (a later revocation?); not rolling it back`);
  }
  if (r.priorDocument) await ctx.ex.send('iam', 'PutRolePolicy', { RoleName: r.roleName, PolicyName: r.policyName, PolicyDocument: r.priorDocument });
  else await ctx.ex.send('iam', 'DeleteRolePolicy', { RoleName: r.roleName, PolicyName: r.policyName });
}

// ---------------------------------------------------------------- notifications

/** The workshop Lambda's message after revoking a role's sessions (two spaces between sentences, as in the original). */
export function roleRevokedNotification(finding: Finding, role: string): string {
  if (finding.type.startsWith(ICE_PREFIX)) {
    return `GuardDuty Remediation | ID:${finding.id}: GuardDuty discovered EC2 IAM credentials (Role: ${role}) being used outside of the EC2 service.  All sessions have been revoked.  Please follow up with any additional remediation actions.`;
  }
  return `GuardDuty Remediation | ID:${finding.id}: GuardDuty finding ${finding.type} involves IAM role credentials (Role: ${role}).  All sessions have been revoked.  Please follow up with any additional remediation actions.`;
}

/** Modelled on the workshop's messages (the workshop has no Lambda for this; its scenario 2 is manual). */
export function keyDeactivatedNotification(finding: Finding, user: string, key: string): string {
  return `GuardDuty Remediation | ID:${finding.id}: GuardDuty finding ${finding.type} involves IAM user credentials (User: ${user}, Access key: ${key}).  The access key has been deactivated and all older sessions have been revoked.  Please follow up with any additional remediation actions.`;
}

/** The workshop EC2 Lambda's message (one space before "Please", as in the original) for its finding type. */
export function instanceIsolatedNotification(finding: Finding, instanceId: string): string {
  if (finding.type === 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom') {
    return `GuardDuty Remediation | ID:${finding.id}: GuardDuty discovered an EC2 instance (Instance ID: ${instanceId}) that is communicating outbound with an IP Address on a threat list that you uploaded.  All security groups have been removed and it has been isolated. Please follow up with any additional remediation actions.`;
  }
  return `GuardDuty Remediation | ID:${finding.id}: GuardDuty finding ${finding.type} involves an EC2 instance (Instance ID: ${instanceId}).  All security groups have been removed and it has been isolated. Please follow up with any additional remediation actions.`;
}

// ---------------------------------------------------------------- revoke-role-sessions

const revokeRole: Playbook = {
  name: 'revoke-role-sessions',
  subject(finding, scope) {
    const k = finding.resource.accessKeyDetails;
    if (k?.userType !== 'AssumedRole')
      return { refused: `finding ${finding.id} is not about an assumed role (accessKeyDetails.userType is ${k?.userType ?? 'missing'})` };
    if (!k.userName) return { refused: `finding ${finding.id} names no role` };
    if (isServiceLinkedName(k.userName)) return { refused: `role ${k.userName} is a service-linked role; its sessions cannot be revoked` };
    const d = roleInScope(scope, k.userName);
    return d.ok ? { target: `role/${k.userName}` } : { refused: d.reason };
  },
  async run(ctx) {
    const role = ctx.finding.resource.accessKeyDetails!.userName;
    const rollback = await revokeRoleSessions(ctx, 'revoke-role-sessions', `role/${role}`, role);
    return { notification: roleRevokedNotification(ctx.finding, role), rollback };
  },
  async rollback(ctx, data) {
    await undoRoleRevocation(ctx, data as RoleRevocation);
  },
};

// ---------------------------------------------------------------- deactivate-access-key

interface KeyDeactivation {
  userName: string;
  accessKeyId: string;
  priorStatus: string;
  policy: { policyName: string; document: string; priorDocument: string | null };
}

const deactivateKey: Playbook = {
  name: 'deactivate-access-key',
  subject(finding, scope) {
    const k = finding.resource.accessKeyDetails;
    if (k?.userType !== 'IAMUser')
      return { refused: `finding ${finding.id} is not about an IAM user (accessKeyDetails.userType is ${k?.userType ?? 'missing'})` };
    if (!/^AKIA[A-Z0-9]{12,124}$/.test(k.accessKeyId)) return { refused: `access key ${k.accessKeyId} is not a long-term (AKIA) key` };
    const d = userInScope(scope, k.userName);
    return d.ok ? { target: `user/${k.userName}/${k.accessKeyId}` } : { refused: d.reason };
  },
  async run(ctx) {
    const { userName, accessKeyId } = ctx.finding.resource.accessKeyDetails!;
    const target = `user/${userName}/${accessKeyId}`;
    const keys = await ctx.ex.send<'iam', { AccessKeyMetadata?: Array<{ AccessKeyId?: string; Status?: string }> }>(
      'iam',
      'ListAccessKeys',
      { UserName: userName },
      { dry: { AccessKeyMetadata: [{ AccessKeyId: accessKeyId, Status: 'Active' }] } },
    );
    const key = keys?.AccessKeyMetadata?.find((m) => m.AccessKeyId === accessKeyId);
    if (!key) throw new Refusal(`access key ${accessKeyId} does not belong to user ${userName}`);
    const earlier = ctx.audit.lastExecuted('deactivate-access-key', target)?.rollback as KeyDeactivation | undefined;
    let priorStatus = key.Status ?? 'Active';
    if (priorStatus === 'Inactive' && earlier) {
      priorStatus = earlier.priorStatus;
      ctx.notes.push(`access key ${accessKeyId} was deactivated by an earlier run; its prior status (${priorStatus}) is carried forward`);
    }
    const prior = await ctx.ex.send<'iam', { PolicyDocument?: string } | undefined>(
      'iam',
      'GetUserPolicy',
      { UserName: userName, PolicyName: USER_REVOKE_POLICY_NAME },
      { tolerate: ['NoSuchEntityException'] },
    );
    let priorDocument = prior?.PolicyDocument ? decodePolicyDocument(prior.PolicyDocument) : null;
    if (earlier && priorDocument !== null && samePolicy(priorDocument, earlier.policy.document)) priorDocument = earlier.policy.priorDocument;
    const document = revokeOlderSessionsPolicy(tokenIssueCutoff(ctx.now));
    const rollback: KeyDeactivation = { userName, accessKeyId, priorStatus, policy: { policyName: USER_REVOKE_POLICY_NAME, document, priorDocument } };
    ctx.progress(rollback);
    await ctx.ex.send('iam', 'UpdateAccessKey', { UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' });
    await ctx.ex.send('iam', 'PutUserPolicy', { UserName: userName, PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: document });
    return { notification: keyDeactivatedNotification(ctx.finding, userName, accessKeyId), rollback };
  },
  async rollback(ctx, data) {
    const d = data as KeyDeactivation;
    if (d.priorStatus === 'Active') await ctx.ex.send('iam', 'UpdateAccessKey', { UserName: d.userName, AccessKeyId: d.accessKeyId, Status: 'Active' });
    else ctx.notes.push(`access key ${d.accessKeyId} was already ${d.priorStatus} before the remediation; left as it is`);
    const current = await ctx.ex.send<'iam', { PolicyDocument?: string } | undefined>(
      'iam',
      'GetUserPolicy',
      { UserName: d.userName, PolicyName: d.policy.policyName },
      { tolerate: ['NoSuchEntityException'], dry: { PolicyDocument: encodeURIComponent(d.policy.document) } },
    );
    if (!current?.PolicyDocument) {
      ctx.notes.push(`user ${d.userName}: ${d.policy.policyName} is already gone`);
      return;
    }
    if (!samePolicy(current.PolicyDocument, d.policy.document)) {
      throw new Refusal(`user ${d.userName}: ${d.policy.policyName} was changed after this remediation; not rolling it back`);
    }
    if (d.policy.priorDocument)
      await ctx.ex.send('iam', 'PutUserPolicy', { UserName: d.userName, PolicyName: d.policy.policyName, PolicyDocument: d.policy.priorDocument });
    else await ctx.ex.send('iam', 'DeleteUserPolicy', { UserName: d.userName, PolicyName: d.policy.policyName });
  },
};

// ---------------------------------------------------------------- isolate-instance

/** Tags written on an isolated instance (who, why, when, which finding); removed again by a rollback. */
export const ISOLATION_TAG_KEYS = [
  'TrailhoundQuarantine',
  'TrailhoundQuarantinedBy',
  'TrailhoundQuarantineReason',
  'TrailhoundQuarantinedAt',
  'TrailhoundFindingId',
] as const;

interface Eni {
  networkInterfaceId: string;
  groups: string[];
}

interface IsolationRecord {
  instanceId: string;
  quarantineGroupId: string;
  transitionGroupId: string | null;
  networkInterfaces: Eni[];
  instanceProfiles: Array<{ arn: string; associationId: string }>;
  tagKeys: string[];
  revocations: RoleRevocation[];
}

interface Ec2Instance {
  InstanceId?: string;
  VpcId?: string;
  Tags?: Array<{ Key?: string; Value?: string }>;
  NetworkInterfaces?: Array<{ NetworkInterfaceId?: string; Groups?: Array<{ GroupId?: string }> }>;
}

interface Ec2Permission {
  IpProtocol?: string;
  [key: string]: unknown;
}

function tagValue(s: string): string {
  return s.length > 256 ? s.slice(0, 256) : s;
}

async function quarantineGroup(ctx: PlaybookContext, vpcId: string): Promise<string> {
  const opts = ctx.isolation;
  if (opts.quarantineGroupId) return opts.quarantineGroupId;
  const name = opts.quarantineGroupName;
  const found = await ctx.ex.send<'ec2', { SecurityGroups?: Array<{ GroupId?: string }> }>(
    'ec2',
    'DescribeSecurityGroups',
    {
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [name] },
      ],
    },
    { dry: { SecurityGroups: [] } },
  );
  let groupId = found?.SecurityGroups?.[0]?.GroupId;
  if (!groupId) {
    const created = await ctx.ex.send<'ec2', { GroupId?: string }>(
      'ec2',
      'CreateSecurityGroup',
      {
        GroupName: name,
        Description: 'Trailhound quarantine: allows no traffic',
        VpcId: vpcId,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: 'Name', Value: name },
              { Key: 'TrailhoundPurpose', Value: 'quarantine' },
            ],
          },
        ],
      },
      { dry: { GroupId: `<GroupId of the new ${name}>` } },
    );
    groupId = created?.GroupId;
    if (!groupId) throw new Error('CreateSecurityGroup returned no GroupId');
  }
  // A new group has an allow-all egress rule; a found one may have been edited: remove every rule it has.
  const described = await ctx.ex.send<'ec2', { SecurityGroups?: Array<{ IpPermissions?: Ec2Permission[]; IpPermissionsEgress?: Ec2Permission[] }> }>(
    'ec2',
    'DescribeSecurityGroups',
    { GroupIds: [groupId] },
    { dry: { SecurityGroups: [{ IpPermissions: [], IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }] } },
  );
  const sg = described?.SecurityGroups?.[0];
  const clean = (ps: Ec2Permission[] | undefined) =>
    (ps ?? []).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => !(Array.isArray(v) && v.length === 0))));
  const ingress = clean(sg?.IpPermissions);
  const egress = clean(sg?.IpPermissionsEgress);
  if (ingress.length) await ctx.ex.send('ec2', 'RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: ingress });
  if (egress.length) await ctx.ex.send('ec2', 'RevokeSecurityGroupEgress', { GroupId: groupId, IpPermissions: egress });
  return groupId;
}

function profileName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

const isolateInstance: Playbook = {
  name: 'isolate-instance',
  subject(finding, scope) {
    const id = finding.resource.instanceDetails?.instanceId;
    if (!id) return { refused: `finding ${finding.id} names no EC2 instance (resource.instanceDetails.instanceId)` };
    const tags = finding.resource.instanceDetails?.tags as Array<{ key: string; value: string }> | undefined;
    const d = instanceInScope(scope, id, Array.isArray(tags) ? tags : undefined);
    if (d !== 'unknown' && !d.ok) return { refused: d.reason };
    return { target: `instance/${id}` };
  },
  async run(ctx) {
    const instanceId = ctx.finding.resource.instanceDetails!.instanceId;
    const target = `instance/${instanceId}`;
    const isolation = ctx.isolation;
    const dryRole =
      ctx.finding.resource.accessKeyDetails?.userType === 'AssumedRole' ? ctx.finding.resource.accessKeyDetails.userName : '<role of the instance profile>';

    // 1. The instance: VPC, network interfaces and their groups, tags (the authoritative scope check).
    const described = await ctx.ex.send<'ec2', { Reservations?: Array<{ Instances?: Ec2Instance[] }> }>(
      'ec2',
      'DescribeInstances',
      { InstanceIds: [instanceId] },
      {
        dry: {
          Reservations: [
            {
              Instances: [
                {
                  InstanceId: instanceId,
                  VpcId: `<VpcId of ${instanceId}>`,
                  NetworkInterfaces: [{ NetworkInterfaceId: `<each network interface of ${instanceId}>`, Groups: [{ GroupId: '<its current groups>' }] }],
                },
              ],
            },
          ],
        },
      },
    );
    const inst = described?.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    if (!inst) throw new Refusal(`instance ${instanceId} was not found`);
    if (ctx.ex.dryRun) {
      const d = instanceInScope(ctx.scope, instanceId, undefined);
      if (d === 'unknown') ctx.notes.push(`instance ${instanceId}: its tags are checked against the scope when executed (a dry run reads nothing)`);
    } else {
      const tags = (inst.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
      const d = instanceInScope(ctx.scope, instanceId, tags);
      if (d !== 'unknown' && !d.ok) throw new Refusal(d.reason);
    }
    if (!inst.VpcId) throw new Refusal(`instance ${instanceId} is not in a VPC`);
    const earlierEntry = ctx.audit.lastExecuted('isolate-instance', target);
    const earlier = earlierEntry?.rollback as IsolationRecord | undefined;

    // 2. The quarantine group (no rules), then the two-step swap on every network interface.
    const qid = await quarantineGroup(ctx, inst.VpcId);
    const tags = [
      { Key: 'TrailhoundQuarantine', Value: 'isolated' },
      { Key: 'TrailhoundQuarantinedBy', Value: tagValue(ctx.actor) },
      { Key: 'TrailhoundQuarantineReason', Value: tagValue(ctx.finding.type) },
      { Key: 'TrailhoundQuarantinedAt', Value: new Date(ctx.now).toISOString() },
      { Key: 'TrailhoundFindingId', Value: tagValue(ctx.finding.id) },
    ];
    const rollback: IsolationRecord = {
      instanceId,
      quarantineGroupId: qid,
      transitionGroupId: isolation.transitionGroupId ?? null,
      networkInterfaces: [],
      instanceProfiles: [],
      tagKeys: [],
      revocations: [],
    };
    for (const n of inst.NetworkInterfaces ?? []) {
      const id = n.NetworkInterfaceId;
      if (!id) continue;
      const groups = (n.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean);
      if (groups.length === 1 && groups[0] === qid) {
        const prior = earlier?.networkInterfaces.find((e) => e.networkInterfaceId === id);
        if (prior) {
          rollback.networkInterfaces.push(prior);
          ctx.notes.push(`${id} is already quarantined (audit #${earlierEntry?.seq}); its prior groups are carried forward`);
        } else ctx.notes.push(`${id} is already quarantined and no earlier record has its prior groups: a rollback cannot restore them`);
        continue;
      }
      rollback.networkInterfaces.push({ networkInterfaceId: id, groups });
      ctx.progress(rollback);
      if (isolation.transitionGroupId)
        await ctx.ex.send('ec2', 'ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: id, Groups: [isolation.transitionGroupId] });
      await ctx.ex.send('ec2', 'ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: id, Groups: [qid] });
    }

    // 3. The instance profile: note its role(s), then disassociate.
    const roles: string[] = [];
    if (isolation.disassociateInstanceProfile || isolation.revokeRoleSessions) {
      const assoc = await ctx.ex.send<
        'ec2',
        { IamInstanceProfileAssociations?: Array<{ AssociationId?: string; State?: string; IamInstanceProfile?: { Arn?: string } }> }
      >(
        'ec2',
        'DescribeIamInstanceProfileAssociations',
        { Filters: [{ Name: 'instance-id', Values: [instanceId] }] },
        {
          dry: {
            IamInstanceProfileAssociations: [
              {
                AssociationId: `<association id of ${instanceId}>`,
                State: 'associated',
                IamInstanceProfile: { Arn: `<instance profile ARN of ${instanceId}>` },
              },
            ],
          },
        },
      );
      const live = (assoc?.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated' || a.State === 'associating');
      for (const a of live) {
        const arn = a.IamInstanceProfile?.Arn;
        if (!arn || !a.AssociationId) continue;
        const ip = await ctx.ex.send<'iam', { InstanceProfile?: { Roles?: Array<{ RoleName?: string }> } }>(
          'iam',
          'GetInstanceProfile',
          { InstanceProfileName: ctx.ex.dryRun ? `<name of the instance profile of ${instanceId}>` : profileName(arn) },
          { dry: { InstanceProfile: { Roles: [{ RoleName: dryRole }] } } },
        );
        for (const r of ip?.InstanceProfile?.Roles ?? []) if (r.RoleName) roles.push(r.RoleName);
        if (isolation.disassociateInstanceProfile) {
          rollback.instanceProfiles.push({ arn, associationId: a.AssociationId });
          ctx.progress(rollback);
          await ctx.ex.send('ec2', 'DisassociateIamInstanceProfile', { AssociationId: a.AssociationId });
        }
      }
      if (live.length === 0 && earlier) {
        rollback.instanceProfiles.push(...earlier.instanceProfiles);
        for (const r of earlier.revocations) roles.push(r.roleName);
        if (earlier.instanceProfiles.length)
          ctx.notes.push(`the instance profile was disassociated by an earlier run (audit #${earlierEntry?.seq}); carried forward`);
      }
    }

    // 4. Tags: who, why, when, which finding.
    rollback.tagKeys = tags.map((t) => t.Key);
    ctx.progress(rollback);
    await ctx.ex.send('ec2', 'CreateTags', { Resources: [instanceId], Tags: tags });

    // 5. Credentials already delivered through IMDS outlive the disassociation: revoke the role's sessions.
    if (isolation.revokeRoleSessions) {
      for (const role of [...new Set(roles)]) {
        const d = roleInScope(ctx.scope, role);
        if (!d.ok && !role.startsWith('<')) {
          ctx.notes.push(`sessions of role ${role} not revoked: ${d.reason}`);
          continue;
        }
        try {
          rollback.revocations.push(await revokeRoleSessions(ctx, 'isolate-instance', target, role));
        } catch (err) {
          if (!(err instanceof Refusal)) throw err;
          ctx.notes.push(`sessions of role ${role} not revoked: ${err.message}`);
        }
      }
    }

    return { notification: instanceIsolatedNotification(ctx.finding, instanceId), rollback };
  },
  async rollback(ctx, data) {
    const d = data as IsolationRecord;
    for (const n of d.networkInterfaces) {
      if (n.groups.length === 0) {
        ctx.notes.push(`${n.networkInterfaceId}: no prior groups recorded; left in quarantine`);
        continue;
      }
      await ctx.ex.send('ec2', 'ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: n.networkInterfaceId, Groups: n.groups });
    }
    const profile = d.instanceProfiles[0];
    if (profile) {
      const assoc = await ctx.ex.send<'ec2', { IamInstanceProfileAssociations?: Array<{ State?: string; IamInstanceProfile?: { Arn?: string } }> }>(
        'ec2',
        'DescribeIamInstanceProfileAssociations',
        { Filters: [{ Name: 'instance-id', Values: [d.instanceId] }] },
        { dry: { IamInstanceProfileAssociations: [] } },
      );
      const live = (assoc?.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated' || a.State === 'associating');
      if (live.length === 0) await ctx.ex.send('ec2', 'AssociateIamInstanceProfile', { IamInstanceProfile: { Arn: profile.arn }, InstanceId: d.instanceId });
      else ctx.notes.push(`${d.instanceId} already has an instance profile (${live[0]?.IamInstanceProfile?.Arn ?? '?'}); not re-associating`);
    }
    if (d.tagKeys.length) await ctx.ex.send('ec2', 'DeleteTags', { Resources: [d.instanceId], Tags: d.tagKeys.map((Key) => ({ Key })) });
    if (d.revocations.length) {
      ctx.notes.push(
        `left in place: ${d.revocations.map((r) => `${r.policyName} on role ${r.roleName}`).join(', ')} (stolen sessions must stay revoked; the instance receives fresh credentials)`,
      );
    }
  },
};

export const PLAYBOOK_REGISTRY: Readonly<Record<PlaybookName, Playbook>> = {
  'revoke-role-sessions': revokeRole,
  'deactivate-access-key': deactivateKey,
  'isolate-instance': isolateInstance,
};
