import { Dispatcher, type DispatchRule, type DispatchStats } from '../bus/dispatcher.js';
import type { BusEvent } from '../bus/event.js';
import { Outbox } from '../bus/outbox.js';
import { RuleMatcher } from '../bus/pattern/rule-matcher.js';
import { publishDue } from '../bus/publisher.js';
import { renderTargetInput } from '../bus/transformer.js';
import type { Clock } from '../core/clock.js';
import type { Finding } from '../core/finding.js';
import type { FindingStore } from '../findings/store.js';
import { WatchStore } from '../findings/watches.js';
import { createTarget } from '../targets/registry.js';
import { tokenIssueCutoff } from '../targets/remediation/policy.js';
import type { RemediationResult } from '../targets/remediation/remediator.js';
import { outcomeOf, type RemediationOverrides, RemediationTarget } from '../targets/remediation/target.js';
import type { DeliveryOutcome, Target, TargetDeps } from '../targets/types.js';
import type { Config } from './config.js';

/**
 * The response half of the pipeline, built from the configuration: enabled rules compiled into one matcher, the
 * configured targets, the outbox in the findings database, and the dispatcher between them.
 *
 * A successful (executed) remediation does two more things: it puts the remediated credentials under watch, so
 * later events verify the containment (see verification.ts), and it publishes a "Trailhound Remediation" event
 * (`source` "trailhound.remediation", `detail.message` = the workshop-style "GuardDuty Remediation | ID:..." text)
 * that rules route like any other event, e.g. to the e-mail target.
 */
export interface Bus {
  dispatcher: Dispatcher;
  outbox: Outbox;
  targets: Map<string, Target>;
  /** Publishes the findings that are due and queues their deliveries (call inside the store's transaction). */
  publishFindings(): BusEvent[];
  /** Sends what is due; with `untilMs`, keeps going (waiting out backoffs) until nothing is pending or time is up. */
  deliver(untilMs?: number): Promise<DispatchStats>;
  close(): Promise<void>;
}

export const REMEDIATION_DETAIL_TYPE = 'Trailhound Remediation';

/**
 * `connectAll`: connect every configured target, not only those an enabled rule uses (the service does, so that the
 * console can run any configured remediation playbook by hand).
 */
export function buildBus(config: Config, store: FindingStore, deps: TargetDeps & { remediation?: RemediationOverrides; connectAll?: boolean }): Bus {
  const clock = deps.clock;
  const matcher = new RuleMatcher();
  const rules: DispatchRule[] = [];
  for (const rule of config.rules) {
    if (rule.state !== 'ENABLED') continue;
    matcher.add(rule.name, typeof rule.eventPattern === 'string' ? rule.eventPattern : JSON.stringify(rule.eventPattern));
    const ruleArn = `arn:aws:events:us-east-1:000000000000:rule/${rule.name}`;
    rules.push({
      name: rule.name,
      targets: rule.targets.map((t) => ({
        id: t.target,
        render: (event: BusEvent) => renderTargetInput(t, event, { ruleName: rule.name, ruleArn, ingestionTime: new Date(clock.now()).toISOString() }),
      })),
    });
  }
  const outbox = new Outbox(store.db);
  const watches = new WatchStore(store.db);
  const targets = new Map<string, Target>();
  let dispatcher: Dispatcher | undefined;
  const used = new Set(rules.flatMap((r) => r.targets.map((t) => t.id)));
  for (const [name, targetConfig] of Object.entries(config.targets)) {
    if (!used.has(name) && !(deps.connectAll && targetConfig.type === 'remediation')) continue; // a target nothing uses is not even connected
    const target = createTarget(name, targetConfig, deps, deps.remediation);
    if (target instanceof RemediationTarget) target.onResult = (result, finding) => followUp(result, finding, watches, clock, (e) => dispatcher?.publish(e));
    targets.set(name, target);
  }
  const d = new Dispatcher(matcher, rules, targets, outbox, clock, config.delivery);
  dispatcher = d;
  return {
    dispatcher: d,
    outbox,
    targets,
    publishFindings: () => publishDue(store, config.publishing.frequency, clock, (e) => d.publish(e)),
    async deliver(untilMs = 0) {
      const total: DispatchStats = { delivered: 0, retried: 0, dead: 0 };
      const deadline = Date.now() + untilMs;
      for (;;) {
        const s = await d.deliverDue();
        total.delivered += s.delivered;
        total.retried += s.retried;
        total.dead += s.dead;
        const next = outbox.nextDue();
        if (next === undefined || Date.now() >= deadline) return total;
        const wait = Math.min(next - clock.now(), deadline - Date.now());
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    },
    async close() {
      for (const t of targets.values()) await t.close?.();
    },
  };
}

/** After a remediation: an executed one starts the watch; executed and planned ones are announced on the bus. */
function followUp(result: RemediationResult, finding: Finding, watches: WatchStore, clock: Clock, publish: (event: BusEvent) => void): void {
  const now = clock.now();
  const key = finding.resource.accessKeyDetails;
  if (result.status === 'succeeded' && key) {
    const remediatedAt = Date.parse(tokenIssueCutoff(now));
    if (result.playbook === 'revoke-role-sessions') {
      watches.add({ findingId: finding.id, kind: 'role-sessions', account: finding.accountId, principalName: key.userName, accessKeyId: '', remediatedAt });
    } else if (result.playbook === 'deactivate-access-key') {
      watches.add({
        findingId: finding.id,
        kind: 'access-key',
        account: finding.accountId,
        principalName: key.userName,
        accessKeyId: key.accessKeyId,
        remediatedAt,
      });
    }
  }
  if (result.status !== 'succeeded' && result.status !== 'planned') return;
  publish({
    version: '0',
    id: `remediation-${result.auditSeq}`,
    'detail-type': REMEDIATION_DETAIL_TYPE,
    source: 'trailhound.remediation',
    account: finding.accountId,
    time: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: finding.region,
    resources: [],
    detail: {
      findingId: finding.id,
      findingType: finding.type,
      playbook: result.playbook,
      mode: result.mode,
      status: result.status,
      target: result.target,
      auditSeq: result.auditSeq,
      message: result.notification ?? describeOutcome(outcomeOf(result)),
      calls: result.calls.map((c) => `${c.service}:${c.command}`),
    },
  });
}

function describeOutcome(o: DeliveryOutcome): string {
  return o.status === 'delivered' ? (o.detail ?? 'delivered') : o.error;
}
