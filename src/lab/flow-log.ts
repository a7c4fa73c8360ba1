import { createHash, randomBytes } from 'node:crypto';
import { parseIp } from '../core/ip.js';
import { DEFAULT_FLOW_FIELDS } from '../parsers/vpc-flow.js';
import { checkSegment, datePath, GzipDelivery, LabLogError, stamp } from './log-delivery.js';
import type { LabFlow } from './types.js';

/**
 * The lab's VPC Flow Logs: connections the scenario runner reports become flow-log records, delivered as S3 delivers a
 * flow log's files: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDD>T<HHmm>Z_<hash>.log.gz`,
 * gzip, the format's header line first (S3 delivery always writes it; CloudWatch Logs deliveries have none), then one
 * space-separated line per record, `-` for a field without a value. One writer is one flow log: one account, one
 * region, one format.
 */

export interface FlowLogWriterOptions {
  bucketDir: string;
  accountId: string;
  region: string;
  /** Flush this many ms after the first buffered record (default 5000); 0 = only on flush(). */
  flushMs?: number;
  /**
   * `default`: AWS's default format (version 2, 14 fields). `with-instance`: a custom format that adds `vpc-id
   * subnet-id instance-id type pkt-srcaddr pkt-dstaddr` (version 3 fields; AWS writes the highest version among the
   * format's fields, 3, in the version column).
   */
  format?: 'default' | 'with-instance';
  clock?: () => Date;
  /** The flow log's id (`fl-` + 17 hex digits); default: derived from the account and region, stable across runs. */
  flowLogId?: string;
  /** Where files are written before the rename (default: `.<bucket dir name>.partial` beside the bucket dir). */
  tmpDir?: string;
  /** Errors of timer-driven deliveries (default: a process warning). The records stay buffered for the next one. */
  onError?: (err: LabLogError) => void;
}

/** AWS's default format, in its order (the parser's definition). */
export const DEFAULT_FLOW_FORMAT: readonly string[] = DEFAULT_FLOW_FIELDS;

/** The `with-instance` custom format: the default fields, then where the interface is and whose it is. */
export const WITH_INSTANCE_FLOW_FORMAT: readonly string[] = [
  ...DEFAULT_FLOW_FORMAT,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
];

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z0-9-]{1,64}$/;
const FLOW_LOG_ID = /^fl-[0-9a-f]{8,17}$/;
/** Resource ids and other single-token fields: no spaces, printable ASCII. */
const TOKEN = /^[\x21-\x7e]{1,128}$/;

export class FlowLogWriter {
  readonly #delivery: GzipDelivery<string>;
  readonly #o: FlowLogWriterOptions;
  readonly #format: 'default' | 'with-instance';
  readonly flowLogId: string;

  constructor(o: FlowLogWriterOptions) {
    checkSegment('flow log writer: accountId', o.accountId, ACCOUNT);
    checkSegment('flow log writer: region', o.region, REGION);
    const format = o.format ?? 'default';
    if (format !== 'default' && format !== 'with-instance')
      throw new LabLogError(`flow log writer: format is ${JSON.stringify(format)}: expected default or with-instance`);
    this.flowLogId = o.flowLogId === undefined ? flowLogIdFor(o.accountId, o.region) : checkSegment('flow log writer: flowLogId', o.flowLogId, FLOW_LOG_ID);
    this.#o = o;
    this.#format = format;
    const header = (format === 'default' ? DEFAULT_FLOW_FORMAT : WITH_INSTANCE_FLOW_FORMAT).join(' ');
    this.#delivery = new GzipDelivery<string>({
      what: 'flow log',
      bucketDir: o.bucketDir,
      tmpDir: o.tmpDir,
      flushMs: o.flushMs ?? 5000,
      clock: o.clock ?? (() => new Date()),
      onError: o.onError,
      render: (_group, lines, now) => ({
        key: flowLogObjectKey(o.accountId, o.region, this.flowLogId, now, randomBytes(4).toString('hex')),
        text: `${header}\n${lines.join('\n')}\n`,
      }),
    });
  }

  /** Buffers one connection's record; throws `LabLogError` for a flow this flow log cannot have or a bad value. */
  record(f: LabFlow): void {
    if (this.#delivery.closed) throw new LabLogError('flow log writer is closed: no record can be added');
    if (f.accountId !== this.#o.accountId || f.region !== this.#o.region) {
      throw new LabLogError(
        `flow log writer: the flow of ${JSON.stringify(f.interfaceId)} is in ${JSON.stringify(f.accountId)}/${JSON.stringify(f.region)}; this flow log is ${this.#o.accountId}/${this.#o.region}`,
      );
    }
    this.#delivery.add('', toFlowLogLine(f, this.#format));
  }

  /** Writes what is buffered now; resolves with the relative keys written once the files are complete. */
  flush(): Promise<string[]> {
    return this.#delivery.flush();
  }

  /** Stops the timer and flushes; `record` throws afterwards. */
  close(): Promise<void> {
    return this.#delivery.close();
  }

  /** Records written in delivered files. */
  get written(): number {
    return this.#delivery.written;
  }

  /** Records buffered, not yet delivered. */
  get pending(): number {
    return this.#delivery.pending;
  }
}

/** The S3 key of a flow log's file delivered at `at`. */
export function flowLogObjectKey(accountId: string, region: string, flowLogId: string, at: Date, hash: string): string {
  return `AWSLogs/${accountId}/vpcflowlogs/${region}/${datePath(at)}/${accountId}_vpcflowlogs_${region}_${flowLogId}_${stamp(at)}_${hash}.log.gz`;
}

/** A stable flow-log id for the lab's account and region: `fl-` and 17 hex digits, as AWS's ids. */
export function flowLogIdFor(accountId: string, region: string): string {
  return `fl-${createHash('sha256').update(`trailhound-lab-flow-log:${accountId}:${region}`).digest('hex').slice(0, 17)}`;
}

const MAX_SECONDS = 4102444800; // 2100-01-01

/**
 * One record line in the given format. Times are Unix seconds (start rounded down, end rounded down, as AWS's
 * capture window). ICMP (1) and ICMPv6 (58) have no ports: AWS writes 0 for both, whatever the flow says.
 */
export function toFlowLogLine(f: LabFlow, format: 'default' | 'with-instance' = 'default'): string {
  const where = `flow ${JSON.stringify(f?.interfaceId)}`;
  if (typeof f !== 'object' || f === null) throw new LabLogError('flow log: the flow is not an object');
  checkSegment(`${where}: accountId`, f.accountId, ACCOUNT);
  checkSegment(`${where}: interfaceId`, f.interfaceId, TOKEN);
  const src = typeof f.srcAddr === 'string' ? parseIp(f.srcAddr) : undefined;
  const dst = typeof f.dstAddr === 'string' ? parseIp(f.dstAddr) : undefined;
  if (!src) throw new LabLogError(`${where}: srcAddr ${JSON.stringify(f.srcAddr)} is not an IPv4 or IPv6 address`);
  if (!dst) throw new LabLogError(`${where}: dstAddr ${JSON.stringify(f.dstAddr)} is not an IPv4 or IPv6 address`);
  if (src.v !== dst.v) throw new LabLogError(`${where}: srcAddr and dstAddr are of different IP versions`);
  const protocol = int(where, 'protocol', f.protocol, 255);
  const icmp = protocol === 1 || protocol === 58;
  const srcport = icmp ? 0 : int(where, 'srcPort', f.srcPort, 65535);
  const dstport = icmp ? 0 : int(where, 'dstPort', f.dstPort, 65535);
  const packets = int(where, 'packets', f.packets, Number.MAX_SAFE_INTEGER);
  const bytes = int(where, 'bytes', f.bytes, Number.MAX_SAFE_INTEGER);
  const start = seconds(where, 'start', f.start);
  const end = seconds(where, 'end', f.end);
  if (start > end) throw new LabLogError(`${where}: start is after end`);
  if (f.action !== 'ACCEPT' && f.action !== 'REJECT') throw new LabLogError(`${where}: action is ${JSON.stringify(f.action)}: expected ACCEPT or REJECT`);
  const cols: (string | number)[] = [
    format === 'default' ? 2 : 3,
    f.accountId,
    f.interfaceId,
    f.srcAddr,
    f.dstAddr,
    srcport,
    dstport,
    protocol,
    packets,
    bytes,
    start,
    end,
    f.action,
    'OK',
  ];
  if (format === 'with-instance') {
    cols.push(
      optional(where, 'vpcId', f.vpcId),
      optional(where, 'subnetId', f.subnetId),
      optional(where, 'instanceId', f.instanceId),
      src.v === 4 ? 'IPv4' : 'IPv6',
      // The lab has no NAT between the interface and the packet: the packet's addresses are the connection's.
      f.srcAddr,
      f.dstAddr,
    );
  }
  return cols.join(' ');
}

function int(where: string, name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new LabLogError(`${where}: ${name} is ${JSON.stringify(v)}: expected an integer from 0 to ${max}`);
  return v;
}

function seconds(where: string, name: string, d: unknown): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new LabLogError(`${where}: ${name} is not a valid Date`);
  const s = Math.floor(d.getTime() / 1000);
  if (s < 0 || s > MAX_SECONDS) throw new LabLogError(`${where}: ${name} ${d.toISOString()} is outside 1970..2100`);
  return s;
}

function optional(where: string, name: string, v: string | undefined): string {
  if (v === undefined || v === '') return '-';
  return checkSegment(`${where}: ${name}`, v, TOKEN);
}
