import { InputError } from '../core/errors.js';
import { type Ip, parseIp } from '../core/ip.js';
import type { FlowAction, FlowRecord } from '../core/network.js';
import { cloudWatchMessages, contentId, quote, readJsonItems, stripIsoPrefix } from './sniff.js';

/**
 * VPC Flow Logs documents in, normalised `FlowRecord`s out.
 *
 * Accepted shapes, recognised from the content:
 * - the default format (version 2, 14 fields) without a header, and the all-fields layouts of later versions without
 *   a header (21, 25, 29, 39 or 40 fields: every field up to version 3, 4, 5, 7 or 8 in AWS's order);
 * - any custom format described by a header line (`version account-id interface-id ...`, what S3 delivery writes
 *   first). A header may appear again anywhere; it sets the field order for the lines after it. A header naming a
 *   field this parser does not know is reported once (`file:line`, the field) and that column is ignored;
 * - lines as CloudWatch Logs exports them, behind an ISO time (`2021-03-08T18:00:00.000Z 2 111122223333 eni-...`);
 * - CloudWatch Logs JSON: subscription payloads (`{"logEvents":[{"message":"2 ..."}],...}`, also several back to
 *   back as Firehose writes them) and `filter-log-events` output (`{"events":[...]}`). CloudWatch deliveries carry
 *   no header: a custom format there needs `hint.format` (the flow log's LogFormat, `${field}` or bare names).
 *
 * `-` is "absent" (`undefined`). NODATA and SKIPDATA records carry no traffic and make no `FlowRecord`; they are
 * counted in `skipped` (SKIPDATA means AWS dropped records for that interface and window: the caller reports the
 * count, it is not an input error). A line that cannot be used is an `InputError` naming `file:line` and the field
 * and value (quoted, at most 100 characters, control characters escaped); every other line is still returned.
 */
export interface FlowParseResult {
  records: FlowRecord[];
  errors: InputError[];
  skipped: { nodata: number; skipdata: number };
}

export interface FlowHint {
  /** Used when the format has no `account-id` (or it is `-`). */
  account?: string;
  /** Used when the format has no `region` (or it is `-`): usually from the S3 path, see `flowLogPathHint`. */
  region?: string;
  /** The flow log's format, for headerless custom-format lines (CloudWatch Logs): `${version} ${srcaddr} ...`. */
  format?: string;
}

/** Every field AWS documents, in its order, with the version that introduced it. */
const FIELD_LIST: ReadonlyArray<readonly [string, number]> = [
  ['version', 2],
  ['account-id', 2],
  ['interface-id', 2],
  ['srcaddr', 2],
  ['dstaddr', 2],
  ['srcport', 2],
  ['dstport', 2],
  ['protocol', 2],
  ['packets', 2],
  ['bytes', 2],
  ['start', 2],
  ['end', 2],
  ['action', 2],
  ['log-status', 2],
  ['vpc-id', 3],
  ['subnet-id', 3],
  ['instance-id', 3],
  ['tcp-flags', 3],
  ['type', 3],
  ['pkt-srcaddr', 3],
  ['pkt-dstaddr', 3],
  ['region', 4],
  ['az-id', 4],
  ['sublocation-type', 4],
  ['sublocation-id', 4],
  ['pkt-src-aws-service', 5],
  ['pkt-dst-aws-service', 5],
  ['flow-direction', 5],
  ['traffic-path', 5],
  ['ecs-cluster-arn', 7],
  ['ecs-cluster-name', 7],
  ['ecs-container-instance-arn', 7],
  ['ecs-container-instance-id', 7],
  ['ecs-container-id', 7],
  ['ecs-second-container-id', 7],
  ['ecs-service-name', 7],
  ['ecs-task-definition-arn', 7],
  ['ecs-task-arn', 7],
  ['ecs-task-id', 7],
  ['reject-reason', 8],
  // Added after version 8; accepted in headers (not read), never assumed in headerless lines.
  ['resource-id', 9],
  ['encryption-status', 10],
];

/** The field names this parser knows (headers naming others are reported). */
export const FLOW_FIELDS: readonly string[] = FIELD_LIST.map(([name]) => name);
/** The default format (version 2), in its order: the first 14 fields. */
export const DEFAULT_FLOW_FIELDS: readonly string[] = FLOW_FIELDS.slice(0, 14);
const FIELD_ID = new Map(FIELD_LIST.map(([name], i) => [name, i]));

const F = {
  version: 0,
  account: 1,
  iface: 2,
  srcaddr: 3,
  dstaddr: 4,
  srcport: 5,
  dstport: 6,
  protocol: 7,
  packets: 8,
  bytes: 9,
  start: 10,
  end: 11,
  action: 12,
  status: 13,
  vpc: 14,
  subnet: 15,
  instance: 16,
  tcpFlags: 17,
  type: 18,
  pktSrc: 19,
  pktDst: 20,
  region: 21,
  pktSrcService: 25,
  pktDstService: 26,
  direction: 27,
} as const;
type F = (typeof F)[keyof typeof F];

/** A field order compiled once: `idx[field]` is the column holding that field, or -1. */
interface Layout {
  columns: number;
  idx: Int16Array;
  /** The highest version among the fields: the record's version when the format has no `version` field. */
  version: number;
  /** Where it came from, for messages: `the header at line 12`, `the default format`. */
  source: string;
  /** False when the format has neither `start` nor `end`: its records have no time and are not read. */
  usable: boolean;
  /** Lines dropped because the layout is not usable (reported once, when the layout ends). */
  dropped: number;
  headerLoc: string;
}

function compile(names: readonly string[], source: string, headerLoc: string, errors: InputError[] | undefined): Layout {
  const idx = new Int16Array(FIELD_LIST.length).fill(-1);
  let version = 2;
  const unknown: string[] = [];
  for (let col = 0; col < names.length; col++) {
    const name = names[col] as string;
    const id = FIELD_ID.get(name);
    if (id === undefined) {
      unknown.push(name);
      continue;
    }
    if (idx[id] !== -1) {
      errors?.push(new InputError(headerLoc, `field ${quote(name)} appears twice in the format; the first is read`));
      continue;
    }
    idx[id] = col;
    version = Math.max(version, (FIELD_LIST[id] as readonly [string, number])[1]);
  }
  if (unknown.length > 0) {
    errors?.push(
      new InputError(
        headerLoc,
        `unknown flow-log field${unknown.length > 1 ? 's' : ''} ${unknown
          .slice(0, 5)
          .map((u) => quote(u, 60))
          .join(
            ', ',
          )}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} in the format; ${unknown.length > 1 ? 'those columns are' : 'that column is'} ignored`,
      ),
    );
  }
  const usable = idx[F.start] !== -1 || idx[F.end] !== -1;
  return { columns: names.length, idx, version, source, usable, dropped: 0, headerLoc };
}

/** Headerless layouts: every field up to a version, recognised by the field count. */
const LAYOUT_BY_COUNT = new Map<number, Layout>(
  [14, 21, 25, 29, 39, 40].map((n) => [
    n,
    compile(n === 14 ? DEFAULT_FLOW_FIELDS : FLOW_FIELDS.slice(0, n), n === 14 ? 'the default format' : `the ${n}-field all-fields format`, '', undefined),
  ]),
);

/** Longest line accepted: every field of version 8 with long ECS ARNs stays far below. */
export const MAX_FLOW_LINE = 8192;

const FIELD_LIMIT = 128;
const NON_PRINTABLE = /[^\x20-\x7e]/;
const MAX_SECONDS = 4102444800; // 2100-01-01: anything later is not a capture time

interface State {
  layout: Layout | undefined;
  path: string;
  hint: FlowHint;
  out: FlowParseResult;
  /** Header texts already seen: a repeated header compiles (and reports) once. */
  headers: Map<string, Layout>;
  owner: string | undefined;
}

export function parseFlowLogDocument(text: string, path: string, hint: FlowHint = {}): FlowParseResult {
  const out: FlowParseResult = { records: [], errors: [], skipped: { nodata: 0, skipdata: 0 } };
  const st: State = { layout: undefined, path, hint, out, headers: new Map(), owner: undefined };
  if (hint.format !== undefined) {
    const names = hint.format
      .replace(/\$\{([^}]*)\}/g, '$1')
      .trim()
      .split(/\s+/);
    st.layout = compile(names, 'the given format', path, out.errors);
  }
  let first = 0;
  while (first < text.length && /[\s\ufeff]/.test(text[first] as string)) first++;
  if (text[first] === '{' || text[first] === '[') {
    parseJson(text, st);
  } else {
    let lineNo = 0;
    let pos = 0;
    while (pos <= text.length) {
      let end = text.indexOf('\n', pos);
      if (end === -1) end = text.length;
      lineNo++;
      // Slicing a 1 MB line costs nothing more than measuring it first.
      if (end - pos > MAX_FLOW_LINE) {
        out.errors.push(new InputError(`${path}:${lineNo}`, `line is ${end - pos} characters long; the limit is ${MAX_FLOW_LINE}`));
      } else {
        line(text.slice(pos, end), `${path}:${lineNo}`, st);
      }
      pos = end + 1;
    }
  }
  endLayout(st);
  return out;
}

function parseJson(text: string, st: State): void {
  const items = readJsonItems(text, st.path, st.out.errors, 64 * 1024 * 1024);
  for (const item of items) {
    const loc = `${st.path}:${item.line}`;
    const cw = cloudWatchMessages(item.value);
    if (cw) {
      st.owner = cw.owner;
      for (const i of cw.bad) st.out.errors.push(new InputError(`${loc}#${i}`, 'log event has no "message" string'));
      for (const m of cw.messages) {
        if (m.message.length > MAX_FLOW_LINE) {
          st.out.errors.push(new InputError(`${loc}#${m.index}`, `message is ${m.message.length} characters long; the limit is ${MAX_FLOW_LINE}`));
        } else {
          line(m.message, `${loc}#${m.index}`, st);
        }
      }
      st.owner = undefined;
    } else if (typeof item.value === 'object' && item.value !== null && typeof (item.value as { message?: unknown }).message === 'string') {
      const message = (item.value as { message: string }).message;
      if (message.length > MAX_FLOW_LINE)
        st.out.errors.push(new InputError(loc, `message is ${message.length} characters long; the limit is ${MAX_FLOW_LINE}`));
      else line(message, loc, st);
    } else {
      st.out.errors.push(new InputError(loc, 'JSON value is not a CloudWatch Logs envelope ("logEvents" or "events") nor a log event ("message")'));
    }
  }
}

function endLayout(st: State): void {
  const l = st.layout;
  if (l && !l.usable && l.dropped > 0) {
    st.out.errors.push(
      new InputError(
        l.headerLoc,
        `the format has neither "start" nor "end": ${l.dropped} record${l.dropped > 1 ? 's' : ''} under it have no time and were not read`,
      ),
    );
    l.dropped = 0;
  }
}

function line(raw: string, loc: string, st: State): void {
  let text = raw;
  const last = text.charCodeAt(text.length - 1);
  if (last === 13 || last === 32 || last === 9) text = text.trimEnd();
  if (text.length === 0) return;
  const first = text.charCodeAt(0);
  if (first === 32 || first === 9) {
    text = text.trimStart();
    if (text.length === 0) return;
  }
  if (first >= 48 && first <= 57 && text.charCodeAt(4) === 45) text = stripIsoPrefix(text) ?? text;
  const cols = text.includes('  ') || text.includes('\t') ? text.split(/[ \t]+/) : text.split(' ');
  const c0 = text.charCodeAt(0);
  if (c0 >= 97 && c0 <= 122 && FIELD_ID.has(cols[0] as string) && cols.every(isHeaderWord)) {
    header(text, cols, loc, st);
    return;
  }
  const layout = st.layout ?? LAYOUT_BY_COUNT.get(cols.length);
  if (layout === undefined) {
    st.out.errors.push(new InputError(loc, `${cols.length} fields, and no header line gives the format (the default format has 14 fields)`));
    return;
  }
  if (cols.length !== layout.columns) {
    st.out.errors.push(new InputError(loc, `${cols.length} fields where ${layout.source} has ${layout.columns}`));
    return;
  }
  if (!layout.usable) {
    layout.dropped++;
    return;
  }
  const result = toRecord(cols, layout, text, loc, st);
  if (typeof result === 'string') {
    if (result === 'NODATA') st.out.skipped.nodata++;
    else if (result === 'SKIPDATA') st.out.skipped.skipdata++;
    else st.out.errors.push(new InputError(loc, result));
  } else {
    st.out.records.push(result);
  }
}

function isHeaderWord(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
  }
  return w.length > 0 && w.length <= 64;
}

function header(text: string, cols: string[], loc: string, st: State): void {
  endLayout(st);
  let layout = st.headers.get(text);
  if (layout === undefined) {
    layout = compile(cols, `the header at line ${loc.slice(loc.lastIndexOf(':') + 1)}`, loc, st.out.errors);
    if (st.headers.size < 100) st.headers.set(text, layout);
  } else {
    layout = { ...layout, dropped: 0, headerLoc: loc };
  }
  st.layout = layout;
}

/** The record, or the reason it cannot be used, or `NODATA` / `SKIPDATA`. */
function toRecord(cols: string[], layout: Layout, text: string, loc: string, st: State): FlowRecord | string {
  const idx = layout.idx;
  const statusText = value(cols, idx, F.status);
  let logStatus: FlowRecord['logStatus'] = 'OK';
  if (statusText !== undefined && statusText !== 'OK') {
    if (statusText === 'NODATA' || statusText === 'SKIPDATA') return statusText;
    return `"log-status" is ${quote(statusText)}: expected OK, NODATA or SKIPDATA`;
  }
  logStatus = 'OK';

  if (NON_PRINTABLE.test(text)) {
    const col = cols.findIndex((c) => NON_PRINTABLE.test(c));
    const id = idx.indexOf(col);
    const field = id === -1 ? `column ${col + 1}` : `"${fieldName(id)}"`;
    return `${field} has a character outside printable ASCII: ${quote(cols[col] ?? '')}`;
  }

  const versionText = value(cols, idx, F.version);
  let version = layout.version;
  if (versionText !== undefined) {
    const v = parseUint(versionText);
    if (v === undefined || v < 2 || v > 99) return `"version" is ${quote(versionText)}: expected a flow-log version (2 or more)`;
    version = v;
  }

  const startV = uint(cols, idx, F.start, MAX_SECONDS, 'not a time in Unix seconds');
  if (typeof startV === 'string') return startV;
  const endV = uint(cols, idx, F.end, MAX_SECONDS, 'not a time in Unix seconds');
  if (typeof endV === 'string') return endV;
  if (startV === undefined && endV === undefined) return idx[F.start] !== -1 ? '"start" is missing (-)' : '"end" is missing (-)';
  const start = (startV ?? endV) as number;
  const end = (endV ?? startV) as number;
  if (start > end) return `"start" ${start} is after "end" ${end}`;

  const srcport = uint(cols, idx, F.srcport, 65535, 'not a port (0-65535)');
  if (typeof srcport === 'string') return srcport;
  const dstport = uint(cols, idx, F.dstport, 65535, 'not a port (0-65535)');
  if (typeof dstport === 'string') return dstport;
  const protocol = uint(cols, idx, F.protocol, 255, 'not an IANA protocol number (0-255)');
  if (typeof protocol === 'string') return protocol;
  const packets = uint(cols, idx, F.packets, Number.MAX_SAFE_INTEGER, 'not a packet count');
  if (typeof packets === 'string') return packets;
  const bytes = uint(cols, idx, F.bytes, Number.MAX_SAFE_INTEGER, 'not a byte count');
  if (typeof bytes === 'string') return bytes;
  const tcpFlags = uint(cols, idx, F.tcpFlags, 65535, 'not a TCP flags value');
  if (typeof tcpFlags === 'string') return tcpFlags;

  const srcaddr = addr(cols, idx, F.srcaddr);
  if (typeof srcaddr === 'string') return srcaddr;
  const dstaddr = addr(cols, idx, F.dstaddr);
  if (typeof dstaddr === 'string') return dstaddr;
  const pktSrcaddr = addr(cols, idx, F.pktSrc);
  if (typeof pktSrcaddr === 'string') return pktSrcaddr;
  const pktDstaddr = addr(cols, idx, F.pktDst);
  if (typeof pktDstaddr === 'string') return pktDstaddr;

  const actionText = value(cols, idx, F.action);
  if (actionText !== undefined && actionText !== 'ACCEPT' && actionText !== 'REJECT') return `"action" is ${quote(actionText)}: expected ACCEPT or REJECT`;
  const action = actionText as FlowAction | undefined;
  const dirText = value(cols, idx, F.direction);
  if (dirText !== undefined && dirText !== 'ingress' && dirText !== 'egress') return `"flow-direction" is ${quote(dirText)}: expected ingress or egress`;
  const flowDirection = dirText as 'ingress' | 'egress' | undefined;

  let account: string;
  let interfaceId: string;
  let region: string;
  let instanceId: string | undefined;
  let vpcId: string | undefined;
  let subnetId: string | undefined;
  let trafficType: string | undefined;
  let pktSrcAwsService: string | undefined;
  let pktDstAwsService: string | undefined;
  try {
    account = str(cols, idx, F.account, 64) ?? st.hint.account ?? st.owner ?? '';
    interfaceId = str(cols, idx, F.iface) ?? '';
    region = str(cols, idx, F.region, 64) ?? st.hint.region ?? '';
    instanceId = str(cols, idx, F.instance);
    vpcId = str(cols, idx, F.vpc);
    subnetId = str(cols, idx, F.subnet);
    trafficType = str(cols, idx, F.type, 16);
    pktSrcAwsService = str(cols, idx, F.pktSrcService, 64);
    pktDstAwsService = str(cols, idx, F.pktDstService, 64);
  } catch (err) {
    if (err instanceof FieldError) return err.message;
    throw err;
  }

  const srcText = value(cols, idx, F.srcaddr) ?? '';
  const dstText = value(cols, idx, F.dstaddr) ?? '';
  const key = `${version}|${account}|${interfaceId}|${start}|${end}|${srcText}|${dstText}|${srcport ?? ''}|${dstport ?? ''}|${protocol ?? ''}|${packets ?? ''}|${bytes ?? ''}|${action ?? ''}|${logStatus}`;
  return {
    kind: 'flow',
    id: contentId(key),
    time: end * 1000,
    start: start * 1000,
    end: end * 1000,
    version,
    account,
    region,
    interfaceId,
    instanceId,
    vpcId,
    subnetId,
    srcaddr,
    dstaddr,
    srcText,
    dstText,
    pktSrcaddr,
    pktDstaddr,
    srcport,
    dstport,
    protocol,
    packets,
    bytes,
    action,
    logStatus,
    flowDirection,
    tcpFlags,
    trafficType,
    pktSrcAwsService,
    pktDstAwsService,
    origin: loc,
  };
}

class FieldError extends Error {}

function fieldName(f: number): string {
  return (FIELD_LIST[f] as readonly [string, number])[0];
}

/** The field's text, `undefined` when the format lacks it or the line has `-`. */
function value(cols: string[], idx: Int16Array, f: F): string | undefined {
  const i = idx[f] as number;
  if (i < 0) return undefined;
  const v = cols[i] as string;
  return v === '-' ? undefined : v;
}

function uint(cols: string[], idx: Int16Array, f: F, max: number, what: string): number | undefined | string {
  const v = value(cols, idx, f);
  if (v === undefined) return undefined;
  const n = parseUint(v);
  if (n === undefined || n > max) return `"${fieldName(f)}" is ${quote(v)}: ${what}`;
  return n;
}

function addr(cols: string[], idx: Int16Array, f: F): Ip | undefined | string {
  const v = value(cols, idx, f);
  if (v === undefined) return undefined;
  return parseIp(v) ?? `"${fieldName(f)}" is ${quote(v)}: not an IPv4 or IPv6 address`;
}

function str(cols: string[], idx: Int16Array, f: F, limit = FIELD_LIMIT): string | undefined {
  const v = value(cols, idx, f);
  if (v !== undefined && v.length > limit) throw new FieldError(`"${fieldName(f)}" is ${v.length} characters long; the limit is ${limit}: ${quote(v)}`);
  return v;
}

/** Decimal digits only (no sign, no exponent, at most 16 digits); `undefined` otherwise. */
function parseUint(s: string): number | undefined {
  const len = s.length;
  if (len === 0 || len > 16) return undefined;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}

const PATH_HINT = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/vpcflowlogs\/([a-z0-9-]+)\//;
const HIVE_HINT = /aws-account-id=(\d{12})\/aws-service=vpcflowlogs\/aws-region=([a-z0-9-]+)\//;
const NAME_HINT = /(?:^|\/)(\d{12})_vpcflowlogs_([a-z0-9-]+)_fl-/;

/**
 * The account and region of a flow-log object from its S3 key: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`,
 * the Hive-style `aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/`, or the file name
 * `<account>_vpcflowlogs_<region>_fl-...`. Empty when the path says nothing.
 */
export function flowLogPathHint(path: string): { account?: string; region?: string } {
  const p = path.replaceAll('\\', '/');
  const m = PATH_HINT.exec(p) ?? HIVE_HINT.exec(p) ?? NAME_HINT.exec(p);
  return m ? { account: m[1] as string, region: m[2] as string } : {};
}
