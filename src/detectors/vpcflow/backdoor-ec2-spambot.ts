import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { SEVERITY } from '../../core/finding.js';
import { formatIp, isNonPublic, parseCidr } from '../../core/ip.js';
import { IpIndex } from '../../intel/ip-index.js';
import { flowHitBase, flowInstance, flowSides, instanceResource, instanceText, networkConnectionAction } from '../network-common.js';
import type { FlowDetector, Hit, LogCase, MailServers } from '../types.js';
import { localSide } from './brute-force.js';

/**
 * `Backdoor:EC2/Spambot`: an instance connects out to port 25 (SMTP) of many distinct remote hosts. GuardDuty flags
 * port-25 traffic that an instance has no history of; Trailhound has no per-instance history across runs, so it asks
 * for breadth instead: `SPAMBOT_MIN_HOSTS` or more distinct public remote addresses on TCP port 25 within
 * `SPAMBOT_WINDOW_MS` (event time, `end` of each record), from one instance. A mail relay sends to many hosts too: an
 * instance is not a mail server by default; `detectors.mailServers` names those that are (`instances`: they never raise
 * the finding) and the relays instances send through (`destinations`, addresses or CIDRs: a smarthost, SES endpoints;
 * connections to them do not count). The instance is the one the detector knows (the record's `instance-id` or
 * `detectors.interfaces`); the instance CloudTrail names is learned only when the finding is written.
 *
 * Counted: TCP flow records from the instance (the local side: `flow-direction` egress, else the non-public source,
 * see `localSide` in `brute-force.ts`) to a public address's port 25, accepted or rejected. Not counted: port 587/465
 * (authenticated submission), private destinations (an internal relay), inbound SMTP (the instance as a server),
 * allowed mail servers and relays (counted apart: `allowedInstance`, `allowedRelay`).
 * One finding per instance (or network interface when the instance is unknown); `count` is the SMTP connections
 * aggregated once over the threshold (those in the window that crossed it, then one per connection until the instance
 * has been quiet on port 25 for a whole window).
 */
export const SPAMBOT_WINDOW_MS = 60 * 60_000;
export const SPAMBOT_MIN_HOSTS = 10;
/** Connections remembered per instance within the window; beyond it the oldest are dropped (counted). */
export const SPAMBOT_MAX_CONNECTIONS_PER_INSTANCE = 2_000;
const SMTP_PORT = 25;

interface InstanceState {
  /** Connections in the current window, sorted by time; emptied once over the threshold. */
  connections: Array<{ t: number; remote: string }>;
  /** Remote address -> connections to it in `connections`. */
  hosts: Map<string, number>;
  fired: boolean;
  last: number;
}

export interface SpambotState {
  /** By instance (or interface), least recently active first. */
  instances: Map<string, InstanceState>;
  now: number;
  max: number;
  /** `detectors.mailServers`, compiled when the state is created (once per run, or for the life of `serve`). */
  mail: CompiledMailServers | undefined;
  counters: {
    smtpConnections: number;
    undecidedDirection: number;
    allowedInstance: number;
    allowedRelay: number;
    lateConnections: number;
    droppedConnections: number;
    expired: number;
    evicted: number;
  };
}

export interface CompiledMailServers {
  instances: ReadonlySet<string>;
  destinations: IpIndex;
}

/**
 * Compiles `detectors.mailServers` (validated with the configuration, checked again here for other callers): instance
 * ids into a set, destinations (addresses or CIDRs) into an `IpIndex`, so that a record costs lookups only.
 */
export function compileMailServers(o: MailServers): CompiledMailServers {
  const issues: ConfigIssue[] = [];
  const destinations = new IpIndex();
  for (const [i, d] of (o.destinations ?? []).entries()) {
    const cidr = parseCidr(d);
    if ('error' in cidr) issues.push({ path: `detectors.mailServers.destinations.${i}`, message: cidr.error });
    else destinations.add(cidr, true);
  }
  for (const [i, id] of (o.instances ?? []).entries())
    if (!/^i-[0-9a-fA-F]{8,17}$/.test(id)) issues.push({ path: `detectors.mailServers.instances.${i}`, message: 'expected an instance id' });
  if (issues.length > 0) throw new ConfigError('detectors.mailServers', issues);
  return { instances: new Set(o.instances ?? []), destinations };
}

export const detector: FlowDetector<SpambotState> = {
  meta: {
    id: 'backdoor-ec2-spambot',
    findingType: 'Backdoor:EC2/Spambot',
    severity: SEVERITY.Medium,
    dataSource: 'VPC Flow Logs',
    summary: 'An EC2 instance is exhibiting unusual behavior by communicating with many remote hosts on port 25 (SMTP): it may be sending spam.',
    aggregation: 'instance (or network interface when the instance is unknown)',
  },

  createState: (ctx) => ({
    instances: new Map(),
    now: Number.NEGATIVE_INFINITY,
    max: Math.max(1, ctx.settings.maxTrackedInstances),
    mail: ctx.settings.mailServers ? compileMailServers(ctx.settings.mailServers) : undefined,
    counters: {
      smtpConnections: 0,
      undecidedDirection: 0,
      allowedInstance: 0,
      allowedRelay: 0,
      lateConnections: 0,
      droppedConnections: 0,
      expired: 0,
      evicted: 0,
    },
  }),

  stats: (s) => ({ ...s.counters, trackedInstances: s.instances.size }),

  evaluate(r, ctx, s) {
    if (r.protocol !== 6 || r.dstport !== SMTP_PORT || !r.dstaddr || isNonPublic(r.dstaddr)) return undefined;
    const side = localSide(r);
    if (side !== 'src') {
      if (side === undefined) s.counters.undecidedDirection++;
      return undefined;
    }
    const sides = flowSides(r, true);
    if (!sides) return undefined;
    const instanceId = flowInstance(r, ctx);
    if (s.mail) {
      if (instanceId !== undefined && s.mail.instances.has(instanceId)) {
        s.counters.allowedInstance++;
        return undefined;
      }
      if (s.mail.destinations.has(sides.remote)) {
        s.counters.allowedRelay++;
        return undefined;
      }
    }
    s.counters.smtpConnections++;
    const t = r.time;
    if (t > s.now) s.now = t;
    sweep(s);

    const key = instanceId ?? r.interfaceId;
    const remote = formatIp(sides.remote);
    let st = s.instances.get(key);
    if (st) s.instances.delete(key);
    if (!st || t > st.last + SPAMBOT_WINDOW_MS) st = { connections: [], hosts: new Map(), fired: false, last: t };
    if (t > st.last) st.last = t;
    if (s.instances.size >= s.max) {
      const oldest = s.instances.keys().next();
      if (!oldest.done) {
        s.instances.delete(oldest.value);
        s.counters.evicted++;
      }
    }
    s.instances.set(key, st);

    let count = 1;
    let firstSeen: number | undefined;
    let hosts: number | undefined;
    if (!st.fired) {
      if (t < st.last - SPAMBOT_WINDOW_MS) {
        s.counters.lateConnections++;
        return undefined;
      }
      insert(st, t, remote);
      const from = st.last - SPAMBOT_WINDOW_MS;
      while (st.connections.length > 0 && (st.connections[0]!.t < from || st.connections.length > SPAMBOT_MAX_CONNECTIONS_PER_INSTANCE)) {
        if (st.connections[0]!.t >= from) s.counters.droppedConnections++;
        drop(st);
      }
      if (st.hosts.size < SPAMBOT_MIN_HOSTS) return undefined;
      count = st.connections.length;
      firstSeen = st.connections[0]!.t;
      hosts = st.hosts.size;
      st.connections = [];
      st.hosts = new Map();
      st.fired = true;
    }

    const who = instanceText(r, instanceId);
    const hit: Hit = {
      type: this.meta.findingType,
      severity: this.meta.severity,
      ...flowHitBase(r),
      key: [key],
      resource: instanceResource(r, instanceId, sides.local),
      action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: networkConnectionAction(r, sides) },
      resourceRole: 'ACTOR',
      title: `${who.name} is communicating with remote hosts on port 25.`,
      description: `${who.name} is exhibiting unusual behavior by communicating with remote hosts on port 25 (SMTP)${hosts ? `: ${hosts} distinct hosts within ${SPAMBOT_WINDOW_MS / 60_000} minutes` : ''}, the latest ${remote}. Port 25 is used by mail servers: unless the instance is one (detectors.mailServers lists those), it may be compromised and sending spam.`,
      additionalInfo: {
        ...who.note,
        spambot: { minDistinctHosts: SPAMBOT_MIN_HOSTS, windowSeconds: SPAMBOT_WINDOW_MS / 1000, ...(hosts ? { distinctHosts: hosts } : {}) },
      },
      count,
    };
    if (firstSeen !== undefined) hit.firstSeen = firstSeen;
    return hit;
  },

  cases: cases(),
};

function insert(st: InstanceState, t: number, remote: string): void {
  let i = st.connections.length;
  while (i > 0 && st.connections[i - 1]!.t > t) i--;
  st.connections.splice(i, 0, { t, remote });
  st.hosts.set(remote, (st.hosts.get(remote) ?? 0) + 1);
}

function drop(st: InstanceState): void {
  const c = st.connections.shift()!;
  const n = (st.hosts.get(c.remote) ?? 1) - 1;
  if (n > 0) st.hosts.set(c.remote, n);
  else st.hosts.delete(c.remote);
}

/** Expires a few of the least recently active instances when they have been quiet on port 25 for a whole window. */
function sweep(s: SpambotState): void {
  let n = 0;
  for (const [key, st] of s.instances) {
    if (n++ >= 4 || st.last >= s.now - SPAMBOT_WINDOW_MS) return;
    s.instances.delete(key);
    s.counters.expired++;
  }
}

function cases(): LogCase[] {
  const eni = 'eni-0123456789abcdef0';
  const line = (src: string, dst: string, sport: number, dport: number, end: number, action = 'ACCEPT') =>
    `2 111122223333 ${eni} ${src} ${dst} ${sport} ${dport} 6 14 1830 ${end - 20} ${end} ${action} OK`;
  const t0 = 1615225630;
  const instance = '10.0.0.12';
  const sender = 'i-0fedcba9876543210';
  /** `hosts` distinct remote hosts (198.51.100.1...), `perHost` connections to each, host i first seen at i * `stepSeconds`. */
  const smtp = (hosts: number, perHost: number, stepSeconds: number, o: { port?: number; inbound?: boolean; action?: string } = {}) => {
    const lines: string[] = [];
    for (let h = 0; h < hosts; h++)
      for (let c = 0; c < perHost; c++) {
        const end = t0 + h * stepSeconds + c * 30;
        const remote = `198.51.100.${h + 1}`;
        const sport = 40000 + h * 10 + c;
        lines.push(o.inbound ? line(remote, instance, sport, o.port ?? SMTP_PORT, end) : line(instance, remote, sport, o.port ?? SMTP_PORT, end, o.action));
      }
    return lines;
  };
  return [
    {
      name: `${SPAMBOT_MIN_HOSTS} distinct hosts on port 25 within 45 minutes (the threshold), 3 connections each`,
      lines: smtp(SPAMBOT_MIN_HOSTS, 3, 300),
      settings: { interfaces: { [eni]: 'i-0fedcba9876543210' } },
      expect: 1,
    },
    {
      name: '40 hosts, rejected by a network ACL: one finding (blocked)',
      lines: smtp(40, 1, 20, { action: 'REJECT' }),
      expect: 1,
    },
    { name: `one host below the threshold: ${SPAMBOT_MIN_HOSTS - 1} hosts, 3 connections each`, lines: smtp(SPAMBOT_MIN_HOSTS - 1, 3, 300), expect: 0 },
    {
      name: `${SPAMBOT_MIN_HOSTS} hosts over two and a quarter hours (15 minutes apart): never ${SPAMBOT_MIN_HOSTS} in one hour`,
      lines: smtp(SPAMBOT_MIN_HOSTS, 3, 900),
      expect: 0,
    },
    { name: 'the instance receives SMTP from 30 hosts (it is the server)', lines: smtp(30, 1, 20, { inbound: true }), expect: 0 },
    { name: 'submission port 587 to 30 hosts', lines: smtp(30, 1, 20, { port: 587 }), expect: 0 },
    {
      name: 'an internal relay (private destinations) is not a remote host',
      lines: Array.from({ length: 30 }, (_, i) => line(instance, `10.0.5.${i + 1}`, 40000 + i, SMTP_PORT, t0 + i * 20)),
      expect: 0,
    },
    {
      name: `one of the ${SPAMBOT_MIN_HOSTS} hosts is trusted: ${SPAMBOT_MIN_HOSTS - 1} remain`,
      lines: smtp(SPAMBOT_MIN_HOSTS, 3, 300),
      trustedList: ['198.51.100.1'],
      expect: 0,
    },
    {
      name: 'the instance is an allowed mail server (detectors.mailServers.instances): 40 hosts, no finding',
      lines: smtp(40, 1, 20),
      settings: { interfaces: { [eni]: sender }, mailServers: { instances: [sender] } },
      expect: 0,
    },
    {
      name: 'another instance is the allowed mail server: this one still raises the finding',
      lines: smtp(40, 1, 20),
      settings: { interfaces: { [eni]: sender }, mailServers: { instances: ['i-0aaaabbbbccccdddd'] } },
      expect: 1,
    },
    {
      name: `one of the ${SPAMBOT_MIN_HOSTS} hosts is an allowed relay (detectors.mailServers.destinations): ${SPAMBOT_MIN_HOSTS - 1} remain`,
      lines: smtp(SPAMBOT_MIN_HOSTS, 3, 300),
      settings: { mailServers: { destinations: ['198.51.100.1'] } },
      expect: 0,
    },
    {
      name: `${SPAMBOT_MIN_HOSTS + 1} hosts, one an allowed relay: ${SPAMBOT_MIN_HOSTS} remain (the threshold)`,
      lines: smtp(SPAMBOT_MIN_HOSTS + 1, 3, 240),
      settings: { mailServers: { destinations: ['198.51.100.11/32'] } },
      expect: 1,
    },
    {
      name: 'the relays are a CIDR (SES endpoints, a smarthost pool) covering all 40 hosts',
      lines: smtp(40, 1, 20),
      settings: { mailServers: { destinations: ['198.51.100.0/26', '2001:db8::/32'] } },
      expect: 0,
    },
    {
      name: 'allowed relays elsewhere (another network): 40 hosts still count',
      lines: smtp(40, 1, 20),
      settings: { mailServers: { instances: [], destinations: ['203.0.113.0/24'] } },
      expect: 1,
    },
  ];
}
