import { SEVERITY } from '../../core/finding.js';
import { formatIp, isNonPublic } from '../../core/ip.js';
import type { FlowRecord } from '../../core/network.js';
import { flowHitBase, flowInstance, flowSides, instanceResource, instanceText, networkConnectionAction } from '../network-common.js';
import type { FlowDetector, Hit, LogCase } from '../types.js';

/**
 * Shared logic of `UnauthorizedAccess:EC2/SSHBruteForce` (port 22) and `UnauthorizedAccess:EC2/RDPBruteForce`
 * (port 3389): one function, two thin modules.
 *
 * An attempt is one flow record of a TCP connection from a client to the service port (`dstport` = the port; the
 * server's replies, whose source port is the service port, are not counted again) with at most
 * `BRUTE_FORCE_MAX_PACKETS` packets (a short-lived connection: a failed login or a refused handshake; a real session
 * moves more packets), accepted or rejected. Brute force client tools open a new connection, hence a new source port
 * and a new flow record, per guess. Records without a `packets` field are not judged.
 *
 * `BRUTE_FORCE_THRESHOLD` attempts or more between one remote address and the instance's port within
 * `BRUTE_FORCE_WINDOW_MS` (event time, `end` of each record) make a finding: one per instance (or network interface
 * when the instance is unknown), remote address and direction. The instance is the TARGET (inbound, severity Low)
 * or the ACTOR (outbound: it attacks the remote host, severity High). Once over the threshold, every further attempt
 * counts into the same finding until the remote address has been quiet for a whole window; `count` is the attempts
 * so aggregated (the ones in the window that crossed the threshold, then one per attempt).
 */
export const BRUTE_FORCE_WINDOW_MS = 10 * 60_000;
export const BRUTE_FORCE_THRESHOLD = 20;
export const BRUTE_FORCE_MAX_PACKETS = 20;
/** Cap on tracked (instance, remote address, direction) keys; the least recently active is evicted beyond it. */
export const BRUTE_FORCE_MAX_KEYS = 50_000;

/**
 * Which address of a flow record is the instance's: `flow-direction` when the format has it (v5: `egress` = the
 * source, `ingress` = the destination), else the one non-public address when exactly one of the two is non-public
 * (RFC 1918, CGNAT, link-local, unique-local ...; `src/core/ip.ts` `isNonPublic`). `undefined` when undecidable:
 * both public (an IPv6 instance without `flow-direction`) or both private (traffic inside the VPC, or between
 * networks joined by peering, VPN or Direct Connect).
 */
export function localSide(r: FlowRecord): 'src' | 'dst' | undefined {
  if (r.flowDirection === 'egress') return 'src';
  if (r.flowDirection === 'ingress') return 'dst';
  if (!r.srcaddr || !r.dstaddr) return undefined;
  const srcLocal = isNonPublic(r.srcaddr);
  const dstLocal = isNonPublic(r.dstaddr);
  if (srcLocal === dstLocal) return undefined;
  return srcLocal ? 'src' : 'dst';
}

interface KeyState {
  /** Event times of the attempts in the current window, sorted; emptied once the key is over the threshold. */
  times: number[];
  fired: boolean;
  /** The latest attempt's time. */
  last: number;
}

export interface BruteForceState {
  /** By instance | remote | direction, least recently active first (re-inserted on every attempt). */
  keys: Map<string, KeyState>;
  /** The latest event time seen: keys quiet for a whole window before it expire. */
  now: number;
  counters: { attempts: number; undecidedDirection: number; lateAttempts: number; expiredKeys: number; evictedKeys: number };
}

export interface BruteForceSpec {
  id: string;
  findingType: string;
  port: number;
  /** `SSH` or `RDP`, for titles. */
  service: string;
  summary: string;
  cases: LogCase[];
}

/** How many least-recently-active keys one record may expire: amortised cleanup without a timer. */
const SWEEP_PER_RECORD = 4;

export function bruteForceDetector(spec: BruteForceSpec): FlowDetector<BruteForceState> {
  return {
    meta: {
      id: spec.id,
      findingType: spec.findingType,
      severity: SEVERITY.Low,
      dataSource: 'VPC Flow Logs',
      summary: spec.summary,
      aggregation: 'instance (or network interface when the instance is unknown) + remote address + direction (INBOUND: TARGET, Low; OUTBOUND: ACTOR, High)',
    },

    createState: () => ({
      keys: new Map(),
      now: Number.NEGATIVE_INFINITY,
      counters: { attempts: 0, undecidedDirection: 0, lateAttempts: 0, expiredKeys: 0, evictedKeys: 0 },
    }),

    stats: (s) => ({ ...s.counters, trackedKeys: s.keys.size }),

    evaluate(r, ctx, s) {
      if (r.protocol !== 6 || r.dstport !== spec.port || r.packets === undefined || r.packets > BRUTE_FORCE_MAX_PACKETS) return undefined;
      const side = localSide(r);
      if (!side) {
        s.counters.undecidedDirection++;
        return undefined;
      }
      const sides = flowSides(r, side === 'src');
      if (!sides) return undefined;
      s.counters.attempts++;
      const t = r.time;
      if (t > s.now) s.now = t;
      sweep(s);

      const instanceId = flowInstance(r, ctx);
      const remote = formatIp(sides.remote);
      const key = [instanceId ?? r.interfaceId, remote, sides.direction];
      const mapKey = key.join('|');
      let k = s.keys.get(mapKey);
      if (k) s.keys.delete(mapKey);
      // A key quiet for a whole window starts over (a new burst must reach the threshold again).
      if (!k || t > k.last + BRUTE_FORCE_WINDOW_MS) k = { times: [], fired: false, last: t };
      if (t > k.last) k.last = t;
      remember(s, mapKey, k);

      let count: number;
      let firstSeen: number | undefined;
      if (k.fired) {
        count = 1;
      } else {
        if (t < k.last - BRUTE_FORCE_WINDOW_MS) {
          s.counters.lateAttempts++;
          return undefined;
        }
        insertSorted(k.times, t);
        const from = k.last - BRUTE_FORCE_WINDOW_MS;
        let drop = 0;
        while (drop < k.times.length && k.times[drop]! < from) drop++;
        if (drop > 0) k.times.splice(0, drop);
        if (k.times.length < BRUTE_FORCE_THRESHOLD) return undefined;
        count = k.times.length;
        firstSeen = k.times[0]!;
        k.times = [];
        k.fired = true;
      }

      const inbound = sides.direction === 'INBOUND';
      const who = instanceText(r, instanceId);
      const instance = instanceId ?? `the EC2 instance behind network interface ${r.interfaceId}`;
      const hit: Hit = {
        type: spec.findingType,
        severity: inbound ? SEVERITY.Low : SEVERITY.High,
        ...flowHitBase(r),
        key,
        resource: instanceResource(r, instanceId, sides.local),
        action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: networkConnectionAction(r, sides) },
        resourceRole: inbound ? 'TARGET' : 'ACTOR',
        title: inbound
          ? `${remote} is performing ${spec.service} brute force attacks against ${instance}.`
          : `${instance} is performing ${spec.service} brute force attacks against ${remote}.`,
        description: inbound
          ? `${remote} is performing ${spec.service} brute force attacks against ${instance}. Brute force attacks are used to gain unauthorized access to your instance by guessing the ${spec.service} password.`
          : `${who.name} is performing ${spec.service} brute force attacks against ${remote} (port ${spec.port}): it is likely compromised and being used to guess ${spec.service} passwords of other hosts.`,
        additionalInfo: {
          ...who.note,
          bruteForce: {
            attemptThreshold: BRUTE_FORCE_THRESHOLD,
            windowSeconds: BRUTE_FORCE_WINDOW_MS / 1000,
            maxPacketsPerAttempt: BRUTE_FORCE_MAX_PACKETS,
          },
        },
        count,
      };
      if (firstSeen !== undefined) hit.firstSeen = firstSeen;
      return hit;
    },

    cases: spec.cases,
  };
}

function insertSorted(times: number[], t: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > t) i--;
  times.splice(i, 0, t);
}

/** Stores `k` as the most recently active key, evicting the least recently active one beyond the cap. */
function remember(s: BruteForceState, mapKey: string, k: KeyState): void {
  if (s.keys.size >= BRUTE_FORCE_MAX_KEYS) {
    const oldest = s.keys.keys().next();
    if (!oldest.done) {
      s.keys.delete(oldest.value);
      s.counters.evictedKeys++;
    }
  }
  s.keys.set(mapKey, k);
}

/** Expires a few of the least recently active keys when they have been quiet for a whole window. */
function sweep(s: BruteForceState): void {
  let n = 0;
  for (const [mapKey, k] of s.keys) {
    if (n++ >= SWEEP_PER_RECORD || k.last >= s.now - BRUTE_FORCE_WINDOW_MS) return;
    s.keys.delete(mapKey);
    s.counters.expiredKeys++;
  }
}

/**
 * Builds the flow-log lines of the brute-force cases: `n` attempts `stepSeconds` apart from `src` to `dst`:`port`
 * (version 2, default format; or version 5 with `flow-direction` when `direction` is given).
 */
export function attemptLines(o: {
  n: number;
  stepSeconds: number;
  src: string;
  dst: string;
  port: number;
  packets?: number;
  action?: 'ACCEPT' | 'REJECT';
  direction?: 'ingress' | 'egress';
  start?: number;
}): string[] {
  const t0 = o.start ?? 1615225630;
  const packets = o.packets ?? 12;
  const action = o.action ?? 'REJECT';
  const lines = o.direction ? [`${V2_HEADER} flow-direction`] : [];
  for (let i = 0; i < o.n; i++) {
    const end = t0 + i * o.stepSeconds;
    const fields = `111122223333 eni-0123456789abcdef0 ${o.src} ${o.dst} ${40000 + i} ${o.port} 6 ${packets} ${packets * 60} ${end - 5} ${end} ${action} OK`;
    lines.push(o.direction ? `5 ${fields} ${o.direction}` : `2 ${fields}`);
  }
  return lines;
}

const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** The standard cases of a brute-force detector on `port`. */
export function bruteForceCases(port: number, service: string): LogCase[] {
  const inventory = { interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' } };
  const attacker = '203.0.113.50';
  const instance = '10.0.0.12';
  const inbound = (n: number, stepSeconds: number, extra: Partial<Parameters<typeof attemptLines>[0]> = {}) =>
    attemptLines({ n, stepSeconds, src: attacker, dst: instance, port, ...extra });
  return [
    {
      name: `inbound: ${BRUTE_FORCE_THRESHOLD} rejected ${service} attempts from one address in 10 minutes (the threshold): TARGET, Low`,
      lines: inbound(BRUTE_FORCE_THRESHOLD, 30),
      settings: inventory,
      expect: 1,
    },
    {
      name: `inbound: 60 accepted short ${service} connections (failed logins) from one address: one finding`,
      lines: inbound(60, 5, { action: 'ACCEPT' }),
      expect: 1,
    },
    {
      name: `outbound: the instance makes ${BRUTE_FORCE_THRESHOLD} ${service} attempts against a remote host: ACTOR, High`,
      lines: attemptLines({ n: BRUTE_FORCE_THRESHOLD, stepSeconds: 20, src: instance, dst: '198.51.100.7', port, action: 'ACCEPT' }),
      settings: inventory,
      expect: 1,
    },
    {
      name: 'flow-direction decides the side when both addresses are private (v5): inbound from a peered network',
      lines: attemptLines({ n: BRUTE_FORCE_THRESHOLD, stepSeconds: 10, src: '172.16.5.9', dst: instance, port, direction: 'ingress' }),
      expect: 1,
    },
    {
      name: `one below the threshold: ${BRUTE_FORCE_THRESHOLD - 1} attempts`,
      lines: inbound(BRUTE_FORCE_THRESHOLD - 1, 30),
      expect: 0,
    },
    {
      name: `${BRUTE_FORCE_THRESHOLD} attempts spread over more than 10 minutes (40 s apart: 12 min 40 s)`,
      lines: inbound(BRUTE_FORCE_THRESHOLD, 40),
      expect: 0,
    },
    {
      name: `${BRUTE_FORCE_THRESHOLD} connections with many packets each (real sessions, not failed logins)`,
      lines: inbound(BRUTE_FORCE_THRESHOLD, 30, { packets: 400, action: 'ACCEPT' }),
      expect: 0,
    },
    {
      name: 'attempts from a trusted address',
      lines: inbound(BRUTE_FORCE_THRESHOLD * 2, 10),
      trustedList: [attacker],
      expect: 0,
    },
    {
      name: 'both addresses private and no flow-direction: the side is undecidable, not guessed',
      lines: attemptLines({ n: BRUTE_FORCE_THRESHOLD, stepSeconds: 10, src: '10.0.1.7', dst: instance, port }),
      expect: 0,
    },
    {
      name: `attempts on another port are not ${service}`,
      lines: inbound(BRUTE_FORCE_THRESHOLD, 10, { port: port === 22 ? 2222 : 3390 }),
      expect: 0,
    },
  ];
}
