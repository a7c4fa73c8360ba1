import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { systemClock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { EndpointSchema, parseTargetConfig, RegionSchema } from '../aws/common.js';
import { asFinding } from '../aws/securityhub.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from '../types.js';
import { AuditLog } from './audit.js';
import type { Clients } from './executor.js';
import { PLAYBOOKS } from './playbooks.js';
import { type RemediationResult, Remediator } from './remediator.js';
import { ScopeSchema } from './scope.js';

const GroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id');

/**
 * Options of `isolate-instance`. The quarantine group is either `quarantineGroupId` (used as it is) or, with
 * `createQuarantineGroup: true`, a group named `quarantineGroupName` found or created in the instance's VPC and
 * stripped of every rule. `transitionGroupId`: an all-access group (all traffic in and out from 0.0.0.0/0 and ::/0)
 * that the interfaces pass through first, so that tracked connections become untracked and are cut by the swap to
 * quarantine (AWSSupport-ContainEC2Instance's two-step swap); Trailhound never creates an open group itself.
 */
export const IsolationSchema = z
  .strictObject({
    quarantineGroupId: GroupId.optional(),
    createQuarantineGroup: z.boolean().default(false),
    quarantineGroupName: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x20-\x7e]+$/)
      .refine((s) => !s.startsWith('sg-'), 'a group name may not start with sg-')
      .default('trailhound-quarantine'),
    transitionGroupId: GroupId.optional(),
    disassociateInstanceProfile: z.boolean().default(true),
    revokeRoleSessions: z.boolean().default(true),
  })
  .refine((o) => (o.quarantineGroupId !== undefined) !== o.createQuarantineGroup, {
    message: 'give exactly one of quarantineGroupId and createQuarantineGroup: true',
    path: ['quarantineGroupId'],
  });

/**
 * `remediation` target options. `mode` defaults to `dry-run`: every call is planned and audited, none is sent.
 * `audit`: the SQLite file of the audit log (unless a database is injected). IAM calls go to `iamRegion`
 * (us-east-1 unless set); EC2 calls to the finding's region. Credentials: the SDK's default chain.
 */
export const RemediationTargetConfigSchema = z
  .strictObject({
    type: z.literal('remediation').optional(),
    playbook: z.enum(PLAYBOOKS),
    mode: z.enum(['dry-run', 'execute']).default('dry-run'),
    scope: ScopeSchema,
    audit: z.string().min(1).optional(),
    actor: z.string().min(1).max(256).default('trailhound'),
    iamRegion: RegionSchema.default('us-east-1'),
    endpoints: z.strictObject({ iam: EndpointSchema.optional(), ec2: EndpointSchema.optional() }).default({}),
    isolation: IsolationSchema.optional(),
  })
  .refine((c) => c.playbook !== 'isolate-instance' || c.isolation !== undefined, {
    message: 'isolate-instance needs isolation options (quarantineGroupId or createQuarantineGroup)',
    path: ['isolation'],
  });

export type RemediationTargetConfig = z.infer<typeof RemediationTargetConfigSchema>;

/** The outcome a remediation result gives the dispatcher. */
export function outcomeOf(r: RemediationResult): DeliveryOutcome {
  switch (r.status) {
    case 'succeeded':
      return { status: 'delivered', detail: r.notification ?? `remediation ${r.playbook} succeeded (audit #${r.auditSeq})` };
    case 'planned':
      return {
        status: 'delivered',
        detail: `dry run of ${r.playbook} on ${r.target}: ${r.calls.length} call(s) planned, none sent (audit #${r.auditSeq}): ${r.calls.map((c) => `${c.service}:${c.command}`).join(', ')}`,
      };
    case 'refused':
      return { status: 'failed', error: `remediation ${r.playbook} ${r.reason} (audit #${r.auditSeq})` };
    default:
      return {
        status: r.errorClass === 'retry' ? 'retry' : 'failed',
        error: `remediation ${r.playbook} failed (audit #${r.auditSeq}): ${r.error ?? 'unknown error'}`,
      };
  }
}

/**
 * Runs the configured playbook on the GuardDuty finding in the event's detail. The dispatcher gets `delivered` with
 * the notification text (executed) or the plan summary (dry run) as `detail`; a refusal or a permanent error is
 * `failed` (dead letter, with the reason), a transient AWS error `retry` (every step is idempotent).
 */
export class RemediationTarget implements Target {
  readonly kind = 'remediation';

  constructor(
    readonly id: string,
    readonly remediator: Remediator,
    private readonly audit: AuditLog,
    private readonly onClose: () => void,
  ) {}

  /** Called with every remediation result before the dispatcher hears the outcome (the pipeline starts watches here). */
  onResult?: (result: RemediationResult, finding: Finding) => void;

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const finding = asFinding(input.event.detail);
    if (!finding) return { status: 'failed', error: 'remediation: the event detail is not a GuardDuty finding' };
    const result = await this.remediator.remediate(finding);
    this.onResult?.(result, finding);
    return outcomeOf(result);
  }

  /** The last result for a finding, from the audit log (for the CLI and tests). */
  auditLog(): AuditLog {
    return this.audit;
  }

  async close(): Promise<void> {
    this.onClose();
  }
}

export interface RemediationOverrides {
  /** The audit database (instead of the `audit` file). */
  db?: Database.Database;
  /** SDK clients (tests); otherwise built per region from the default credential chain. */
  clients?: Partial<Clients>;
}

/** Validates the options (throws `ConfigError`) and builds the target. */
export function createRemediationTarget(id: string, config: unknown, deps?: Partial<TargetDeps>, overrides: RemediationOverrides = {}): RemediationTarget {
  const c = parseTargetConfig(RemediationTargetConfigSchema, id, config);
  if (!overrides.db && !c.audit) throw new ConfigError(`target ${JSON.stringify(id)}`, [{ path: 'audit', message: 'an audit log file is required' }]);
  const audit = new AuditLog(overrides.db ?? (c.audit as string));
  const iam = overrides.clients?.iam ?? new IAMClient({ region: c.iamRegion, ...(c.endpoints.iam ? { endpoint: c.endpoints.iam } : {}) });
  const ec2ByRegion = new Map<string, EC2Client>();
  const ec2 = (region: string): EC2Client => {
    if (overrides.clients?.ec2) return overrides.clients.ec2;
    let client = ec2ByRegion.get(region);
    if (!client) {
      client = new EC2Client({ region, ...(c.endpoints.ec2 ? { endpoint: c.endpoints.ec2 } : {}) });
      ec2ByRegion.set(region, client);
    }
    return client;
  };
  const isolation = c.isolation ?? IsolationSchema.parse({ createQuarantineGroup: true });
  const remediator = new Remediator(
    { playbook: c.playbook, mode: c.mode, scope: c.scope, actor: c.actor, isolation },
    { audit, clients: (region) => ({ iam, ec2: ec2(region) }), clock: deps?.clock ?? systemClock },
  );
  return new RemediationTarget(id, remediator, audit, () => {
    if (!overrides.clients?.iam) iam.destroy();
    for (const client of ec2ByRegion.values()) client.destroy();
    audit.close();
  });
}
