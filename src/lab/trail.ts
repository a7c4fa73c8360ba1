import { createHash } from 'node:crypto';
import { checkSegment, datePath, GzipDelivery, LabLogError, randomAlnum, stamp } from './log-delivery.js';
import { cloudTrailDate, isoSeconds } from './time.js';
import type { LabApiCall, LabPrincipal } from './types.js';

/**
 * The lab's trail: every call the lab handled becomes a CloudTrail record, delivered every few seconds into the trail
 * bucket's folder exactly as CloudTrail lays out a trail's S3 objects:
 * `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<16 alnum>.json.gz`,
 * gzip, `{"Records":[...]}`, one file per region of the events and delivery (the file name's time and the date folders
 * are the delivery time, UTC, as CloudTrail names them). The records are the lab's, never AWS's.
 */

export interface TrailWriterOptions {
  /** Directory that is the trail bucket's content (the lab's S3 serves it): files go under AWSLogs/... inside it. */
  bucketDir: string;
  accountId: string;
  /** The lab's region: used when a call names none, and for the instance ARN of EC2 role credentials. */
  region: string;
  /** Flush this many ms after the first buffered record (default 5000); 0 = only on flush(). */
  flushMs?: number;
  /** Include Data events (S3 object-level). Default false, as a trail's default. */
  dataEvents?: boolean;
  clock?: () => Date;
  /** Where files are written before the rename (default: `.<bucket dir name>.partial` beside the bucket dir). */
  tmpDir?: string;
  /** Errors of timer-driven deliveries (default: a process warning). The records stay buffered for the next one. */
  onError?: (err: LabLogError) => void;
}

/** The value written in place of a secret in `requestParameters` / `responseElements` (CloudTrail's own phrase). */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z0-9-]{1,64}$/;

export class TrailWriter {
  readonly #delivery: GzipDelivery<Record<string, unknown>>;
  readonly #o: TrailWriterOptions;
  #skipped = 0;

  constructor(o: TrailWriterOptions) {
    checkSegment('trail writer: accountId', o.accountId, ACCOUNT);
    checkSegment('trail writer: region', o.region, REGION);
    this.#o = o;
    const account = o.accountId;
    this.#delivery = new GzipDelivery<Record<string, unknown>>({
      what: 'trail',
      bucketDir: o.bucketDir,
      tmpDir: o.tmpDir,
      flushMs: o.flushMs ?? 5000,
      clock: o.clock ?? (() => new Date()),
      onError: o.onError,
      render: (region, records, now) => ({
        key: trailObjectKey(account, region, now, randomAlnum(16)),
        text: JSON.stringify({ Records: records }),
      }),
    });
  }

  /** Buffers the call's record (built now, so later changes to `call` do not show). Data events only with `dataEvents`. */
  record(call: LabApiCall): void {
    if (this.#delivery.closed) throw new LabLogError('trail writer is closed: no record can be added');
    if (call.eventCategory === 'Data' && !this.#o.dataEvents) {
      this.#skipped++;
      return;
    }
    const rec = toCloudTrailRecord(call, { labRegion: this.#o.region });
    this.#delivery.add(rec.awsRegion as string, rec);
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

  /** Data events left out because `dataEvents` is off. */
  get skipped(): number {
    return this.#skipped;
  }
}

/** The S3 key CloudTrail gives a trail's log file delivered at `at` for `region`. */
export function trailObjectKey(accountId: string, region: string, at: Date, unique: string): string {
  return `AWSLogs/${accountId}/CloudTrail/${region}/${datePath(at)}/${accountId}_CloudTrail_${region}_${stamp(at)}_${unique}.json.gz`;
}

/**
 * CloudTrail's `eventVersion` differs by service; these are the versions the real records of these services carry
 * (public-logs: EC2, IAM and S3 write 1.09, STS and SSM 1.08), and with them comes `webIdFederationData: {}` in an
 * assumed role's session context, which 1.08 records have and 1.09 records do not.
 */
const EVENT_VERSION: Record<string, string> = {
  'ec2.amazonaws.com': '1.09',
  'iam.amazonaws.com': '1.09',
  's3.amazonaws.com': '1.09',
};
const DEFAULT_EVENT_VERSION = '1.08';

/** Calls through the SDK's TLS 1.3 connection: the suite AWS's endpoints pick for it. */
const TLS = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' } as const;

/** CloudTrail caps `userAgent` and `errorMessage` at 1 KB. */
const TEXT_LIMIT = 1024;

export interface CloudTrailRecordOptions {
  /** Region of the lab's instances, for `inScopeOf.credentialsIssuedTo` (default: the call's region). */
  labRegion?: string;
}

/**
 * The CloudTrail record of one call handled by the lab, in CloudTrail's key order. Deterministic: the same call gives
 * the same record (the S3 `x-amz-id-2` and an AWS service event's `sharedEventID` derive from the event id).
 * Secrets never reach it: `secretAccessKey` is left out wherever it appears (CloudTrail never writes it) and a
 * `sessionToken`'s value is replaced by `HIDDEN_DUE_TO_SECURITY_REASONS` (CloudTrail writes the token itself in
 * `AssumeRole`'s `responseElements.credentials`; the lab keeps the key and hides the value). `accessKeyId` and
 * `expiration` stay, as in CloudTrail. Dates become CloudTrail's response style (`Aug 1, 2024, 11:45:22 AM`).
 */
export function toCloudTrailRecord(call: LabApiCall, opts: CloudTrailRecordOptions = {}): Record<string, unknown> {
  checkCall(call);
  const eventVersion = EVENT_VERSION[call.eventSource] ?? DEFAULT_EVENT_VERSION;
  const principal = call.principal;
  const byService = principal?.type === 'AWSService';
  const rec: Record<string, unknown> = {
    eventVersion,
    userIdentity: userIdentity(call, eventVersion, opts.labRegion ?? call.awsRegion),
    eventTime: isoSeconds(call.time),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: call.awsRegion,
    sourceIPAddress: call.sourceIPAddress,
    userAgent: cap(call.userAgent),
  };
  if (call.errorCode) rec.errorCode = call.errorCode;
  if (call.errorMessage) rec.errorMessage = cap(call.errorMessage);
  rec.requestParameters = call.requestParameters === null ? null : sanitize(call.requestParameters, 'requestParameters');
  rec.responseElements = call.responseElements === null ? null : sanitize(call.responseElements, 'responseElements');
  if (call.eventSource === 's3.amazonaws.com' && !byService) {
    const extras = call as LabApiCall & { bytesTransferredIn?: number; bytesTransferredOut?: number };
    rec.additionalEventData = {
      SignatureVersion: 'SigV4',
      CipherSuite: TLS.cipherSuite,
      bytesTransferredIn: extras.bytesTransferredIn ?? 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': createHash('sha256').update(`x-amz-id-2:${call.eventId}`).digest('base64'),
      bytesTransferredOut: extras.bytesTransferredOut ?? 0,
    };
  }
  rec.requestID = call.requestId;
  rec.eventID = call.eventId;
  rec.readOnly = call.readOnly;
  if (call.resources && call.resources.length > 0) {
    rec.resources = call.resources.map((r) =>
      r.accountId === undefined ? { ARN: r.ARN, type: r.type } : { ARN: r.ARN, accountId: r.accountId, type: r.type },
    );
  }
  rec.eventType = 'AwsApiCall';
  rec.managementEvent = call.eventCategory === 'Management';
  rec.recipientAccountId = call.recipientAccountId;
  // An AWS service's call on the account's behalf is shared with it: CloudTrail gives such records a sharedEventID.
  if (byService) rec.sharedEventID = uuidFrom(`shared:${call.eventId}`);
  rec.eventCategory = call.eventCategory;
  if (!byService) {
    rec.tlsDetails = { tlsVersion: TLS.tlsVersion, cipherSuite: TLS.cipherSuite, clientProvidedHostHeader: hostHeader(call) };
  }
  return rec;
}

function userIdentity(call: LabApiCall, eventVersion: string, instanceRegion: string): Record<string, unknown> {
  const p = call.principal;
  if (p === undefined) return unauthenticated(call);
  return principalIdentity(p, eventVersion, instanceRegion);
}

function principalIdentity(p: LabPrincipal, eventVersion: string, instanceRegion: string): Record<string, unknown> {
  switch (p.type) {
    case 'IAMUser':
      return { type: 'IAMUser', principalId: p.principalId, arn: p.arn, accountId: p.accountId, accessKeyId: p.accessKeyId, userName: p.userName };
    case 'AssumedRole': {
      const sessionContext: Record<string, unknown> = {
        sessionIssuer: { type: 'Role', principalId: p.roleId, arn: p.roleArn, accountId: p.accountId, userName: p.roleName },
      };
      if (eventVersion === '1.08') sessionContext.webIdFederationData = {};
      sessionContext.attributes = { creationDate: isoSeconds(p.issuedAt), mfaAuthenticated: 'false' };
      if (p.ec2RoleDelivery) sessionContext.ec2RoleDelivery = p.ec2RoleDelivery;
      const ui: Record<string, unknown> = {
        type: 'AssumedRole',
        principalId: `${p.roleId}:${p.sessionName}`,
        arn: p.arn,
        accountId: p.accountId,
        accessKeyId: p.accessKeyId,
        sessionContext,
      };
      // Newer CloudTrail records name the resource that service-issued credentials were issued to (Lambda, ECS,
      // EC2): for an instance profile's credentials, the instance.
      if (p.ec2RoleDelivery && p.sourceInstanceId) {
        ui.inScopeOf = { issuerType: 'AWS::EC2::Instance', credentialsIssuedTo: `arn:aws:ec2:${instanceRegion}:${p.accountId}:instance/${p.sourceInstanceId}` };
      }
      return ui;
    }
    case 'AWSService':
      return { type: 'AWSService', invokedBy: p.invokedBy };
    default:
      throw new LabLogError(`unknown principal type ${JSON.stringify((p as { type?: unknown }).type)}`);
  }
}

/**
 * A request the lab could not authenticate (unknown or inactive key, bad signature, expired session). CloudTrail logs
 * such a request in the account that owns the key, with only what the key tells: the account and the access key, and
 * the identity type the key's prefix implies (AKIA: an IAM user's long-term key; ASIA: temporary credentials, written
 * as AssumedRole since the lab only issues role sessions). No principalId, arn or userName: the lab does not claim
 * to know who signed. A request with no key at all is S3's anonymous caller (`AWSAccount`, account `anonymous`),
 * or `Unknown` elsewhere. Trailhound's parser reads all of these (account from `recipientAccountId`).
 */
function unauthenticated(call: LabApiCall): Record<string, unknown> {
  const key = call.accessKeyId;
  if (!key) {
    if (call.eventSource === 's3.amazonaws.com') return { type: 'AWSAccount', principalId: '', accountId: 'anonymous' };
    return { type: 'Unknown', accountId: call.recipientAccountId };
  }
  const type = key.startsWith('AKIA') ? 'IAMUser' : key.startsWith('ASIA') ? 'AssumedRole' : 'Unknown';
  return { type, accountId: call.recipientAccountId, accessKeyId: key };
}

/** The Host header the SDK would have sent to AWS for this call (IAM is global; the others are regional). */
function hostHeader(call: LabApiCall): string {
  const prefix = call.eventSource.endsWith('.amazonaws.com') ? call.eventSource.slice(0, -'.amazonaws.com'.length) : call.service;
  if (prefix === 'iam') return 'iam.amazonaws.com';
  return `${prefix}.${call.awsRegion}.amazonaws.com`;
}

function checkCall(call: LabApiCall): void {
  if (typeof call !== 'object' || call === null) throw new LabLogError('trail: the call is not an object');
  const where = `trail: call ${JSON.stringify(call.eventId)} (${String(call.eventSource)} ${String(call.eventName)})`;
  if (!(call.time instanceof Date) || Number.isNaN(call.time.getTime())) throw new LabLogError(`${where}: time is not a valid Date`);
  for (const [k, limit] of [
    ['eventName', 256],
    ['eventSource', 256],
    ['eventId', 256],
    ['requestId', 256],
    ['recipientAccountId', 64],
  ] as const) {
    const v = call[k];
    if (typeof v !== 'string' || v === '' || v.length > limit)
      throw new LabLogError(`${where}: ${k} must be a non-empty string of at most ${limit} characters`);
  }
  checkSegment(`${where}: awsRegion`, call.awsRegion, REGION);
  if (typeof call.sourceIPAddress !== 'string') throw new LabLogError(`${where}: sourceIPAddress must be a string`);
  if (typeof call.userAgent !== 'string') throw new LabLogError(`${where}: userAgent must be a string`);
  if (call.errorCode !== undefined && (typeof call.errorCode !== 'string' || call.errorCode.length > 256)) {
    throw new LabLogError(`${where}: errorCode must be a string of at most 256 characters`);
  }
  if (call.eventCategory !== 'Management' && call.eventCategory !== 'Data') throw new LabLogError(`${where}: eventCategory must be Management or Data`);
  if (typeof call.readOnly !== 'boolean') throw new LabLogError(`${where}: readOnly must be a boolean`);
}

function cap(s: string): string {
  return s.length > TEXT_LIMIT ? s.slice(0, TEXT_LIMIT) : s;
}

const SECRET_KEY = /^secretaccesskey$/i;
const SESSION_TOKEN = /^sessiontoken$/i;
const MAX_DEPTH = 32;

/** A JSON copy with secrets removed or hidden (see `toCloudTrailRecord`); cycles and absurd depth are errors. */
function sanitize(value: Record<string, unknown>, field: string): Record<string, unknown> {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number, path: string): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : cloudTrailDate(v);
    if (typeof v !== 'object') return undefined; // functions, symbols, undefined
    if (depth > MAX_DEPTH) throw new LabLogError(`trail: ${path} is nested more than ${MAX_DEPTH} levels deep`);
    if (seen.has(v)) throw new LabLogError(`trail: ${path} refers to itself`);
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((x, i) => walk(x, depth + 1, `${path}[${i}]`) ?? null);
    } else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_KEY.test(k)) continue;
        if (SESSION_TOKEN.test(k) && x !== null && x !== undefined && x !== '') {
          o[k] = HIDDEN;
          continue;
        }
        const w = walk(x, depth + 1, `${path}.${k}`);
        if (w !== undefined) o[k] = w;
      }
      out = o;
    }
    seen.delete(v);
    return out;
  };
  if (typeof value !== 'object' || Array.isArray(value)) throw new LabLogError(`trail: ${field} must be an object or null`);
  return walk(value, 0, field) as Record<string, unknown>;
}

/** A UUID-shaped id derived from a string (version 4 layout, so it looks like CloudTrail's ids). */
function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
