import type { ApiEvent } from '../core/event.js';

/**
 * Network interfaces to EC2 instances, learned from CloudTrail, for VPC Flow Logs records without `instance-id` (the
 * default version-2 format has none).
 *
 * What is learned. Successful calls only (no `errorCode`):
 * - `RunInstances`: every `responseElements.instancesSet.items[].networkInterfaceSet.items[]` is attached to its
 *   instance from the event's time on (with its attachment id, addresses, VPC, subnet and security groups).
 * - `CreateNetworkInterface`: `responseElements.networkInterface` exists, not attached (its details are kept).
 * - `AttachNetworkInterface`: `requestParameters.networkInterfaceId` attached to `requestParameters.instanceId`
 *   (attachment id: `responseElements.attachmentId`).
 * - `DetachNetworkInterface`: names only `requestParameters.attachmentId`; the interface is the one that attachment
 *   belongs to (learned from `RunInstances` or `AttachNetworkInterface`). A detach whose attachment is not known yet is
 *   kept aside and applies as soon as the attachment is learned, whatever the order the events arrive in.
 * - `DeleteNetworkInterface`: `requestParameters.networkInterfaceId` no longer exists.
 *
 * Time-aware: each event becomes a fact "from this time on, the interface is attached to instance X / to nothing".
 * The instance behind a flow at time t is that of the latest fact at or before t (ties broken by event id), so an
 * interface moved between instances resolves to the right one on each side of the move, and a flow before the first
 * known fact is not resolved. The map is a set of facts and the answer a function of that set: it does not depend on
 * the order the events were learned in.
 *
 * How it is used, so that results do not depend on file or record order. Detectors never ask the map: their state
 * and aggregation keys use the record's `instance-id`, else the inventory (`detectors.interfaces`), else the interface
 * id (`flowInstance` in network-common.ts). The map is asked when an aggregate is finalised, just before it is written
 * (`DetectionEngine.resolveInstance`, from `runDetect` after the last file and from the ingestor for each batch),
 * at the time of the aggregate's latest event. By then a `detect` run has seen every CloudTrail event it was given,
 * in whatever order. The finding id does not change with the resolution, so a finding written unresolved (in `serve`,
 * when the flow came before the CloudTrail event) is resolved on its next update.
 * Precedence: record `instance-id` > inventory > this map.
 *
 * Persistence: with a database the pipeline loads the kept facts at start and `onLearn` keeps every learned one
 * (`FindingStore.saveInterfaceFacts`, table `interface_facts`) in the transaction that read its event; a rolled-back
 * batch's events are offered again and their facts written again (inserts are idempotent).
 *
 * Memory: at most `maxFactsPerInterface` facts per interface (the oldest are dropped, counted in `stats().evicted`) and
 * `maxPendingDetaches` detaches waiting for their attachment.
 */

/** What a response said about an interface (RunInstances, CreateNetworkInterface). */
export interface InterfaceDetails {
  vpcId?: string;
  subnetId?: string;
  privateIpAddress?: string;
  privateDnsName?: string;
  privateIpAddresses?: Array<{ privateIpAddress: string; privateDnsName?: string }>;
  ipv6Addresses?: string[];
  securityGroups?: Array<{ groupId: string; groupName?: string }>;
  /** The interface's description (services name their interfaces: "AWS Lambda VPC ENI-...", "ELB app/..."). */
  description?: string;
}

/** One thing CloudTrail said about a network interface at a time: from `time` on, it is attached to `instanceId` or to nothing. */
export interface InterfaceFact {
  /** '' for a detach whose attachment is not known yet. */
  interfaceId: string;
  time: number;
  eventId: string;
  eventName: string;
  account: string;
  region: string;
  /** The instance it is attached to from `time` on; absent: attached to no instance (created, detached, deleted). */
  instanceId?: string;
  attachmentId?: string;
  details?: InterfaceDetails;
}

export type InterfaceResolution = { instanceId: string; fact: InterfaceFact } | { instanceId?: undefined; fact?: InterfaceFact; reason: string };

export interface InterfaceMapOptions {
  /** Called with the facts of every CloudTrail event that taught something (already known ones included), to persist them. */
  onLearn?: (facts: InterfaceFact[]) => void;
  maxFactsPerInterface?: number;
  maxPendingDetaches?: number;
}

export interface InterfaceMapStats {
  /** Interfaces known, and facts held. */
  interfaces: number;
  facts: number;
  /** Detaches whose attachment is not known yet. */
  pendingDetaches: number;
  /** Flow findings resolved through the map, and those it could not resolve. */
  resolved: number;
  unresolved: number;
  /** Facts dropped by the caps. */
  evicted: number;
}

const EVENTS = new Set(['RunInstances', 'CreateNetworkInterface', 'AttachNetworkInterface', 'DetachNetworkInterface', 'DeleteNetworkInterface']);

/** The identity of a fact (as persisted): one event can teach several (RunInstances of several instances or interfaces). */
export function factKey(f: Pick<InterfaceFact, 'eventId' | 'interfaceId' | 'attachmentId'>): string {
  return `${f.eventId}|${f.interfaceId}|${f.attachmentId ?? ''}`;
}

/** Order of facts on the time line: time, then event id (deterministic for events of the same second). */
function before(a: InterfaceFact, b: InterfaceFact): boolean {
  return a.time < b.time || (a.time === b.time && a.eventId < b.eventId);
}

export class InterfaceMap {
  private readonly byInterface = new Map<string, InterfaceFact[]>();
  /** Attachment id -> interface, from RunInstances and AttachNetworkInterface. */
  private readonly attachments = new Map<string, string>();
  /** Detaches whose attachment is not known yet, by attachment id. */
  private readonly pending = new Map<string, InterfaceFact>();
  private readonly known = new Set<string>();
  private readonly maxFacts: number;
  private readonly maxPending: number;
  private counts = { resolved: 0, unresolved: 0, evicted: 0 };
  onLearn: ((facts: InterfaceFact[]) => void) | undefined;

  constructor(o: InterfaceMapOptions = {}) {
    this.onLearn = o.onLearn;
    this.maxFacts = o.maxFactsPerInterface ?? 64;
    this.maxPending = o.maxPendingDetaches ?? 10_000;
  }

  /** Learns from one CloudTrail event (cheap for the others: one set lookup). Returns the facts it carried. */
  learn(e: ApiEvent): InterfaceFact[] {
    if (!EVENTS.has(e.name) || e.errorCode || e.source !== 'ec2.amazonaws.com') return [];
    const facts = factsOf(e);
    if (facts.length === 0) return facts;
    for (const f of facts) this.add(f);
    this.onLearn?.(facts);
    return facts;
  }

  /** Adds facts learned earlier (from the store); the same as learning their events again, in any order. */
  load(facts: Iterable<InterfaceFact>): void {
    for (const f of facts) this.add(f);
  }

  /** The instance behind `interfaceId` at `time`, or why there is none. */
  resolve(interfaceId: string, time: number): InterfaceResolution {
    const facts = this.byInterface.get(interfaceId);
    if (!facts || facts.length === 0) {
      this.counts.unresolved++;
      return { reason: `no CloudTrail event seen names ${interfaceId} (RunInstances, CreateNetworkInterface, AttachNetworkInterface)` };
    }
    let at: InterfaceFact | undefined;
    for (let i = facts.length - 1; i >= 0; i--) {
      const f = facts[i] as InterfaceFact;
      if (f.time <= time) {
        at = f;
        break;
      }
    }
    if (!at) {
      this.counts.unresolved++;
      const first = facts[0] as InterfaceFact;
      return { fact: first, reason: `CloudTrail's first event for ${interfaceId} (${first.eventName} at ${iso(first.time)}) is later than the flow` };
    }
    if (at.instanceId) {
      this.counts.resolved++;
      return { instanceId: at.instanceId, fact: at };
    }
    this.counts.unresolved++;
    const what =
      at.eventName === 'DeleteNetworkInterface'
        ? 'was deleted'
        : at.eventName === 'DetachNetworkInterface'
          ? 'was detached'
          : 'was created and not attached to an instance since';
    const description = this.details(interfaceId)?.description;
    return { fact: at, reason: `${interfaceId} ${what} (${at.eventName} at ${iso(at.time)})${description ? `; its description: ${description}` : ''}` };
  }

  /** What the latest response that described the interface said about it (RunInstances, CreateNetworkInterface). */
  details(interfaceId: string): InterfaceDetails | undefined {
    const facts = this.byInterface.get(interfaceId);
    if (!facts) return undefined;
    for (let i = facts.length - 1; i >= 0; i--) {
      const d = (facts[i] as InterfaceFact).details;
      if (d) return d;
    }
    return undefined;
  }

  stats(): InterfaceMapStats {
    let facts = 0;
    for (const list of this.byInterface.values()) facts += list.length;
    return { interfaces: this.byInterface.size, facts, pendingDetaches: this.pending.size, ...this.counts };
  }

  private add(f: InterfaceFact): void {
    const key = factKey(f);
    if (this.known.has(key)) return;
    this.known.add(key);
    if (!f.interfaceId) {
      // A detach whose attachment was not known when it was learned: maybe it is now.
      const owner = f.attachmentId ? this.attachments.get(f.attachmentId) : undefined;
      if (owner) this.insert({ ...f, interfaceId: owner });
      else if (f.attachmentId) this.park(f);
      return;
    }
    if (f.attachmentId && f.instanceId) {
      this.attachments.set(f.attachmentId, f.interfaceId);
      const waiting = this.pending.get(f.attachmentId);
      if (waiting) {
        this.pending.delete(f.attachmentId);
        this.insert({ ...waiting, interfaceId: f.interfaceId });
      }
    }
    this.insert(f);
  }

  private park(f: InterfaceFact): void {
    const id = f.attachmentId as string;
    if (!this.pending.has(id) && this.pending.size >= this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.counts.evicted++;
    }
    this.pending.set(id, f);
  }

  /** Inserts in time order (few facts per interface: a linear walk from the end). */
  private insert(f: InterfaceFact): void {
    let list = this.byInterface.get(f.interfaceId);
    if (!list) {
      list = [];
      this.byInterface.set(f.interfaceId, list);
    }
    let i = list.length;
    while (i > 0 && before(f, list[i - 1] as InterfaceFact)) i--;
    list.splice(i, 0, f);
    if (list.length > this.maxFacts) {
      list.shift();
      this.counts.evicted++;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** EC2's XML-derived lists: `{items: [...]}`, sometimes `{item: [...]}`; anything else is empty. */
function items(v: unknown): Json[] {
  const o = obj(v);
  const list = o?.items ?? o?.item;
  return Array.isArray(list) ? (list.map(obj).filter(Boolean) as Json[]) : [];
}

/** Interface details as RunInstances' `networkInterfaceSet` items and CreateNetworkInterface's `networkInterface` give them. */
export function interfaceDetails(ni: Json): InterfaceDetails {
  const d: InterfaceDetails = {};
  const vpcId = str(ni.vpcId);
  const subnetId = str(ni.subnetId);
  const privateIpAddress = str(ni.privateIpAddress);
  const privateDnsName = str(ni.privateDnsName);
  const description = str(ni.description);
  if (vpcId) d.vpcId = vpcId;
  if (subnetId) d.subnetId = subnetId;
  if (privateIpAddress) d.privateIpAddress = privateIpAddress;
  if (privateDnsName) d.privateDnsName = privateDnsName;
  if (description) d.description = description;
  const addresses = items(ni.privateIpAddressesSet).flatMap((a) => {
    const ip = str(a.privateIpAddress);
    if (!ip) return [];
    const dns = str(a.privateDnsName);
    return [{ privateIpAddress: ip, ...(dns ? { privateDnsName: dns } : {}) }];
  });
  if (addresses.length > 0) d.privateIpAddresses = addresses;
  const v6 = items(ni.ipv6AddressesSet).flatMap((a) => str(a.ipv6Address) ?? []);
  if (v6.length > 0) d.ipv6Addresses = v6;
  const groups = items(ni.groupSet).flatMap((g) => {
    const groupId = str(g.groupId);
    if (!groupId) return [];
    const groupName = str(g.groupName);
    return [{ groupId, ...(groupName ? { groupName } : {}) }];
  });
  if (groups.length > 0) d.securityGroups = groups;
  return d;
}

/**
 * The facts one successful EC2 call carries, as the event says them: a detach names its attachment only (its interface
 * is '' unless the request names one), and the map links it to the interface that attachment belongs to.
 */
export function factsOf(e: ApiEvent): InterfaceFact[] {
  const base = { time: e.time, eventId: e.id, eventName: e.name, account: e.account, region: e.region };
  const request = obj(e.record.requestParameters) ?? {};
  const response = obj(e.record.responseElements) ?? {};
  switch (e.name) {
    case 'RunInstances':
      return items(response.instancesSet).flatMap((instance) => {
        const instanceId = str(instance.instanceId);
        if (!instanceId) return [];
        return items(instance.networkInterfaceSet).flatMap((ni) => {
          const interfaceId = str(ni.networkInterfaceId);
          if (!interfaceId) return [];
          const attachmentId = str(obj(ni.attachment)?.attachmentId);
          return [{ ...base, interfaceId, instanceId, ...(attachmentId ? { attachmentId } : {}), details: interfaceDetails(ni) }];
        });
      });
    case 'CreateNetworkInterface': {
      const ni = obj(response.networkInterface);
      const interfaceId = str(ni?.networkInterfaceId);
      return ni && interfaceId ? [{ ...base, interfaceId, details: interfaceDetails(ni) }] : [];
    }
    case 'AttachNetworkInterface': {
      const interfaceId = str(request.networkInterfaceId);
      const instanceId = str(request.instanceId);
      const attachmentId = str(response.attachmentId);
      return interfaceId && instanceId ? [{ ...base, interfaceId, instanceId, ...(attachmentId ? { attachmentId } : {}) }] : [];
    }
    case 'DetachNetworkInterface': {
      const attachmentId = str(request.attachmentId);
      const interfaceId = str(request.networkInterfaceId) ?? '';
      return interfaceId || attachmentId ? [{ ...base, interfaceId, ...(attachmentId ? { attachmentId } : {}) }] : [];
    }
    case 'DeleteNetworkInterface': {
      const interfaceId = str(request.networkInterfaceId);
      return interfaceId ? [{ ...base, interfaceId }] : [];
    }
    default:
      return [];
  }
}
