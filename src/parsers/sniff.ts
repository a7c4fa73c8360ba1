import * as crypto from 'node:crypto';
import { InputError } from '../core/errors.js';
import type { LogKind } from '../core/network.js';
import { firstLines } from '../core/text.js';

/**
 * Which parser a document needs, recognised from its first few KB (cheap: no full parse), and failing that from
 * its S3 path. Also the pieces the network parsers share: the JSON shapes CloudWatch Logs exports (subscription
 * payloads, `filter-log-events` output, `<ISO time> <message>` lines) and the quoting of hostile values in errors.
 */

/** How much of a document `sniffLogKind` looks at. */
export const SNIFF_BYTES = 4096;

const FLOW_STATUSES = new Set(['OK', 'NODATA', 'SKIPDATA']);

/**
 * Recognises CloudTrail, VPC Flow Logs and Route 53 Resolver query logs from the content; falls back to the S3 path
 * (`/CloudTrail/`, `/vpcflowlogs/`, `/vpcdnsquerylogs/`, or their Hive-style `aws-service=` forms); `undefined` when
 * neither says.
 */
export function sniffLogKind(text: string, path: string): LogKind | undefined {
  return sniffContent(text.length > SNIFF_BYTES ? text.slice(0, SNIFF_BYTES) : text) ?? sniffPath(path);
}

/** The kind the S3 key layout implies, or `undefined`. */
export function sniffPath(path: string): LogKind | undefined {
  const p = `/${path.replaceAll('\\', '/')}`;
  if (p.includes('/CloudTrail/') || p.includes('/aws-service=CloudTrail/')) return 'cloudtrail';
  if (p.includes('/vpcflowlogs/') || p.includes('aws-service=vpcflowlogs/')) return 'vpcflow';
  if (p.includes('/vpcdnsquerylogs/') || p.includes('aws-service=vpcdnsquerylogs/')) return 'route53-resolver';
  return undefined;
}

function sniffContent(head: string): LogKind | undefined {
  const start = firstNonSpace(head);
  if (start === -1) return undefined;
  const c = head[start];
  if (c === '{' || c === '[') return sniffJson(head.slice(start));
  const line = firstLine(head, start);
  const rest = stripIsoPrefix(line);
  if (rest !== undefined && rest[0] === '{') return sniffJson(rest);
  return looksLikeFlowLine(rest ?? line) ? 'vpcflow' : undefined;
}

function sniffJson(head: string): LogKind | undefined {
  // A complete first line (NDJSON, or a small document) is inspected structurally; otherwise by its keys' text.
  const line = firstLine(head, 0).trim();
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (Array.isArray(value)) value = value[0];
  if (isObject(value)) {
    const kind = kindOfObject(value);
    if (kind !== undefined) return kind;
  }
  if (/^\s*\{\s*"Records"\s*:/.test(head) || /"Records"\s*:\s*\[/.test(head)) return 'cloudtrail';
  if (/"eventVersion"\s*:/.test(head) && /"eventSource"\s*:/.test(head)) return 'cloudtrail';
  if (/"detail-type"\s*:\s*"AWS [A-Za-z ]+ via CloudTrail"/.test(head)) return 'cloudtrail';
  if (/"query_name"\s*:/.test(head) && /"query_timestamp"\s*:/.test(head)) return 'route53-resolver';
  if (/"(logEvents|events)"\s*:\s*\[/.test(head)) {
    // The first message, as a JSON string literal (it may be cut by the 4 KB window: then it says nothing).
    const m = /"message"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(head);
    if (m) {
      try {
        return kindOfMessage(JSON.parse(m[1] as string) as string);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function kindOfObject(o: Record<string, unknown>): LogKind | undefined {
  if (Array.isArray(o.Records)) return 'cloudtrail';
  if (typeof o.eventVersion === 'string' && typeof o.eventSource === 'string') return 'cloudtrail';
  if (typeof o['detail-type'] === 'string' && (o['detail-type'] as string).endsWith('via CloudTrail')) return 'cloudtrail';
  if ('query_name' in o && 'query_timestamp' in o) return 'route53-resolver';
  const events = Array.isArray(o.logEvents) ? o.logEvents : Array.isArray(o.events) ? o.events : undefined;
  if (events) {
    for (const e of events.slice(0, 5)) {
      if (isObject(e) && typeof e.message === 'string') {
        const kind = kindOfMessage(e.message);
        if (kind !== undefined) return kind;
      }
    }
  }
  return undefined;
}

function kindOfMessage(message: string): LogKind | undefined {
  const m = message.trim();
  if (m[0] === '{') {
    try {
      const v = JSON.parse(m);
      return isObject(v) ? kindOfObject(v) : undefined;
    } catch {
      return undefined;
    }
  }
  return looksLikeFlowLine(m) ? 'vpcflow' : undefined;
}

/** A flow-log header (`version account-id ...`, or any known field name first) or a line shaped like a flow record. */
function looksLikeFlowLine(line: string): boolean {
  const t = line.trim().split(/[ \t]+/);
  if (t.length >= 2 && FLOW_HEADER_WORDS.has(t[0] as string) && t.slice(1, 6).every((w) => FLOW_HEADER_WORDS.has(w))) return true;
  if (t.length < 14 || !/^\d{1,2}$/.test(t[0] as string)) return false;
  const account = t[1] as string;
  const accountOk = /^\d{1,12}$/.test(account) || account === 'unknown' || account === '-';
  return accountOk && ((t[2] as string).startsWith('eni-') || FLOW_STATUSES.has(t[13] as string));
}

/** Field names a flow-log header uses (kept in sync with `vpc-flow.ts` by its tests). */
export const FLOW_HEADER_WORDS: ReadonlySet<string> = new Set([
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  'reject-reason',
  'resource-id',
  'encryption-status',
]);

// ---------------------------------------------------------------------------------------------------------------
// Shared by the network parsers.

/**
 * A value for an error message: at most `max` characters, in double quotes, with control characters, bidirectional
 * overrides, zero-width characters and other invisible code points shown as `\u{..}` (so a hostile log line cannot
 * rewrite a terminal or hide text).
 */
export function quote(value: string, max = 100): string {
  const cut = value.length > max;
  const s = cut ? value.slice(0, max) : value;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff) {
      out += `\\u{${c.toString(16)}}`;
    } else if (c === 0x22 || c === 0x5c) {
      out += `\\${s[i]}`;
    } else {
      out += s[i];
    }
  }
  return `${out}"${cut ? `… (${value.length} characters)` : ''}`;
}

/**
 * When `line` starts with an ISO-8601 time and a space (CloudWatch Logs exports, `aws logs tail`), the rest of the
 * line; otherwise `undefined`. Cheap: the time is only examined when the line starts `dddd-`.
 */
export function stripIsoPrefix(line: string): string | undefined {
  if (line.length < 21 || line.charCodeAt(4) !== 45 || !isDigit(line.charCodeAt(0))) return undefined;
  const space = line.indexOf(' ');
  if (space < 10 || space > 40) return undefined;
  if (!ISO_PREFIX.test(line.slice(0, space))) return undefined;
  return line.slice(space + 1).trimStart();
}
const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** One JSON value of a document and the line it starts on. */
export interface JsonItem {
  value: unknown;
  line: number;
}

/**
 * The JSON values of a document, each with its line: a single value (an array gives its elements), JSON lines
 * (each optionally after an ISO time, as CloudWatch exports them), or objects written back to back with nothing
 * between them (Firehose deliveries of CloudWatch subscriptions). A line that is not JSON becomes an error naming
 * `file:line`; a document that is not JSON at all is one error naming the file. Lines longer than `maxLine`
 * characters are errors without being parsed.
 */
export function readJsonItems(text: string, path: string, errors: InputError[], maxLine: number): JsonItem[] {
  const items: JsonItem[] = [];
  const start = firstNonSpace(text);
  if (start === -1) return items;
  const body = start > 0 ? text.slice(start) : text;
  const firstLineNo = lineOf(text, start);
  if (body[0] === '{' || body[0] === '[') {
    let doc: unknown;
    let ok = false;
    try {
      doc = JSON.parse(body);
      ok = true;
    } catch (err) {
      if (!looksLikeJsonLines(body)) {
        errors.push(new InputError(path, `malformed JSON: ${(err as Error).message}`, { cause: err }));
        return items;
      }
    }
    if (ok) {
      if (Array.isArray(doc)) {
        const lines = arrayElementLines(body);
        for (let i = 0; i < doc.length; i++) items.push({ value: doc[i], line: firstLineNo + (lines[i] ?? 1) - 1 });
      } else {
        items.push({ value: doc, line: firstLineNo });
      }
      return items;
    }
  } else if (stripIsoPrefix(firstLine(body, 0)) === undefined) {
    errors.push(new InputError(path, `not JSON: starts with ${quote(body.slice(0, 20))}`));
    return items;
  }
  // JSON lines, possibly behind ISO times, possibly several objects on one line.
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    const raw = text.slice(pos, end);
    pos = end + 1;
    if (raw.length > maxLine) {
      errors.push(new InputError(`${path}:${lineNo}`, `line is ${raw.length} characters long; the limit is ${maxLine}`));
      continue;
    }
    let line = raw.trim();
    if (line === '') continue;
    line = stripIsoPrefix(line) ?? line;
    const values = parseJsonLine(line);
    if (values instanceof Error) {
      errors.push(new InputError(`${path}:${lineNo}`, `${values.message}: ${quote(line, 60)}`));
      continue;
    }
    for (const v of values) {
      if (Array.isArray(v)) for (const e of v) items.push({ value: e, line: lineNo });
      else items.push({ value: v, line: lineNo });
    }
  }
  return items;
}

function parseJsonLine(line: string): unknown[] | Error {
  if (line[0] !== '{' && line[0] !== '[') return new Error('not JSON');
  try {
    return [JSON.parse(line)];
  } catch (err) {
    const parts = splitConcatenated(line);
    if (parts === undefined || parts.length < 2) return new Error(`malformed JSON (${(err as Error).message})`);
    const out: unknown[] = [];
    for (const p of parts) {
      try {
        out.push(JSON.parse(p));
      } catch (e) {
        return new Error(`malformed JSON (${(e as Error).message})`);
      }
    }
    return out;
  }
}

/** `{...}{...} {...}` → the separate values; `undefined` when the text is not such a sequence. */
function splitConcatenated(s: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let begin = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === 32 || c === 9 || c === 13 || c === 10) continue;
      if (c !== 123 && c !== 91) return undefined;
      begin = i;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) out.push(s.slice(begin, i + 1));
      else if (depth < 0) return undefined;
    }
  }
  return depth === 0 && !inString ? out : undefined;
}

/** Lines (1-based, relative to `text`) on which the elements of the top-level array in valid JSON `text` start. */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expect = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 10) {
      line++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (c === 44) {
      if (depth === 1) expect = true;
      continue;
    }
    if (c === 93 || c === 125) {
      depth--;
      continue;
    }
    if (depth === 0 && c === 91) {
      depth = 1;
      expect = true;
      continue;
    }
    if (depth === 1 && expect) {
      lines.push(line);
      expect = false;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) depth++;
  }
  return lines;
}

/** A document is JSON lines when one of its first lines is a complete JSON value by itself (maybe after a time). */
function looksLikeJsonLines(text: string): boolean {
  for (const line of firstLines(text, 10)) if (!(parseJsonLine(stripIsoPrefix(line) ?? line) instanceof Error)) return true;
  return false;
}

/** One CloudWatch Logs event carried by an envelope. */
export interface LogEventMessage {
  message: string;
  index: number;
}

/**
 * The messages of a CloudWatch Logs envelope: a subscription payload (`{"messageType":"DATA_MESSAGE","owner":...,
 * "logGroup":...,"logEvents":[{"id","timestamp","message"}]}`, control messages give none) or `aws logs
 * filter-log-events` / `get-log-events` output (`{"events":[...]}`). `undefined` when `value` is not an envelope.
 */
export function cloudWatchMessages(value: unknown): { messages: LogEventMessage[]; owner: string | undefined; bad: number[] } | undefined {
  if (!isObject(value)) return undefined;
  const events = Array.isArray(value.logEvents) ? value.logEvents : Array.isArray(value.events) ? value.events : undefined;
  if (events === undefined) return undefined;
  const owner = typeof value.owner === 'string' && value.owner.length <= 64 ? value.owner : undefined;
  const messages: LogEventMessage[] = [];
  const bad: number[] = [];
  if (value.messageType === 'CONTROL_MESSAGE') return { messages, owner, bad };
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (isObject(e) && typeof e.message === 'string') messages.push({ message: e.message, index: i });
    else bad.push(i);
  }
  return { messages, owner, bad };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeType(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return i;
  }
  return -1;
}

function firstLine(text: string, from: number): string {
  const end = text.indexOf('\n', from);
  return (end === -1 ? text.slice(from) : text.slice(from, end)).replace(/\r$/, '');
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

// `crypto.hash` (Node 20.12+) skips the Hash object: a third of the cost of hashing a short line.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** The first 32 hex digits of the SHA-256 of `key`: the id of a record that has none of its own. */
export function contentId(key: string): string {
  return (oneShot ? oneShot('sha256', key, 'hex') : crypto.createHash('sha256').update(key).digest('hex')).slice(0, 32);
}
