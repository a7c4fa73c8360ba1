/**
 * What every lab service shares: the error a handler throws, the operation table's entry, the call context, and the
 * small readers for decoded inputs. The wire encodings live beside this file (query.ts, json.ts, rest-s3.ts).
 */
import type { LabAccount, LabSession } from '../account.js';
import { LabStateError } from '../account.js';
import type { LabPrincipal } from '../types.js';
import type { JsonFlavour } from './json.js';

export type Protocol = 'query' | 'ec2' | 'json' | 'rest-s3';

/** An error answered to the client in the service's own shape: code, message, HTTP status. */
export class LabServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra elements for S3 error bodies (BucketName, Key...). */
    readonly extra?: Record<string, string>,
  ) {
    super(message);
    this.name = 'LabServiceError';
  }
}

/** Everything a handler may use besides its input. */
export interface CallContext {
  account: LabAccount;
  principal: LabPrincipal;
  /** The session behind the request's credentials, when they are temporary. */
  session?: LabSession;
  /** The credential scope's region. */
  region: string;
  now: Date;
  requestId: string;
  sourceIp: string;
  userAgent: string;
  /** The condition keys the call was authorized with (aws:SourceIp, aws:TokenIssueTime...). */
  authContext: Record<string, string | string[] | undefined>;
}

/** A handler's answer: the protocol-level result, and CloudTrail's responseElements (null when CloudTrail has none). */
export interface Outcome<R = unknown> {
  result: R;
  responseElements?: Record<string, unknown> | null;
}

/** One row of a service's operation table. */
export interface Operation<I = any, R = any> {
  /** IAM action, e.g. iam:GetUser. */
  action: string;
  readOnly: boolean;
  /** S3 object-level calls are CloudTrail data events. */
  data?: boolean;
  /** CloudTrail eventName when it differs from the operation (S3 ListObjectsV2 is recorded as ListObjects). */
  eventName?: string;
  /** The resources the action is authorized on; `*` where AWS has none. Default `['*']`. */
  resources?(input: I, ctx: CallContext): string[];
  /** Service-specific condition keys (s3:prefix...). */
  conditions?(input: I, ctx: CallContext): Record<string, string | string[] | undefined>;
  /** CloudTrail requestParameters (camelCase, never a secret). */
  params(input: I, ctx: CallContext): Record<string, unknown> | null;
  /** CloudTrail `resources`, where it names them. */
  trailResources?(input: I, ctx: CallContext): { ARN: string; accountId?: string; type: string }[];
  /** Never denied by policy (sts:GetCallerIdentity). */
  neverDenied?: boolean;
  run(input: I, ctx: CallContext): Outcome<R> | Promise<Outcome<R>>;
}

export interface ServiceDef<I = any> {
  /** Signing name. */
  name: 'iam' | 'sts' | 'ec2' | 'ssm' | 'dynamodb' | 's3';
  eventSource: string;
  protocol: Protocol;
  /** IAM: records say us-east-1 whatever the scope's region (CloudTrail logs IAM, a global service, there). */
  global?: boolean;
  /** Query protocol: the XML namespace of answers (IAM, STS). */
  xmlNamespace?: string;
  /** JSON protocol: target prefix, content type, error type names. */
  json?: JsonFlavour;
  operations: Record<string, Operation<I>>;
}

/** Maps the account's state errors to a service's codes; anything else is rethrown. */
export function mapStateError(err: unknown, codes: Partial<Record<LabStateError['kind'], [code: string, status: number]>>): never {
  if (err instanceof LabStateError) {
    const c = codes[err.kind];
    if (c) throw new LabServiceError(c[0], err.message, c[1]);
    throw new LabServiceError('ValidationError', err.message, 400);
  }
  throw err;
}

/** Runs `f` and maps LabStateError with `codes`. */
export function state<T>(f: () => T, codes: Parameters<typeof mapStateError>[1]): T {
  try {
    return f();
  } catch (err) {
    return mapStateError(err, codes);
  }
}

// ---------------------------------------------------------------- readers of decoded inputs

export type Input = Record<string, unknown>;

export function optStr(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A list from a decoded query (array, or a single value) or JSON input; strings only. */
export function strList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map(optStr).filter((s): s is string => s !== undefined);
}

export function objList(v: unknown): Input[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.filter((x): x is Input => !!x && typeof x === 'object' && !Array.isArray(x));
}

export function optInt(v: unknown, code: string, name: string): number | undefined {
  const s = optStr(v);
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new LabServiceError(code, `Value '${s}' at '${name}' failed to satisfy constraint: must be an integer`);
  return n;
}

export function optBool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/** Strings in an XML answer: booleans and dates as AWS writes them. */
export function iso(d: Date): string {
  return d.toISOString();
}

/** Parses `name` out of the ARN's last path segment (…:role/path/NAME → NAME). */
export function arnName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
