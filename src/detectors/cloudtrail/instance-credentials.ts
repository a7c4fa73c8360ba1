import type { ApiEvent } from '../../core/event.js';
import { formatIp, isNonPublic, parseIp } from '../../core/ip.js';
import { INSTANCE_ID } from '../common.js';
import type { DetectContext, DetectorSettings } from '../types.js';

/**
 * Shared by the two InstanceCredentialExfiltration detectors.
 *
 * Credentials are an instance's when the caller is an assumed-role session whose session name is an EC2
 * instance id: that is how EC2 names the session when it assumes the instance profile's role
 * (`AssumeRole` by `ec2.amazonaws.com`, `roleSessionName` = instance id), and such calls also carry
 * `sessionContext.ec2RoleDelivery` ("1.0" IMDSv1, "2.0" IMDSv2) since 2021. The session name alone is
 * accepted because older records have no `ec2RoleDelivery`. The 2023 "EC2 instance identity role"
 * (`assumed-role/aws:ec2-instance/...`) cannot call most APIs and is excluded.
 *
 * A call is never judged when AWS made it on the caller's behalf (`invokedBy`), when it came through a VPC
 * endpoint, when the source is a service name or `AWS Internal`, or when it is an SSM agent channel call
 * (`ec2messages`, `ssmmessages`), whose source address follows the agent's network path, not the caller's.
 */
export interface InstanceCall {
  instanceId: string;
  role: string;
  address: string;
}

const AGENT_CHANNELS = new Set(['ec2messages.amazonaws.com', 'ssmmessages.amazonaws.com']);

/** The event's instance call, computed once per event (both InstanceCredentialExfiltration detectors ask). */
export function instanceCall(e: ApiEvent): InstanceCall | undefined {
  if (e.instanceCall === undefined) e.instanceCall = findInstanceCall(e) ?? null;
  return e.instanceCall ?? undefined;
}

function findInstanceCall(e: ApiEvent): InstanceCall | undefined {
  const p = e.principal;
  if (p.type !== 'AssumedRole' || !INSTANCE_ID.test(p.sessionName)) return undefined;
  if (p.userName === 'aws:ec2-instance') return undefined;
  if (!e.ip || p.invokedBy || e.record.vpcEndpointId || AGENT_CHANNELS.has(e.source)) return undefined;
  if (isNonPublic(e.ip)) return undefined;
  return { instanceId: p.sessionName.toLowerCase(), role: p.userName, address: formatIp(e.ip) };
}

/** The addresses configuration says belong to an account or an instance, compiled once per settings object. */
export interface OwnAddresses {
  ofAccount: Map<string, Set<string>>;
  ofInstance: Map<string, Set<string>>;
  /** Address -> the configured account that egresses through it. */
  owner: Map<string, { accountId: string; affiliated: boolean }>;
}

const compiled = new WeakMap<DetectorSettings, OwnAddresses>();

export function ownAddresses(ctx: DetectContext): OwnAddresses {
  let own = compiled.get(ctx.settings);
  if (!own) {
    own = { ofAccount: new Map(), ofInstance: new Map(), owner: new Map() };
    for (const a of ctx.settings.accounts) {
      const set = new Set(a.egressAddresses.map(canonical));
      own.ofAccount.set(a.id, set);
      for (const addr of set) own.owner.set(addr, { accountId: a.id, affiliated: a.affiliated });
    }
    for (const [id, inst] of Object.entries(ctx.settings.instances)) own.ofInstance.set(id.toLowerCase(), new Set(inst.addresses.map(canonical)));
    compiled.set(ctx.settings, own);
  }
  return own;
}

/** True when configuration names `address` as the account's egress or the instance's own address. */
export function isConfiguredOwn(own: OwnAddresses, account: string, instanceId: string, address: string): boolean {
  return own.ofAccount.get(account)?.has(address) === true || own.ofInstance.get(instanceId)?.has(address) === true;
}

function canonical(text: string): string {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : text;
}
