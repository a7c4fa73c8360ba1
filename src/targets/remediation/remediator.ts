import type { Clock } from '../../core/clock.js';
import type { Finding } from '../../core/finding.js';
import { awsErrorText, classifyAwsError, type ErrorClass } from '../aws/common.js';
import type { AuditLog, AuditMode, AuditStatus } from './audit.js';
import { type CallRecord, type Clients, Executor } from './executor.js';
import { type IsolationOptions, PLAYBOOK_REGISTRY, type PlaybookContext, type PlaybookName, Refusal } from './playbooks.js';
import { accountRegionInScope, type Scope } from './scope.js';

export interface RemediatorSettings {
  playbook: PlaybookName;
  mode: AuditMode;
  scope: Scope;
  /** Who acts, as written in tags and the audit ("trailhound" unless configured). */
  actor: string;
  isolation: IsolationOptions;
}

export interface RemediatorDeps {
  audit: AuditLog;
  /** The SDK clients for a region (IAM is global; EC2 is the finding's region). */
  clients: (region: string) => Clients;
  clock: Clock;
}

/** What a remediation or rollback came to. `notification` is set when it was executed and succeeded. */
export interface RemediationResult {
  status: AuditStatus;
  auditSeq: number;
  playbook: PlaybookName;
  action: 'remediate' | 'rollback';
  mode: AuditMode;
  findingId: string;
  target: string;
  reason: string;
  calls: CallRecord[];
  notes: string[];
  notification?: string;
  rollback?: unknown;
  error?: string;
  /** For `failed`: whether retrying may help (throttling, 5xx, network) or not. */
  errorClass?: ErrorClass;
}

/**
 * Runs one playbook on findings, safely: scope first (refusals are audited with their reason and send nothing),
 * a dry run unless the mode is `execute`, every run appended to the audit log, rollbacks driven by audit records.
 */
export class Remediator {
  constructor(
    readonly settings: RemediatorSettings,
    private readonly deps: RemediatorDeps,
  ) {}

  async remediate(finding: Finding, mode: AuditMode = this.settings.mode): Promise<RemediationResult> {
    const playbook = PLAYBOOK_REGISTRY[this.settings.playbook];
    const now = this.deps.clock.now();
    const base = {
      playbook: playbook.name,
      action: 'remediate' as const,
      mode,
      findingId: finding.id,
      findingType: finding.type,
      accountId: finding.accountId,
      region: finding.region,
    };
    const why = `${finding.type} (severity ${finding.severity}): ${finding.title}`;
    const refuse = (target: string, reason: string, calls: CallRecord[] = [], notes: string[] = []): RemediationResult => {
      const seq = this.deps.audit.append({
        ...base,
        at: new Date(now).toISOString(),
        status: 'refused',
        target,
        reason: `refused: ${reason}`,
        calls,
        result: { notes, error: reason },
        rollback: null,
        rollsBack: null,
      });
      return { status: 'refused', auditSeq: seq, ...pick(base), target, reason: `refused: ${reason}`, calls, notes };
    };

    const where = accountRegionInScope(this.settings.scope, finding.accountId, finding.region);
    const subject = playbook.subject(finding, this.settings.scope);
    const target = 'target' in subject ? subject.target : '-';
    if (!where.ok) return refuse(target, where.reason);
    if ('refused' in subject) return refuse(target, subject.refused);

    const ex = new Executor(mode === 'dry-run', this.deps.clients(finding.region));
    let partial: unknown = null;
    const ctx: PlaybookContext = {
      finding,
      ex,
      now,
      scope: this.settings.scope,
      audit: this.deps.audit,
      actor: this.settings.actor,
      isolation: this.settings.isolation,
      notes: [],
      progress: (r) => {
        partial = structuredClone(r);
      },
    };
    try {
      const run = await playbook.run(ctx);
      const status: AuditStatus = mode === 'dry-run' ? 'planned' : 'succeeded';
      const notification = mode === 'execute' ? run.notification : undefined;
      const seq = this.deps.audit.append({
        ...base,
        at: new Date(now).toISOString(),
        status,
        target,
        reason: why,
        calls: ex.calls,
        result: { notes: ctx.notes, ...(notification ? { notification } : {}) },
        rollback: mode === 'execute' ? run.rollback : null,
        rollsBack: null,
      });
      return {
        status,
        auditSeq: seq,
        ...pick(base),
        target,
        reason: why,
        calls: ex.calls,
        notes: ctx.notes,
        ...(notification ? { notification } : {}),
        rollback: run.rollback,
      };
    } catch (err) {
      if (err instanceof Refusal) return refuse(target, err.message, ex.calls, ctx.notes);
      const error = awsErrorText(err);
      const errorClass = classifyAwsError(err);
      const seq = this.deps.audit.append({
        ...base,
        at: new Date(now).toISOString(),
        status: 'failed',
        target,
        reason: why,
        calls: ex.calls,
        result: { notes: ctx.notes, error },
        rollback: mode === 'execute' ? partial : null,
        rollsBack: null,
      });
      return { status: 'failed', auditSeq: seq, ...pick(base), target, reason: why, calls: ex.calls, notes: ctx.notes, error, errorClass };
    }
  }

  /**
   * Undoes an executed remediation from its audit record. Always a dry run unless `mode` is `execute` (whatever the
   * target's mode). Refused when the record is not an executed remediation with rollback data.
   */
  async rollback(auditSeq: number, mode: AuditMode = 'dry-run'): Promise<RemediationResult> {
    const now = this.deps.clock.now();
    const entry = this.deps.audit.get(auditSeq);
    const name = (entry?.playbook ?? this.settings.playbook) as PlaybookName;
    const base = {
      playbook: name,
      action: 'rollback' as const,
      mode,
      findingId: entry?.findingId ?? '-',
      findingType: entry?.findingType ?? '-',
      accountId: entry?.accountId ?? '-',
      region: entry?.region ?? '-',
    };
    const target = entry?.target ?? '-';
    const why = `rollback of audit #${auditSeq}`;
    const append = (status: AuditStatus, reason: string, calls: CallRecord[], notes: string[], error?: string) =>
      this.deps.audit.append({
        ...base,
        at: new Date(now).toISOString(),
        status,
        target,
        reason,
        calls,
        result: { notes, ...(error ? { error } : {}) },
        rollback: null,
        rollsBack: entry ? auditSeq : null,
      });
    let refusal: string | undefined;
    if (!entry) refusal = `no audit record #${auditSeq}`;
    else if (entry.action !== 'remediate') refusal = `audit record #${auditSeq} is a ${entry.action}, not a remediation`;
    else if (entry.mode !== 'execute') refusal = `audit record #${auditSeq} is a dry run: nothing was changed`;
    else if (entry.rollback === null || entry.rollback === undefined) refusal = `audit record #${auditSeq} has no rollback data`;
    else if (!(entry.playbook in PLAYBOOK_REGISTRY)) refusal = `unknown playbook ${entry.playbook}`;
    if (refusal || !entry) {
      const reason = `refused: ${refusal}`;
      const seq = append('refused', reason, [], [], refusal);
      return { status: 'refused', auditSeq: seq, ...pick(base), target, reason, calls: [], notes: [] };
    }
    const ex = new Executor(mode === 'dry-run', this.deps.clients(entry.region));
    const notes: string[] = [];
    const ctx = {
      ex,
      now,
      scope: this.settings.scope,
      audit: this.deps.audit,
      actor: this.settings.actor,
      isolation: this.settings.isolation,
      notes,
      progress: () => {},
    };
    try {
      await PLAYBOOK_REGISTRY[name].rollback(ctx, entry.rollback);
      const status: AuditStatus = mode === 'dry-run' ? 'planned' : 'succeeded';
      const seq = append(status, why, ex.calls, notes);
      return { status, auditSeq: seq, ...pick(base), target, reason: why, calls: ex.calls, notes };
    } catch (err) {
      if (err instanceof Refusal) {
        const reason = `refused: ${err.message}`;
        const seq = append('refused', reason, ex.calls, notes, err.message);
        return { status: 'refused', auditSeq: seq, ...pick(base), target, reason, calls: ex.calls, notes };
      }
      const error = awsErrorText(err);
      const seq = append('failed', why, ex.calls, notes, error);
      return { status: 'failed', auditSeq: seq, ...pick(base), target, reason: why, calls: ex.calls, notes, error, errorClass: classifyAwsError(err) };
    }
  }
}

function pick(b: { playbook: PlaybookName; action: 'remediate' | 'rollback'; mode: AuditMode; findingId: string }) {
  return { playbook: b.playbook, action: b.action, mode: b.mode, findingId: b.findingId };
}
