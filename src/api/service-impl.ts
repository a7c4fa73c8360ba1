import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import { NotFoundError, UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { DetectContext } from '../detectors/types.js';
import type { FindingStore } from '../findings/store.js';
import { Intel } from '../intel/intel.js';
import { categoryInfo, domainCategoryInfo, type ListStore, type StoredList } from '../intel/list-store.js';
import type { DomainList, IpList } from '../intel/threat-list.js';
import type { Config } from '../pipeline/config.js';
import type { ConfigLists } from '../pipeline/context.js';
import type { RemediationResult } from '../targets/remediation/remediator.js';
import { RemediationTarget } from '../targets/remediation/target.js';
import type { Target } from '../targets/types.js';
import type { AuditRecord, IntelListInfo, RemediationOption, RuleInfo, Services, SourceStatus, TargetInfo } from './services.js';

export interface ServicesDeps {
  config: Config;
  store: FindingStore;
  clock: Clock;
  ctx: DetectContext;
  lists: ListStore;
  /** The lists named in the configuration, parsed (they are merged with the active uploaded ones). */
  /** The lists named in the configuration as they are now (a reloaded file replaces its list). */
  configLists: ConfigLists;
  targets: Map<string, Target>;
  sources: () => SourceStatus[];
}

/** Everything a caller did that changed something (API and console), kept in the findings database. */
export interface ActionRecord {
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
}

export interface ServicesImpl extends Services {
  /** The trail of state-changing requests (who archived what, uploaded which list, ran which playbook). */
  actions(limit?: number): ActionRecord[];
  /** Rebuilds the detection context's lists (after a list file changed). */
  reloadIntel(): void;
  record(actor: string, action: string, subject: string, detail?: string): void;
}

/** The services over the running pipeline's store, detection context and targets. */
export function createServices(d: ServicesDeps): ServicesImpl {
  const db: Database.Database = d.store.db;
  db.exec(`CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL)`);
  db.exec(
    'CREATE TABLE IF NOT EXISTS remediation_requests (audit_file TEXT NOT NULL, seq INTEGER NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (audit_file, seq))',
  );
  const requested = (t: RemediationTarget, seq: number, actor: string) =>
    db.prepare('INSERT OR REPLACE INTO remediation_requests (audit_file, seq, actor) VALUES (?, ?, ?)').run(t.auditLog().file, seq, actor);
  const requester = (file: string, seq: number) =>
    (db.prepare('SELECT actor FROM remediation_requests WHERE audit_file = ? AND seq = ?').get(file, seq) as { actor: string } | undefined)?.actor;
  /** One target per audit file: targets configured with the same file share one numbering. */
  const auditOwners = () => [...new Map(remediationTargets().map((t) => [t.auditLog().file, t])).values()];
  const record = (actor: string, action: string, subject: string, detail = '') =>
    db.prepare('INSERT INTO actions (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)').run(d.clock.now(), actor, action, subject, detail);

  const remediationTargets = () => [...d.targets.values()].filter((t): t is RemediationTarget => t instanceof RemediationTarget);
  const remediationTarget = (name: string): RemediationTarget => {
    const t = d.targets.get(name);
    if (!(t instanceof RemediationTarget)) throw new UsageError(`no remediation target named ${JSON.stringify(name)}`);
    return t;
  };
  const finding = (id: string): Finding => {
    const f = d.store.get(id);
    if (!f) throw new NotFoundError(`no finding with id ${JSON.stringify(id)}`);
    return f;
  };

  /** Rebuilds the detection context's lists: the configuration's plus the active uploaded ones (addresses and domains). */
  const rebuildIntel = () => {
    d.ctx.intel = new Intel(
      d.ctx.intel.awsRanges,
      [...d.configLists.threat, ...d.lists.active('threat')],
      [...d.configLists.trusted, ...d.lists.active('trusted')],
      [...d.configLists.domains, ...d.lists.activeDomains()],
    );
  };
  rebuildIntel();

  const configListInfo = (kind: 'threat' | 'trusted', l: IpList): IntelListInfo => ({
    id: `config:${kind}:${l.name}`,
    kind,
    name: l.name,
    format: l.format ?? 'TXT',
    origin: 'config',
    active: true,
    entries: l.entries.length,
    sha256: l.sha256,
    updatedAt: '',
    ...(kind === 'threat' ? categoryInfo(l.name, l.category) : {}),
  });
  const configDomainInfo = (l: DomainList): IntelListInfo => ({
    id: `config:domain:${l.name}`,
    kind: 'domain',
    name: l.name,
    format: l.format ?? 'TXT',
    origin: 'config',
    active: true,
    entries: l.domains.length,
    sha256: l.sha256,
    updatedAt: '',
    ...domainCategoryInfo(l.name, l.category),
  });
  const uploadedInfo = (l: StoredList): IntelListInfo => ({ ...l, origin: 'uploaded' });
  /** The configuration's lists a new upload's name may not take: its own kind's, and for threat and domain lists each other's. */
  const configClash = (kind: 'threat' | 'trusted' | 'domain', name: string): string | undefined => {
    const named = (ls: readonly { name: string }[]) => ls.some((l) => l.name === name);
    if (kind === 'trusted') return named(d.configLists.trusted) ? 'trusted' : undefined;
    if (named(d.configLists.threat)) return 'threat';
    if (named(d.configLists.domains)) return 'domain';
    return undefined;
  };

  async function run(findingId: string, target: string, mode: 'dry-run' | 'execute', actor: string): Promise<RemediationResult> {
    const t = remediationTarget(target);
    const f = finding(findingId);
    if (mode === 'execute' && t.remediator.settings.mode !== 'execute')
      throw new UsageError(`target ${JSON.stringify(target)} is configured for dry runs only (mode: dry-run); set mode: execute to act`);
    const result = await t.remediator.remediate(f, mode);
    t.onResult?.(result, f);
    requested(t, result.auditSeq, actor);
    record(actor, mode === 'execute' ? 'remediation.execute' : 'remediation.plan', findingId, `${target}: ${result.status} (audit #${result.auditSeq})`);
    return result;
  }

  return {
    clock: d.clock,
    store: d.store,
    suppression: d.store.suppression,
    events: (q) => d.store.events(q),
    rules: (): RuleInfo[] =>
      d.config.rules.map((r) => ({
        name: r.name,
        state: r.state,
        description: r.description ?? '',
        eventPattern: typeof r.eventPattern === 'string' ? r.eventPattern : JSON.stringify(r.eventPattern, null, 2),
        targets: r.targets.map((t) => ({
          id: t.id,
          target: t.target,
          input: t.inputTransformer ? 'InputTransformer' : t.inputPath !== undefined ? 'InputPath' : t.input !== undefined ? 'Input' : 'event',
        })),
      })),
    targets: (): TargetInfo[] => Object.entries(d.config.targets).map(([name, t]) => targetInfo(name, t as Record<string, unknown>)),
    lists: {
      list: () => [
        ...d.configLists.threat.map((l) => configListInfo('threat', l)),
        ...d.configLists.trusted.map((l) => configListInfo('trusted', l)),
        ...d.configLists.domains.map(configDomainInfo),
        ...d.lists.list().map(uploadedInfo),
      ],
      upload(kind, name, text, format, category) {
        const clash = configClash(kind, name);
        if (clash) throw new UsageError(`the configuration already has a ${clash} list named ${JSON.stringify(name)}`);
        const stored = d.lists.upload(kind, name, text, format, d.clock.now(), category);
        if (stored.active) rebuildIntel();
        return uploadedInfo(stored);
      },
      setActive(id, active) {
        const stored = d.lists.setActive(id, active, d.clock.now());
        rebuildIntel();
        return uploadedInfo(stored);
      },
      remove(id) {
        const removed = d.lists.remove(id);
        if (removed) rebuildIntel();
        return removed;
      },
    },
    remediation: {
      options: (f: Finding): RemediationOption[] =>
        remediationTargets().map((t) => {
          const why = applicability(t.remediator.settings.playbook, f);
          return {
            target: t.id,
            playbook: t.remediator.settings.playbook,
            mode: t.remediator.settings.mode,
            applicable: why === undefined,
            ...(why ? { reason: why } : {}),
          };
        }),
      plan: (findingId, target, actor) => run(findingId, target, 'dry-run', actor),
      execute: (findingId, target, actor) => run(findingId, target, 'execute', actor),
      async rollback(auditSeq, mode, actor, target) {
        const owners = target ? [remediationTarget(target)] : auditOwners().filter((t) => t.auditLog().get(auditSeq) !== undefined);
        if (owners.length > 1)
          throw new UsageError(`audit entry #${auditSeq} exists in several audit logs; name the target (${owners.map((t) => t.id).join(', ')})`);
        const owner = owners[0];
        if (!owner?.auditLog().get(auditSeq)) throw new NotFoundError(`no audit entry #${auditSeq}`);
        if (mode === 'execute' && owner.remediator.settings.mode !== 'execute')
          throw new UsageError(`target ${JSON.stringify(owner.id)} is configured for dry runs only; a rollback can only be planned`);
        const result = await owner.remediator.rollback(auditSeq, mode);
        requested(owner, result.auditSeq, actor);
        record(actor, mode === 'execute' ? 'remediation.rollback' : 'remediation.rollback-plan', `audit #${auditSeq}`, `${owner.id}: ${result.status}`);
        return result;
      },
      audit(filter = {}) {
        const entries: AuditRecord[] = [];
        for (const t of auditOwners()) {
          const file = t.auditLog().file;
          for (const e of t.auditLog().list(filter)) {
            const by = requester(file, e.seq);
            entries.push(by ? { ...e, requestedBy: by } : e);
          }
        }
        return entries.sort((a, b) => (a.at === b.at ? b.seq - a.seq : a.at < b.at ? 1 : -1));
      },
    },
    sources: d.sources,
    attribution: () => (d.ctx.enrichment?.loaded?.describe() ?? []).flatMap((x) => (x.attribution ? [x.attribution] : [])),
    actions(limit = 200) {
      const rows = db.prepare('SELECT * FROM actions ORDER BY id DESC LIMIT ?').all(limit) as Array<Omit<ActionRecord, 'at'> & { at: number }>;
      return rows.map((r) => ({ at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail }));
    },
    record,
    reloadIntel: rebuildIntel,
  };
}

/** Why a playbook does not fit a finding's resource, or undefined when it does. */
function applicability(playbook: string, f: Finding): string | undefined {
  const key = f.resource.accessKeyDetails;
  switch (playbook) {
    case 'revoke-role-sessions':
      return key?.userType === 'AssumedRole' || key?.userType === 'Role' ? undefined : 'the finding is not about a role session';
    case 'deactivate-access-key':
      return key?.userType === 'IAMUser' && key.accessKeyId ? undefined : "the finding is not about an IAM user's access key";
    case 'isolate-instance':
      return f.resource.instanceDetails?.instanceId ? undefined : 'the finding is not about an EC2 instance';
    default:
      return undefined;
  }
}

/** Settings worth showing per target type; everything else (URLs' paths, passwords, tokens) stays out. */
function targetInfo(name: string, t: Record<string, unknown>): TargetInfo {
  const type = String(t.type);
  const str = (k: string) => (typeof t[k] === 'string' ? (t[k] as string) : undefined);
  const origin = (u: string | undefined) => {
    try {
      return u ? new URL(u).origin : undefined;
    } catch {
      return undefined;
    }
  };
  let summary: string;
  switch (type) {
    case 'email':
      summary = `SMTP ${str('host') ?? ''}:${String(t.port ?? '')} to ${Array.isArray(t.to) ? t.to.join(', ') : ''}`;
      break;
    case 'webhook':
    case 'slack':
    case 'teams':
      summary = `POST to ${origin(str('url')) ?? '(url)'}/…`;
      break;
    case 'sns':
      summary = `SNS topic ${str('topicArn') ?? ''}`;
      break;
    case 'eventbridge':
      summary = `EventBridge bus ${str('eventBusName') ?? 'default'}`;
      break;
    case 'securityhub':
      summary = `Security Hub (ASFF) in ${str('region') ?? 'the finding region'}`;
      break;
    case 'remediation':
      summary = `playbook ${str('playbook')}, ${str('mode') ?? 'dry-run'}, scope ${JSON.stringify(t.scope ?? {})}`;
      break;
    default:
      summary = type;
  }
  return {
    name,
    type,
    summary,
    ...(type === 'remediation' ? { playbook: t.playbook as TargetInfo['playbook'], mode: (str('mode') ?? 'dry-run') as 'dry-run' | 'execute' } : {}),
  };
}
