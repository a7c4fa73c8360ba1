/**
 * AWS Signature Version 4, server side: the lab verifies every request the way AWS does, so that the unmodified
 * AWS SDK v3 and the AWS CLI can talk to it and a request signed with the wrong secret (or changed in transit) fails.
 *
 * Written with node:crypto only. What is verified:
 * - header authentication (`Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`) and
 *   presigned URLs (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
 *   `X-Amz-Signature`);
 * - the canonical request: method, canonical URI (every service but `s3` normalises the path and encodes it a second
 *   time, as the SDKs do; `s3` encodes it once, unnormalised), canonical query (RFC 3986, sorted), the signed headers
 *   (trimmed, inner whitespace collapsed), and the payload hash;
 * - the payload: `x-amz-content-sha256` when sent (a hex digest must match the body; `UNSIGNED-PAYLOAD` is accepted),
 *   otherwise the body's SHA-256; presigned URLs use `UNSIGNED-PAYLOAD`;
 * - time: `X-Amz-Date` within 15 minutes of the server's clock; presigned URLs until `X-Amz-Expires` has passed.
 *
 * Not supported: SigV4a (`AWS4-ECDSA-P256-SHA256`), and chunked payload signing (`STREAMING-*` values of
 * `x-amz-content-sha256`, used by S3 uploads of streams): both are refused with `InvalidRequest`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequestLike {
  method: string;
  /** path + query exactly as received, e.g. req.url */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SigV4Auth {
  accessKeyId: string;
  /** YYYYMMDD of the scope */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date value */
  amzDate: string;
  sessionToken?: string;
  presigned: boolean;
  /** Presigned URLs: X-Amz-Expires, in seconds. */
  expiresSeconds?: number;
}

export type SigV4ErrorCode = 'MissingAuthenticationToken' | 'IncompleteSignature' | 'SignatureDoesNotMatch' | 'RequestExpired' | 'InvalidRequest';

/** A request that failed authentication. `code` says why; the lab maps it to each protocol's error. */
export class SigV4Error extends Error {
  readonly code: SigV4ErrorCode;
  /** For `SignatureDoesNotMatch`: what the server signed, to help whoever debugs a client (AWS S3 returns the same). */
  canonicalRequest?: string;
  stringToSign?: string;

  constructor(code: SigV4ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigV4Error';
    this.code = code;
  }
}

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** How far X-Amz-Date may be from the server's clock (header authentication), as in AWS. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest validity of a presigned URL: one week. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX64 = /^[0-9a-f]{64}$/i;

// ---------------------------------------------------------------------------------------------------------------
// Encoding

const HEX = '0123456789ABCDEF';

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  );
}

/** RFC 3986 percent-encoding of bytes: everything but `A-Za-z0-9-._~`, uppercase hex (AWS's UriEncode). */
function encodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

/** AWS's UriEncode of a string (UTF-8). Never throws (a lone surrogate becomes U+FFFD, as Buffer does). */
export function uriEncode(s: string): string {
  return encodeBytes(Buffer.from(s, 'utf8'));
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Percent-decodes to bytes. A `%` not followed by two hex digits stays a literal `%` (so nothing throws; the
 * re-encoded form then differs from what a client could have signed, and the signature fails). `+` is literal, as
 * RFC 3986 says (the SDKs send a space as `%20`).
 */
function decodeToBytes(s: string): Buffer {
  const raw = Buffer.from(s, 'utf8');
  if (!raw.includes(0x25)) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let j = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw[i + 1]!);
      const lo = hexValue(raw[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[j++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[j++] = b;
  }
  return out.subarray(0, j);
}

function decodeToString(s: string): string {
  return decodeToBytes(s).toString('utf8');
}

/** Canonical form of an already-encoded component: decode, then encode strictly (`%7e` and `~` both become `~`). */
function reencode(s: string): string {
  return encodeBytes(decodeToBytes(s));
}

// ---------------------------------------------------------------------------------------------------------------
// Request pieces

function splitUrl(url: string): { path: string; query: string } {
  let rest = url;
  // absolute-form (a request sent to a proxy): keep only path and query
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

interface QueryParam {
  /** as received (still percent-encoded) */
  rawKey: string;
  rawValue: string;
}

function parseQuery(query: string): QueryParam[] {
  if (query === '') return [];
  const params: QueryParam[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    params.push(eq === -1 ? { rawKey: part, rawValue: '' } : { rawKey: part.slice(0, eq), rawValue: part.slice(eq + 1) });
  }
  return params;
}

/** The first value of a query parameter (exact, case-sensitive name), decoded. */
function queryValue(params: QueryParam[], name: string): string | undefined {
  for (const p of params) if (decodeToString(p.rawKey) === name) return decodeToString(p.rawValue);
  return undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * The canonical URI. Every service but S3: the path as received is normalised (empty and `.` segments dropped, `..`
 * removes the previous one) and URI-encoded as a whole again, so `%20` on the wire is `%2520` here (what the SDKs'
 * signers do). S3: each segment is encoded once (decoded and re-encoded strictly, which is what the SDKs sent).
 */
export function canonicalUri(path: string, service: string): string {
  const p = path === '' ? '/' : path;
  if (service === 's3') return p.split('/').map(reencode).join('/');
  const segments: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalised = `${p.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && p.endsWith('/') ? '/' : ''}`;
  return normalised
    .split('/')
    .map((seg) => uriEncode(seg))
    .join('/');
}

/** The canonical query: parameters re-encoded strictly and sorted by name, then value; `exclude` names dropped. */
export function canonicalQuery(query: string, exclude?: (decodedKey: string) => boolean): string {
  const pairs: Array<[string, string]> = [];
  for (const p of parseQuery(query)) {
    if (exclude?.(decodeToString(p.rawKey))) continue;
    pairs.push([reencode(p.rawKey), reencode(p.rawValue)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalHeaderValue(v: string | string[]): string {
  const one = (s: string) =>
    s
      .replace(/[\r\n]/g, ' ')
      .replace(/[ \t]+/g, ' ')
      .trim();
  return Array.isArray(v) ? v.map(one).join(',') : one(String(v));
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const AUTH_PARAMS = ['Credential', 'SignedHeaders', 'Signature'] as const;

function parseCredential(credential: string, where: string): { accessKeyId: string; date: string; region: string; service: string } {
  const parts = credential.split('/');
  if (parts.length !== 5) {
    throw new SigV4Error(
      'IncompleteSignature',
      `${where}: Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, got ${JSON.stringify(credential)}`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '') throw new SigV4Error('IncompleteSignature', `${where}: Credential has an empty access key id`);
  if (!/^\d{8}$/.test(date)) throw new SigV4Error('IncompleteSignature', `${where}: Credential date ${JSON.stringify(date)} is not YYYYMMDD`);
  if (region === '') throw new SigV4Error('IncompleteSignature', `${where}: Credential has an empty region`);
  if (service === '') throw new SigV4Error('IncompleteSignature', `${where}: Credential has an empty service`);
  if (terminator !== 'aws4_request') {
    throw new SigV4Error(
      'IncompleteSignature',
      `${where}: Credential should be scoped with a valid terminator: 'aws4_request', not ${JSON.stringify(terminator)}`,
    );
  }
  return { accessKeyId, date, region, service };
}

function parseSignedHeaders(value: string, where: string): string[] {
  const names = value.split(';').map((h) => h.trim().toLowerCase());
  if (names.some((h) => h === '')) throw new SigV4Error('IncompleteSignature', `${where}: SignedHeaders ${JSON.stringify(value)} has an empty header name`);
  if (!names.includes('host')) throw new SigV4Error('IncompleteSignature', `${where}: 'Host' must be a signed header (SignedHeaders=${value})`);
  return names;
}

function checkAmzDate(amzDate: string, where: string): void {
  const m = AMZ_DATE.exec(amzDate);
  if (!m || Number.isNaN(amzDateToMs(amzDate))) {
    throw new SigV4Error('IncompleteSignature', `${where}: X-Amz-Date ${JSON.stringify(amzDate)} is not an ISO 8601 basic date-time (YYYYMMDDTHHMMSSZ)`);
  }
}

function amzDateToMs(amzDate: string): number {
  const m = AMZ_DATE.exec(amzDate);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // reject 20240231T...: Date.UTC would roll it over
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return ms;
}

function toAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * Reads the request's SigV4 authentication: the Authorization header, or the presigned query parameters.
 * Throws `SigV4Error`: `MissingAuthenticationToken` when there is neither, `IncompleteSignature` when one is
 * malformed, `InvalidRequest` for another algorithm or both at once.
 */
export function parseSigV4(req: HttpRequestLike): SigV4Auth {
  const authorization = headerValue(req.headers, 'authorization');
  const { query } = splitUrl(req.url);
  const params = parseQuery(query);
  const queryAlgorithm = queryValue(params, 'X-Amz-Algorithm');

  if (authorization !== undefined && authorization.trim() !== '' && queryAlgorithm !== undefined) {
    throw new SigV4Error(
      'InvalidRequest',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }
  if (queryAlgorithm !== undefined) return parsePresigned(params, queryAlgorithm);
  if (authorization === undefined || authorization.trim() === '') {
    throw new SigV4Error('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }

  const where = 'Authorization header';
  const text = authorization.trim();
  const space = text.indexOf(' ');
  const algorithm = space === -1 ? text : text.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    if (algorithm.startsWith('AWS4-') || algorithm === 'AWS') {
      throw new SigV4Error('InvalidRequest', `The authorization mechanism ${JSON.stringify(algorithm)} is not supported; use ${SIGV4_ALGORITHM}`);
    }
    throw new SigV4Error('IncompleteSignature', `${where}: expected ${SIGV4_ALGORITHM} Credential=..., SignedHeaders=..., Signature=...`);
  }
  const fields = new Map<string, string>();
  for (const part of text.slice(space + 1).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new SigV4Error('IncompleteSignature', `${where}: ${JSON.stringify(item)} is not a key=value pair`);
    const key = item.slice(0, eq).trim();
    if (fields.has(key)) throw new SigV4Error('IncompleteSignature', `${where}: ${key} appears more than once`);
    fields.set(key, item.slice(eq + 1).trim());
  }
  const missing = AUTH_PARAMS.filter((k) => !fields.get(k));
  if (missing.length > 0) {
    throw new SigV4Error('IncompleteSignature', missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' '));
  }
  const scope = parseCredential(fields.get('Credential')!, where);
  const signedHeaders = parseSignedHeaders(fields.get('SignedHeaders')!, where);

  let amzDate = headerValue(req.headers, 'x-amz-date');
  if (amzDate === undefined) {
    const date = headerValue(req.headers, 'date');
    const ms = date === undefined ? Number.NaN : Date.parse(date);
    if (Number.isNaN(ms)) {
      throw new SigV4Error('IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    amzDate = toAmzDate(new Date(ms));
  }
  amzDate = amzDate.trim();
  checkAmzDate(amzDate, where);

  const sessionToken = headerValue(req.headers, 'x-amz-security-token') ?? queryValue(params, 'X-Amz-Security-Token');
  return {
    ...scope,
    signedHeaders,
    signature: fields.get('Signature')!,
    amzDate,
    ...(sessionToken !== undefined ? { sessionToken } : {}),
    presigned: false,
  };
}

function parsePresigned(params: QueryParam[], algorithm: string): SigV4Auth {
  const where = 'Presigned URL';
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SigV4Error('InvalidRequest', `X-Amz-Algorithm ${JSON.stringify(algorithm)} is not supported; use ${SIGV4_ALGORITHM}`);
  }
  const required = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of required) {
    const v = queryValue(params, name);
    if (v === undefined || v === '') missing.push(name);
    else values.set(name, v);
  }
  if (missing.length > 0) {
    throw new SigV4Error('IncompleteSignature', `${where}: query-string authentication requires ${missing.map((m) => `'${m}'`).join(', ')}`);
  }
  const scope = parseCredential(values.get('X-Amz-Credential')!, where);
  const signedHeaders = parseSignedHeaders(values.get('X-Amz-SignedHeaders')!, where);
  const amzDate = values.get('X-Amz-Date')!;
  checkAmzDate(amzDate, where);
  const expiresText = values.get('X-Amz-Expires')!;
  const expiresSeconds = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
    throw new SigV4Error(
      'IncompleteSignature',
      `${where}: X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}, got ${JSON.stringify(expiresText)}`,
    );
  }
  const sessionToken = queryValue(params, 'X-Amz-Security-Token');
  return {
    ...scope,
    signedHeaders,
    signature: values.get('X-Amz-Signature')!,
    amzDate,
    ...(sessionToken !== undefined ? { sessionToken } : {}),
    presigned: true,
    expiresSeconds,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Verification

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The signing key: HMAC chain over date, region, service and `aws4_request`. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

/** The payload hashes the request may have been signed with (more than one only for a presigned URL with no body). */
function payloadHashes(req: HttpRequestLike, auth: SigV4Auth): string[] {
  if (auth.presigned) {
    const { query } = splitUrl(req.url);
    let declared: string | undefined;
    for (const p of parseQuery(query)) if (decodeToString(p.rawKey).toLowerCase() === 'x-amz-content-sha256') declared = decodeToString(p.rawValue);
    if (declared !== undefined) return [declared];
    // AWS and botocore sign presigned URLs with UNSIGNED-PAYLOAD; the JS SDK's bare presign() of a body-less request
    // signs the empty body's hash. Both describe this request truthfully when it has no body.
    return req.body.length === 0 ? [UNSIGNED_PAYLOAD, EMPTY_SHA256] : [UNSIGNED_PAYLOAD];
  }
  const declared = headerValue(req.headers, 'x-amz-content-sha256')?.trim();
  if (declared === undefined) return [sha256Hex(req.body)];
  if (declared.startsWith('STREAMING-')) {
    throw new SigV4Error(
      'InvalidRequest',
      `x-amz-content-sha256 ${declared} (aws-chunked payload signing) is not supported by the lab; send the body in one piece`,
    );
  }
  if (declared === UNSIGNED_PAYLOAD) return [declared];
  if (!HEX64.test(declared)) {
    throw new SigV4Error(
      'InvalidRequest',
      `x-amz-content-sha256 must be the hex SHA-256 of the body or UNSIGNED-PAYLOAD, got ${JSON.stringify(declared.slice(0, 80))}`,
    );
  }
  const actual = sha256Hex(req.body);
  if (declared.toLowerCase() !== actual) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `The provided 'x-amz-content-sha256' header does not match what was computed (the body was changed in transit?)`,
    );
  }
  return [declared];
}

/** The canonical request for `auth`'s signed headers and the given payload hash. Throws if a signed header is absent. */
export function buildCanonicalRequest(req: HttpRequestLike, auth: SigV4Auth, payloadHash: string): string {
  const { path, query } = splitUrl(req.url);
  const lines: string[] = [];
  for (const name of auth.signedHeaders) {
    const v = req.headers[name];
    if (v === undefined) throw new SigV4Error('SignatureDoesNotMatch', `The signed header ${JSON.stringify(name)} is not in the request`);
    lines.push(`${name}:${canonicalHeaderValue(v)}`);
  }
  const exclude = auth.presigned ? (k: string) => k.toLowerCase() === 'x-amz-signature' : undefined;
  return [
    req.method.toUpperCase(),
    canonicalUri(path, auth.service),
    canonicalQuery(query, exclude),
    ...lines,
    '',
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function buildStringToSign(auth: SigV4Auth, canonicalRequest: string): string {
  return [SIGV4_ALGORITHM, auth.amzDate, `${auth.date}/${auth.region}/${auth.service}/aws4_request`, sha256Hex(canonicalRequest)].join('\n');
}

function sameSignature(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'utf8');
  const b = Buffer.from(givenHex.toLowerCase(), 'utf8');
  // Both are compared in full whatever their content; a length difference only says the given one is malformed.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Recomputes the signature with the secret and compares it in constant time, then checks the time: X-Amz-Date within
 * 15 minutes of `now`, or for a presigned URL, `now` before X-Amz-Date + X-Amz-Expires (and not more than 15 minutes
 * before X-Amz-Date). Throws `SigV4Error` (`SignatureDoesNotMatch`, `RequestExpired`, or `InvalidRequest` for an
 * unsupported payload mode). Region and service are not checked here: the caller knows which it serves.
 */
export function verifySigV4(req: HttpRequestLike, auth: SigV4Auth, secretAccessKey: string, now: Date): void {
  if (auth.amzDate.slice(0, 8) !== auth.date) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${auth.amzDate.slice(0, 8)}'`,
    );
  }
  const key = signingKey(secretAccessKey, auth.date, auth.region, auth.service);
  let first: { canonicalRequest: string; stringToSign: string } | undefined;
  let matched = false;
  for (const payloadHash of payloadHashes(req, auth)) {
    const canonicalRequest = buildCanonicalRequest(req, auth, payloadHash);
    const stringToSign = buildStringToSign(auth, canonicalRequest);
    first ??= { canonicalRequest, stringToSign };
    if (sameSignature(hmac(key, stringToSign).toString('hex'), auth.signature)) matched = true;
  }
  if (!matched) {
    const err = new SigV4Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
    err.canonicalRequest = first?.canonicalRequest;
    err.stringToSign = first?.stringToSign;
    throw err;
  }

  const signedAt = amzDateToMs(auth.amzDate);
  const nowMs = now.getTime();
  if (auth.presigned) {
    const expires = signedAt + (auth.expiresSeconds ?? 0) * 1000;
    if (nowMs > expires) {
      throw new SigV4Error('RequestExpired', `Request has expired: signed at ${auth.amzDate}, valid for ${auth.expiresSeconds} s, now ${toAmzDate(now)}`);
    }
    if (signedAt - nowMs > MAX_CLOCK_SKEW_MS) {
      throw new SigV4Error('RequestExpired', `Request is not valid yet: signed at ${auth.amzDate}, now ${toAmzDate(now)}`);
    }
    return;
  }
  if (nowMs - signedAt > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error(
      'RequestExpired',
      `Signature expired: ${auth.amzDate} is now earlier than ${toAmzDate(new Date(nowMs - MAX_CLOCK_SKEW_MS))} (${toAmzDate(now)} - 15 min.)`,
    );
  }
  if (signedAt - nowMs > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error(
      'RequestExpired',
      `Signature not yet current: ${auth.amzDate} is still later than ${toAmzDate(new Date(nowMs + MAX_CLOCK_SKEW_MS))} (${toAmzDate(now)} + 15 min.)`,
    );
  }
}
