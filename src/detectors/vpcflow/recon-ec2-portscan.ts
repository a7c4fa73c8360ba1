import { SEVERITY } from '../../core/finding.js';
import { formatIp, type Ip, isNonPublic } from '../../core/ip.js';
import type { FlowRecord } from '../../core/network.js';
import { flowHitBase, flowInstance, flowSides, instanceResource, instanceText, networkConnectionAction } from '../network-common.js';
import type { FlowDetector, Hit } from '../types.js';

/**
 * Recon:EC2/Portscan: an instance tries to connect to many ports of one remote host in a short time.
 *
 * - **Attempt**: an outbound TCP or UDP flow record, accepted or rejected, that opens a connection rather than answers
 *   one (see `isAttempt`). The instance is the source: `flow-direction` `egress` when the log has it, else a
 *   non-public source address (RFC 1918, ULA, ...). Both ends non-public without `flow-direction` (traffic between
 *   two instances, logged on both interfaces) is resolved with the interface's own address, learned from its records
 *   that have a public other end; not known yet, the source is taken as the instance's.
 * - **Window and threshold**: `PORTSCAN_THRESHOLD` distinct destination ports (TCP and UDP ports count apart) of one
 *   remote host within `PORTSCAN_WINDOW_MS`, by event time (the record's `end`). A window starts at the first attempt
 *   of an (instance, remote host) pair and closes once an attempt would make it span more than the window; the next
 *   attempt starts a new one.
 * - **Aggregation**: one finding per instance (or network interface when the instance is unknown) and remote host.
 *   The attempt that reaches the threshold makes the hit, with `count` = the attempts of the window so far and
 *   `eventFirstSeen` = the window's first; every later attempt in that window adds 1 to `count`. A later window that
 *   crosses the threshold again updates the same finding.
 * - **Memory**: at most `SCAN_MAX_TRACKED` open windows (expired ones are dropped as time advances; when full, the
 *   oldest is evicted and counted), each holding at most `SCAN_MAX_DISTINCT` ports.
 */
export const PORTSCAN_WINDOW_MS = 10 * 60_000;
export const PORTSCAN_THRESHOLD = 25;
/** Open windows kept per detector (each (instance, remote host) pair being watched). */
export const SCAN_MAX_TRACKED = 20_000;
/** Distinct ports (or hosts) remembered per window: the threshold is below it; past it only `count` grows. */
export const SCAN_MAX_DISTINCT = 100;
/** Ports from here up are taken as client (ephemeral) ports when TCP flags are not logged. */
export const EPHEMERAL_MIN = 32768;

const TCP = 6;
const UDP = 17;
const SYN = 0x02;
const SYN_ACK = 0x12;

/** A map key for an address. */
export function ipKey(ip: Ip): string {
  return ip.v === 4 ? String(ip.n) : `6:${ip.n}`;
}

/**
 * Whether a TCP or UDP flow opens a connection (rather than answering one, or continuing one). With TCP flags
 * (version 3 and later): SYN without SYN-ACK. Without them (UDP, version 2): not a reply from a service port below
 * `EPHEMERAL_MIN` to a client port at or above it (a server's answers to one client go to many client ports).
 */
export function isAttempt(r: FlowRecord): boolean {
  if ((r.protocol !== TCP && r.protocol !== UDP) || r.dstport === undefined) return false;
  if (r.protocol === TCP && r.tcpFlags !== undefined) return (r.tcpFlags & SYN_ACK) === SYN;
  return !(r.srcport !== undefined && r.srcport < EPHEMERAL_MIN && r.dstport >= EPHEMERAL_MIN);
}

/** One (key) window of attempts. */
export interface ScanWindow {
  min: number;
  max: number;
  /** Attempts in the window. */
  records: number;
  /** Distinct ports or hosts (at most `SCAN_MAX_DISTINCT`). */
  seen: Set<string | number>;
  fired: boolean;
}

/**
 * Windows of attempts per key, by event time, bounded: expired windows at the head (the oldest started) are dropped
 * as records arrive; when `maxKeys` are open, the oldest is evicted (`evicted`). A record older than its key's open
 * window by more than the window length is dropped (`late`).
 */
export class WindowCounter {
  readonly windows = new Map<string, ScanWindow>();
  evicted = 0;
  late = 0;
  crossings = 0;
  /** Windows in the order they were opened (with stale entries skipped lazily), for expiry and eviction. */
  private order: Array<{ key: string; w: ScanWindow }> = [];
  private head = 0;

  constructor(
    readonly windowMs: number,
    readonly threshold: number,
    readonly maxKeys = SCAN_MAX_TRACKED,
    readonly maxDistinct = SCAN_MAX_DISTINCT,
  ) {}

  /**
   * Counts `item` into `key`'s window at time `t`. `crossed` on the attempt that reaches the threshold; `fired` for
   * every attempt of a window that has reached it; `undefined` otherwise.
   */
  add(key: string, item: string | number, t: number): { w: ScanWindow; crossed: boolean } | undefined {
    this.expire(t, false);
    let w = this.windows.get(key);
    if (w && Math.max(w.max, t) - Math.min(w.min, t) > this.windowMs) {
      if (t < w.min) {
        this.late++;
        return undefined;
      }
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= this.maxKeys) this.expire(t, true);
      w = { min: t, max: t, records: 0, seen: new Set(), fired: false };
      this.windows.set(key, w);
      this.order.push({ key, w });
    }
    if (t < w.min) w.min = t;
    if (t > w.max) w.max = t;
    w.records++;
    if (w.seen.size < this.maxDistinct) w.seen.add(item);
    if (w.fired) return { w, crossed: false };
    if (w.seen.size < this.threshold) return undefined;
    w.fired = true;
    this.crossings++;
    return { w, crossed: true };
  }

  /**
   * Drops windows from the oldest-opened end of `order`: those that can take no more records (opened more than a
   * window before `t`), or, with `evictOne`, the oldest live one. Entries whose window was replaced or deleted are
   * skipped. A queue and not the Map's own order: V8 keeps deleted Map entries as holes until it rehashes, so
   * reading a Map's first entry after deleting at its head walks the holes (this detector ran 40 times slower).
   */
  private expire(t: number, evictOne: boolean): void {
    const order = this.order;
    while (this.head < order.length) {
      const e = order[this.head] as { key: string; w: ScanWindow };
      if (this.windows.get(e.key) !== e.w) {
        this.head++;
        continue;
      }
      if (t - e.w.min > this.windowMs) {
        this.windows.delete(e.key);
        this.head++;
        continue;
      }
      if (evictOne) {
        this.windows.delete(e.key);
        this.head++;
        this.evicted++;
      }
      break;
    }
    if (this.head > 4096 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
  }

  stats(): Record<string, number> {
    return { openWindows: this.windows.size, thresholdCrossings: this.crossings, evictedWindows: this.evicted, lateRecords: this.late };
  }
}

/** Interface id -> its own address, learned from records with one public end (bounded like the windows). */
export class InterfaceAddresses {
  readonly map = new Map<string, string>();
  evicted = 0;
  constructor(readonly max = SCAN_MAX_TRACKED) {}

  learn(eni: string, ip: Ip): void {
    const k = ipKey(ip);
    if (this.map.get(eni) === k) return;
    if (!this.map.has(eni) && this.map.size >= this.max) {
      this.map.delete(this.map.keys().next().value as string);
      this.evicted++;
    }
    this.map.set(eni, k);
  }
}

/**
 * Whether the record's source is the instance (the flow is outbound). `flow-direction` decides when logged; else the
 * source must be non-public, and when the destination is non-public too, not the interface's learned address.
 */
export function sourceIsLocal(r: FlowRecord, src: Ip, dst: Ip, own?: InterfaceAddresses): boolean {
  if (r.flowDirection) return r.flowDirection === 'egress';
  const srcPrivate = isNonPublic(src);
  const dstPrivate = isNonPublic(dst);
  if (srcPrivate !== dstPrivate) {
    own?.learn(r.interfaceId, srcPrivate ? src : dst);
    return srcPrivate;
  }
  if (!srcPrivate) return false;
  return own?.map.get(r.interfaceId) !== ipKey(dst);
}

export interface PortscanState {
  windows: WindowCounter;
  own: InterfaceAddresses;
}

/** A fresh state; the caps can be lowered (tests). */
export function portscanState(maxKeys = SCAN_MAX_TRACKED): PortscanState {
  return { windows: new WindowCounter(PORTSCAN_WINDOW_MS, PORTSCAN_THRESHOLD, maxKeys), own: new InterfaceAddresses(maxKeys) };
}

const T0 = 1615225690;
const INSTANCE = '10.0.0.12';
const TARGET = '198.51.100.7';
const INVENTORY = { interfaces: { 'eni-0123456789abcdef0': 'i-0fedcba9876543210' } };
const HEADER_V5 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction';

/** A version-2 line (or version 5 with `flow-direction` after the header above); `t` is seconds after T0. */
const line = (o: { src: string; dst: string; sport: number; dport: number; t?: number; proto?: number; action?: string; packets?: number; dir?: string }) =>
  `${o.dir ? 5 : 2} 111122223333 eni-0123456789abcdef0 ${o.src} ${o.dst} ${o.sport} ${o.dport} ${o.proto ?? TCP} ${o.packets ?? 1} ${(o.packets ?? 1) * 44} ${T0 + (o.t ?? 0) - 10} ${T0 + (o.t ?? 0)} ${o.action ?? 'REJECT'} OK${o.dir ? ` ${o.dir}` : ''}`;

/** `n` attempts from `src` to ports 1..n of `dst`, `gap` seconds apart. */
const scan = (n: number, gap: number, src = INSTANCE, dst = TARGET, dir?: string) =>
  Array.from({ length: n }, (_, i) =>
    line({ src, dst, sport: 40000 + i, dport: i + 1, t: i * gap, action: i % 2 ? 'ACCEPT' : 'REJECT', ...(dir ? { dir } : {}) }),
  );

export const detector: FlowDetector<PortscanState> = {
  meta: {
    id: 'recon-ec2-portscan',
    findingType: 'Recon:EC2/Portscan',
    severity: SEVERITY.Medium,
    dataSource: 'VPC Flow Logs',
    summary: `An EC2 instance is trying to connect to ${PORTSCAN_THRESHOLD} or more ports of one remote host within ${PORTSCAN_WINDOW_MS / 60_000} minutes (an outbound port scan).`,
    aggregation: 'instance (or network interface when the instance is unknown) + remote host',
  },

  createState: () => portscanState(),

  evaluate(r, ctx, state): Hit | undefined {
    if (!r.srcaddr || !r.dstaddr || !isAttempt(r)) return undefined;
    if (!sourceIsLocal(r, r.srcaddr, r.dstaddr, state.own)) return undefined;
    const instanceId = flowInstance(r, ctx);
    const owner = instanceId ?? r.interfaceId;
    const remote = formatIp(r.dstaddr);
    const port = r.protocol === UDP ? 65536 + (r.dstport as number) : (r.dstport as number);
    const got = state.windows.add(`${owner}|${ipKey(r.dstaddr)}`, port, r.time);
    if (!got) return undefined;
    const sides = flowSides(r, true);
    if (!sides) return undefined;
    const who = instanceText(r, instanceId);
    return {
      type: this.meta.findingType,
      severity: this.meta.severity,
      ...flowHitBase(r),
      key: [owner, remote],
      resource: instanceResource(r, instanceId, sides.local),
      action: { actionType: 'NETWORK_CONNECTION', networkConnectionAction: networkConnectionAction(r, sides) },
      resourceRole: 'ACTOR',
      additionalInfo: {
        ...who.note,
        scannedPorts: got.w.seen.size,
        ...(got.w.seen.size >= SCAN_MAX_DISTINCT ? { scannedPortsCapped: true } : {}),
        windowMinutes: PORTSCAN_WINDOW_MS / 60_000,
        threshold: PORTSCAN_THRESHOLD,
      },
      ...(got.crossed ? { count: got.w.records, firstSeen: got.w.min } : {}),
      title: `Outbound portscan from ${who.name}.`,
      description: `${who.name} is performing outbound port scans against remote host ${remote}: ${got.w.seen.size} distinct ports within ${PORTSCAN_WINDOW_MS / 60_000} minutes.`,
    };
  },

  stats: (state) => ({ ...state.windows.stats(), evictedInterfaceAddresses: state.own.evicted }),

  cases: [
    {
      name: `${PORTSCAN_THRESHOLD} distinct ports of one host in 4 minutes (accepted and rejected): one finding`,
      lines: scan(PORTSCAN_THRESHOLD, 10),
      settings: INVENTORY,
      expect: 1,
    },
    {
      name: 'the scan goes on past the threshold: still one finding, its count grows',
      lines: scan(PORTSCAN_THRESHOLD + 5, 10),
      expect: 1,
    },
    { name: `${PORTSCAN_THRESHOLD - 1} distinct ports: below the threshold`, lines: scan(PORTSCAN_THRESHOLD - 1, 10), expect: 0 },
    {
      name: `${PORTSCAN_THRESHOLD} ports spread over 12 minutes (more than the window)`,
      lines: scan(PORTSCAN_THRESHOLD, 30),
      expect: 0,
    },
    {
      name: 'the same port attempted many times is not a scan',
      lines: Array.from({ length: 40 }, (_, i) => line({ src: INSTANCE, dst: TARGET, sport: 40000 + i, dport: 22, t: i })),
      expect: 0,
    },
    { name: 'inbound: a public host scans the instance', lines: scan(PORTSCAN_THRESHOLD, 5, TARGET, INSTANCE), expect: 0 },
    {
      name: 'flow-direction ingress: a private host scans the instance',
      lines: [HEADER_V5, ...scan(PORTSCAN_THRESHOLD, 5, '10.0.0.99', INSTANCE, 'ingress')],
      expect: 0,
    },
    {
      name: 'flow-direction egress: an IPv6 (public) instance address scans a host',
      lines: [HEADER_V5, ...scan(PORTSCAN_THRESHOLD, 5, '2001:db8:1::12', '2001:db8:ffff::7', 'egress')],
      expect: 1,
    },
    {
      name: 'a web server answering one busy client on many client ports is not scanning it',
      lines: Array.from({ length: 40 }, (_, i) => line({ src: INSTANCE, dst: TARGET, sport: 443, dport: 50000 + i, t: i, action: 'ACCEPT', packets: 12 })),
      expect: 0,
    },
    {
      name: 'between two private hosts, logged on the target: the interface address learned from its internet traffic',
      lines: [line({ src: INSTANCE, dst: TARGET, sport: 40000, dport: 443 }), ...scan(PORTSCAN_THRESHOLD, 5, '10.0.0.99', INSTANCE)],
      expect: 0,
    },
    {
      name: 'between two private hosts, logged on the scanner',
      lines: [line({ src: INSTANCE, dst: TARGET, sport: 40000, dport: 443 }), ...scan(PORTSCAN_THRESHOLD, 5, INSTANCE, '10.0.0.99')],
      expect: 1,
    },
    { name: 'the scanned host is trusted', lines: scan(PORTSCAN_THRESHOLD, 10), trustedList: [TARGET], expect: 0 },
  ],
};
