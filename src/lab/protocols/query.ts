/**
 * AWS Query protocol (IAM, STS) and its EC2 variant: form-encoded requests (`Action`, `Version`, flattened members
 * such as `Filter.1.Value.1` or `PolicyNames.member.1`), XML answers and errors.
 */
import { LabServiceError } from './common.js';
import { buildXml } from './xml.js';

export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const MAX_INDEX = 1000;
/** The most parts a parameter name may have (`IpPermissions.1.IpRanges.1.CidrIp` has 5): see json.ts MAX_INPUT_DEPTH. */
const MAX_NAME_PARTS = 16;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** The request's parameters: the form body (POST) merged over the URL's query string. MalformedQueryString if unreadable. */
export function queryParams(body: Buffer, url: URL, contentType: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (text: string) => {
    if (/%(?![0-9a-fA-F]{2})/.test(text)) throw new LabServiceError('MalformedQueryString', 'The query string is malformed: invalid percent-encoding.');
    let params: URLSearchParams;
    try {
      params = new URLSearchParams(text);
    } catch {
      throw new LabServiceError('MalformedQueryString', 'The query string is malformed.');
    }
    for (const [k, v] of params) {
      if (k.startsWith('X-Amz-')) continue;
      out[k] = v;
    }
  };
  add(url.search.slice(1));
  if (body.length > 0) {
    if (contentType && !/^application\/x-www-form-urlencoded\b/i.test(contentType))
      throw new LabServiceError('MalformedQueryString', `Unsupported content type for the Query protocol: ${contentType}`);
    const text = body.toString('utf8');
    if (text.includes('\uFFFD')) throw new LabServiceError('MalformedQueryString', 'The request body is not valid UTF-8.');
    add(text);
  }
  return out;
}

/**
 * Flattened parameters → a tree: `Filter.1.Value.2=x` → `{ Filter: [{ Value: [, 'x'] }] }` (arrays compacted),
 * `Names.member.1=a` → `{ Names: ['a'] }`, `Tags.member.1.Key` → `{ Tags: [{ Key }] }`.
 */
export function decodeQuery(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    if (name === 'Action' || name === 'Version') continue;
    const raw = name.split('.');
    if (raw.length > MAX_NAME_PARTS) throw new LabServiceError('MalformedQueryString', `Invalid parameter name: more than ${MAX_NAME_PARTS} parts`);
    const parts = raw.filter((p, i) => !((p === 'member' || p === 'entry') && /^\d+$/.test(raw[i + 1] ?? '')));
    let node: any = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (FORBIDDEN.has(part) || part === '') throw new LabServiceError('MalformedQueryString', `Invalid parameter name: ${name}`);
      const numeric = /^\d+$/.test(part);
      if (numeric !== Array.isArray(node)) throw new LabServiceError('MalformedQueryString', `Invalid parameter name: ${name}`);
      let key: string | number = part;
      if (numeric) {
        key = Number(part) - 1;
        if (key < 0 || key >= MAX_INDEX) throw new LabServiceError('MalformedQueryString', `Invalid list index in ${name}`);
      }
      const last = i === parts.length - 1;
      if (last) {
        if (node[key] !== undefined && typeof node[key] === 'object') throw new LabServiceError('MalformedQueryString', `Conflicting parameter ${name}`);
        node[key] = value;
      } else {
        const nextNumeric = /^\d+$/.test(parts[i + 1]!);
        if (node[key] === undefined) node[key] = nextNumeric ? [] : {};
        if (typeof node[key] !== 'object') throw new LabServiceError('MalformedQueryString', `Conflicting parameter ${name}`);
        node = node[key];
      }
    }
  }
  return compact(root) as Record<string, unknown>;
}

function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)]));
  return v;
}

/** IAM/STS success: `<XResponse xmlns><XResult>…</XResult><ResponseMetadata><RequestId>`. */
export function queryResponse(action: string, ns: string, result: Record<string, unknown> | undefined, requestId: string): string {
  return buildXml({
    [`${action}Response`]: {
      '@_xmlns': ns,
      ...(result === undefined ? {} : { [`${action}Result`]: result }),
      ResponseMetadata: { RequestId: requestId },
    },
  });
}

/** IAM/STS error document. */
export function queryError(ns: string, code: string, message: string, status: number, requestId: string): string {
  return buildXml({
    ErrorResponse: {
      '@_xmlns': ns,
      Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
      RequestId: requestId,
    },
  });
}

/** EC2 success: `<XResponse xmlns><requestId>…</requestId>…`. */
export function ec2Response(action: string, result: Record<string, unknown> | undefined, requestId: string): string {
  return buildXml({ [`${action}Response`]: { '@_xmlns': EC2_NS, requestId, ...(result ?? {}) } });
}

/** EC2 error document. */
export function ec2Error(code: string, message: string, requestId: string): string {
  return buildXml({ Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId } });
}
