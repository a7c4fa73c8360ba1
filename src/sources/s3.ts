import { GetObjectCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { describeError, InputError } from '../core/errors.js';
import { sniffPath } from '../parsers/sniff.js';
import type { CheckpointStore } from './checkpoint.js';
import { decodeDocument, MAX_DOCUMENT_BYTES, type ReadDocument } from './read.js';
import { PolledSource, SourceError, type SourceObject, type SourceStats } from './source.js';

/** The log types an S3 source reads, named as in their S3 keys (`AWSLogs/ACCOUNT/<type>/...`). */
export const S3_LOG_TYPES = ['cloudtrail', 'vpcflowlogs', 'vpcdnsquerylogs'] as const;
export type S3LogType = (typeof S3_LOG_TYPES)[number];

/** Why a listed or announced object is not read: a CloudTrail digest, a Parquet flow log (not parsed), anything else. */
export type SkipReason = 'digest' | 'parquet' | 'other';
export type SkippedCounts = Record<SkipReason, number>;

export interface S3SourceStats extends SourceStats {
  /** Objects found in the listed day prefixes and left unread, by reason, each counted once. */
  skipped: SkippedCounts;
}

export interface S3SourceOptions {
  /** The configured source's name (the checkpoint key's namespace). */
  name: string;
  bucket: string;
  /** The trail's S3 key prefix, the part before `AWSLogs/` (with or without a trailing slash). */
  prefix?: string;
  /** Accounts to read; listed under `AWSLogs/` when absent. */
  accounts?: string[];
  /** Regions to read; listed under each account's `CloudTrail/` (and `vpcflowlogs/`) when absent. */
  regions?: string[];
  /**
   * What to read. Default `['cloudtrail']`. `vpcflowlogs`: `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/` and the
   * Hive-compatible `AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD/`
   * (hourly partitions below the day included); `vpcdnsquerylogs` (Route 53 Resolver query logs):
   * `AWSLogs/ACCOUNT/vpcdnsquerylogs/VPC-ID/YYYY/MM/DD/`. Both are per account directly under `AWSLogs/`, never under an
   * organization folder; their `.log.gz` (or `.log`) objects are read, Parquet ones are skipped and counted.
   */
  logTypes?: readonly S3LogType[];
  /** VPCs whose Resolver query logs are read; listed under each account's `vpcdnsquerylogs/` when absent. */
  vpcs?: string[];
  /**
   * Organization trails put `o-xxxxxxxxxx/` after `AWSLogs/`. An id reads that organization's folder only; `'auto'`
   * (the default) lists `AWSLogs/` and reads both organization folders and plain account folders. When accounts are
   * configured and this is absent, only plain account folders are read and nothing above the regions is listed.
   */
  organizationId?: string;
  /** First day to read (YYYY-MM-DD, UTC). Default: the day before the source first polled (remembered across restarts). */
  startDate?: string;
  /**
   * Day prefixes re-listed on every poll besides today's, because CloudTrail can deliver a file into a day prefix
   * after later files. Older days, once every object in them is done, are remembered as complete. Default 2.
   */
  lookbackDays?: number;
  /** How often accounts, organizations, regions and VPCs are listed again (new accounts, newly enabled regions). Default 1 h. */
  rediscoverMs?: number;
  s3: S3Client;
  checkpoints: CheckpointStore;
  /** Epoch ms now; injected for tests. */
  now?: () => number;
}

const DAY_MS = 86_400_000;
const ACCOUNT_RE = /^\d{12}$/;
const ORG_RE = /^o-[a-z0-9]+$/;
const HIVE_ACCOUNT_RE = /^aws-account-id=(\d{12})$/;
const HIVE_REGION_RE = /^aws-region=([a-z0-9-]+)$/;
const VPC_RE = /^vpc-[0-9a-f]+$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A folder whose children are day folders: a trail's region (`[prefix/]AWSLogs/[o-id/]ACCOUNT/CloudTrail/REGION/`),
 * a flow log's region (`AWSLogs/ACCOUNT/vpcflowlogs/REGION/`, or its Hive form) or a VPC's query logs
 * (`AWSLogs/ACCOUNT/vpcdnsquerylogs/VPC-ID/`).
 */
interface Stream {
  type: S3LogType;
  prefix: string;
  /** Day folders are `year=YYYY/month=MM/day=DD/`. */
  hive: boolean;
  /** Last day (epoch day number) up to which every day prefix is complete, from the cursor store. */
  completeThrough: number | undefined;
}

/** True for a key CloudTrail writes event records to: `.json.gz`, not a digest. */
export function isCloudTrailLogKey(key: string): boolean {
  return key.endsWith('.json.gz') && !isDigestKey(key);
}

function isDigestKey(key: string): boolean {
  return key.includes('CloudTrail-Digest/') || key.includes('_CloudTrail-Digest_');
}

/** The log type an S3 key's layout names (`/CloudTrail/`, `/vpcflowlogs/`, `/vpcdnsquerylogs/`, Hive forms), as `sniffPath`. */
export function logTypeOfKey(key: string): S3LogType | undefined {
  switch (sniffPath(key)) {
    case 'cloudtrail':
      return 'cloudtrail';
    case 'vpcflow':
      return 'vpcflowlogs';
    case 'route53-resolver':
      return 'vpcdnsquerylogs';
    default:
      return undefined;
  }
}

/**
 * Whether an object of a log type is read: CloudTrail's `.json.gz` (digests are not), flow and query logs' `.log.gz`
 * or `.log`; Parquet (flow logs can be delivered as Parquet, which is not parsed) and anything else are skipped.
 */
export function classifyLogKey(type: S3LogType, key: string): 'log' | SkipReason {
  if (key.toLowerCase().endsWith('.parquet')) return 'parquet';
  if (type === 'cloudtrail') return isCloudTrailLogKey(key) ? 'log' : isDigestKey(key) ? 'digest' : 'other';
  return key.endsWith('.log.gz') || key.endsWith('.log') ? 'log' : 'other';
}

/**
 * Whether an announced key (an SQS notification) is read: by the type its path names; a key whose path names no
 * type is read when it looks like a CloudTrail file (`.json.gz`, not a digest), as before flow and query logs.
 */
export function classifyAnnouncedKey(key: string): 'log' | SkipReason {
  return classifyLogKey(logTypeOfKey(key) ?? 'cloudtrail', key);
}

/**
 * The delivery time in a log file name (`ACCOUNT_CloudTrail_REGION_20240501T0005Z_unique.json.gz`,
 * `ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_20240501T0005Z_hash.log.gz`, `VPCID_vpcdnsquerylogs_ACCOUNT_20240501T0005Z_hash.log.gz`),
 * as a sortable string; the empty string when the name does not have one (such keys sort first, by key).
 */
export function cloudTrailKeyTime(key: string): string {
  return /_(\d{8}T\d{4,6}Z)_[^/]*$/.exec(key)?.[1] ?? '';
}

/** Orders objects oldest first across accounts and regions: by the time in the file name, then by key. */
export function compareCloudTrailKeys(a: string, b: string): number {
  const ta = cloudTrailKeyTime(a);
  const tb = cloudTrailKeyTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Epoch day number of a YYYY-MM-DD date; throws a SourceError for anything else. */
function parseDay(source: string, value: string, what: string): number {
  const m = DATE_RE.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new SourceError(source, `${what} is not a date (YYYY-MM-DD): ${JSON.stringify(value)}`);
  }
  return ms / DAY_MS;
}

function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day's folder under a stream's prefix: `YYYY/MM/DD/`, or `year=YYYY/month=MM/day=DD/` in the Hive layout. */
function dayFolder(day: number, hive: boolean): string {
  const [y, m, d] = formatDay(day).split('-');
  return hive ? `year=${y}/month=${m}/day=${d}/` : `${y}/${m}/${d}/`;
}

/**
 * Reads one S3 object and decodes it like a file (gzip by magic bytes, the same size limit). The object's content
 * being unusable (truncated or corrupt gzip, too large, deleted since it was listed) is an `InputError` naming
 * `s3://bucket/key`; not being able to fetch it (access, network) is a `SourceError`, so the service retries it.
 */
export async function readS3Object(s3: S3Client, source: string, bucket: string, key: string, signal?: AbortSignal): Promise<ReadDocument> {
  const location = `s3://${bucket}/${key}`;
  let bytes: Uint8Array;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
    if (out.ContentLength !== undefined && out.ContentLength > MAX_DOCUMENT_BYTES) {
      // Refused before downloading: the decompressed document could only be larger.
      throw new InputError(location, `object size ${out.ContentLength} exceeds ${MAX_DOCUMENT_BYTES} bytes`);
    }
    if (!out.Body) throw new InputError(location, 'the object has no body');
    bytes = await out.Body.transformToByteArray();
  } catch (err) {
    if (err instanceof InputError) throw err;
    const name = (err as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound')
      throw new InputError(location, 'no such object (deleted since it was announced or listed)', { cause: err });
    if (name === 'AccessDenied') {
      throw new SourceError(source, `access denied reading ${location} (s3:GetObject, and kms:Decrypt when the trail uses SSE-KMS)`, { cause: err });
    }
    throw new SourceError(source, `cannot read ${location}: ${describeError(err)}`, { cause: err });
  }
  return decodeDocument(location, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * A bucket in the `AWSLogs/` layout as a source: CloudTrail, and optionally VPC Flow Logs and Route 53 Resolver query
 * logs (`logTypes`). Each poll lists the day prefixes from the first day not known to be complete up to today (UTC),
 * per stream (a trail's account and region, a flow log's account and region, a VPC's query logs), and returns the log
 * objects whose ETag is not checkpointed, oldest first. `StartAfter` is deliberately not used: CloudTrail can deliver
 * a file into a day prefix after later ones, so the last `lookbackDays` days are listed in full every poll; an older
 * day whose objects are all done is recorded as complete (per stream, contiguously) and not listed again.
 */
export class S3Source extends PolledSource {
  private readonly o: S3SourceOptions;
  private readonly base: string;
  private readonly lookbackDays: number;
  private readonly rediscoverMs: number;
  private readonly now: () => number;
  private readonly configuredStart: number | undefined;
  private readonly logTypes: ReadonlySet<S3LogType>;
  private streams: Stream[] = [];
  private discoveredAt: number | undefined;
  /** Objects the last poll found not done. */
  private backlogCount = 0;
  /** The oldest complete day the checkpoints were last pruned for, so pruning runs when it can free something. */
  private prunedThrough: number | undefined;
  /** Objects skipped so far, each counted once. */
  private readonly skipped: SkippedCounts = { digest: 0, parquet: 0, other: 0 };
  /** The skipped keys of day prefixes still listed, so a key listed again is not counted again (dropped once complete). */
  private readonly skippedKeys = new Map<string, Set<string>>();

  constructor(o: S3SourceOptions) {
    super(o.name);
    this.o = o;
    const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.base = `${prefix ? `${prefix}/` : ''}AWSLogs/`;
    this.lookbackDays = o.lookbackDays ?? 2;
    if (!Number.isInteger(this.lookbackDays) || this.lookbackDays < 0)
      throw new SourceError(o.name, `lookbackDays must be a whole number >= 0, not ${o.lookbackDays}`);
    this.rediscoverMs = o.rediscoverMs ?? 3_600_000;
    this.now = o.now ?? Date.now;
    this.configuredStart = o.startDate !== undefined ? parseDay(o.name, o.startDate, 'startDate') : undefined;
    for (const a of o.accounts ?? []) if (!ACCOUNT_RE.test(a)) throw new SourceError(o.name, `not an account id (12 digits): ${JSON.stringify(a)}`);
    if (o.organizationId !== undefined && o.organizationId !== 'auto' && !ORG_RE.test(o.organizationId)) {
      throw new SourceError(o.name, `organizationId must be 'auto' or an organization id (o-...), not ${JSON.stringify(o.organizationId)}`);
    }
    const types = o.logTypes ?? ['cloudtrail'];
    if (types.length === 0) throw new SourceError(o.name, `logTypes is empty: give one or more of ${S3_LOG_TYPES.join(', ')}`);
    for (const t of types) {
      if (!S3_LOG_TYPES.includes(t)) throw new SourceError(o.name, `not a log type (${S3_LOG_TYPES.join(', ')}): ${JSON.stringify(t)}`);
    }
    this.logTypes = new Set(types);
    for (const v of o.vpcs ?? []) if (!VPC_RE.test(v)) throw new SourceError(o.name, `not a VPC id (vpc-...): ${JSON.stringify(v)}`);
  }

  /** `s3://bucket/prefix/AWSLogs/`, for messages. */
  get location(): string {
    return `s3://${this.o.bucket}/${this.base}`;
  }

  poll(max: number, signal?: AbortSignal): Promise<SourceObject[]> {
    return this.recordingError(() => this.pollInner(max, signal));
  }

  override stats(): S3SourceStats {
    return { ...super.stats(), skipped: { ...this.skipped } };
  }

  protected backlog(): number {
    return this.backlogCount;
  }

  private async pollInner(max: number, signal?: AbortSignal): Promise<SourceObject[]> {
    const now = this.now();
    const today = Math.floor(now / DAY_MS);
    if (this.discoveredAt === undefined || now - this.discoveredAt >= this.rediscoverMs) {
      this.streams = await this.discover(signal);
      this.discoveredAt = now;
    }
    const start = this.startDay(today);
    const windowStart = today - this.lookbackDays;
    const checkpoints = this.o.checkpoints;

    // Per stream: the first day to list, and whether every day listed so far was complete (the cursor only advances
    // over contiguous complete days, so a day with objects still pending is listed again next poll).
    const state = this.streams.map((r) => ({ r, from: Math.max(start, (r.completeThrough ?? start - 1) + 1), contiguous: true }));
    const found: SourceObject[] = [];
    const first = Math.min(...state.map((s) => s.from), today + 1);
    for (let day = first; day <= today; day++) {
      for (const s of state) {
        if (day < s.from) continue;
        const dayPrefix = s.r.prefix + dayFolder(day, s.r.hive);
        const listed = await this.listDay(s.r.type, dayPrefix, signal);
        const pending = listed.filter((x) => !checkpoints.isDone(this.name, x.key, x.version));
        found.push(...pending);
        if (s.contiguous && pending.length === 0 && day < windowStart) {
          s.r.completeThrough = day;
          checkpoints.setCursor(this.name, cursorName(s.r.prefix), `${formatDay(start)}/${formatDay(day)}`, now);
          // Not listed again: its skipped objects cannot be counted twice.
          this.skippedKeys.delete(dayPrefix);
        } else {
          s.contiguous = false;
        }
      }
      // Whole days only: a day is either listed for every stream or not at all, so the oldest objects come first.
      if (found.length >= max) break;
    }
    this.prune();
    found.sort((a, b) => compareCloudTrailKeys(a.key, b.key));
    this.backlogCount = found.length;
    this.lastPollAt = now;
    return found.slice(0, Math.max(0, max));
  }

  /** The first day to read: configured, or remembered from the first poll so a restart days later skips nothing. */
  private startDay(today: number): number {
    if (this.configuredStart !== undefined) return this.configuredStart;
    const saved = this.o.checkpoints.getCursor(this.name, 'startDate');
    if (saved !== undefined) return parseDay(this.name, saved, 'the saved start date');
    const start = today - 1;
    this.o.checkpoints.setCursor(this.name, 'startDate', formatDay(start), this.now());
    return start;
  }

  /**
   * Forgets checkpoints no day prefix still listed can need: those done before the oldest day complete in every
   * stream (a day's objects are done on or after that day; one day's margin covers clock skew with the delivery).
   */
  private prune(): void {
    if (this.streams.length === 0) return;
    let through = Number.POSITIVE_INFINITY;
    for (const r of this.streams) through = Math.min(through, r.completeThrough ?? Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(through) || through === this.prunedThrough) return;
    this.o.checkpoints.prune(this.name, through * DAY_MS);
    this.prunedThrough = through;
  }

  /** The streams to read: configured parts as given, the others listed with Delimiter '/'. */
  private async discover(signal?: AbortSignal): Promise<Stream[]> {
    const { accounts, regions, vpcs } = this.o;
    const out: Stream[] = [];
    const add = (type: S3LogType, prefix: string, hive = false) => {
      out.push({ type, prefix, hive, completeThrough: this.savedCompleteThrough(prefix) });
    };
    // `AWSLogs/` itself is listed at most once per discovery, and only when something needs it.
    let root: Promise<string[]> | undefined;
    const listRoot = () => {
      root ??= this.listFolders(this.base, signal);
      return root;
    };

    if (this.logTypes.has('cloudtrail')) {
      for (const folder of await this.trailAccountFolders(listRoot, signal)) {
        const trail = `${folder}CloudTrail/`;
        for (const region of regions ?? (await this.listFolders(trail, signal))) add('cloudtrail', `${trail}${region}/`);
      }
    }

    const flow = this.logTypes.has('vpcflowlogs');
    const dns = this.logTypes.has('vpcdnsquerylogs');
    if (flow || dns) {
      // Flow logs and query logs are delivered per account directly under AWSLogs/, never under an organization folder.
      let plain: string[];
      let hive: string[];
      if (accounts) {
        plain = accounts;
        hive = flow ? accounts : [];
      } else {
        const names = await listRoot();
        plain = names.filter((n) => ACCOUNT_RE.test(n));
        hive = names.flatMap((n) => HIVE_ACCOUNT_RE.exec(n)?.[1] ?? []);
      }
      for (const a of plain) {
        if (flow) {
          const folder = `${this.base}${a}/vpcflowlogs/`;
          for (const region of regions ?? (await this.listFolders(folder, signal))) add('vpcflowlogs', `${folder}${region}/`);
        }
        if (dns) {
          const folder = `${this.base}${a}/vpcdnsquerylogs/`;
          const listed = vpcs ?? (await this.listFolders(folder, signal)).filter((v) => VPC_RE.test(v));
          for (const vpc of listed) add('vpcdnsquerylogs', `${folder}${vpc}/`);
        }
      }
      if (flow) {
        for (const a of hive) {
          // Listed even for configured accounts and regions: whether a flow log uses the Hive layout is not configured.
          const folder = `${this.base}aws-account-id=${a}/aws-service=vpcflowlogs/`;
          for (const name of await this.listFolders(folder, signal)) {
            const region = HIVE_REGION_RE.exec(name)?.[1];
            if (region && (!regions || regions.includes(region))) add('vpcflowlogs', `${folder}${name}/`, true);
          }
        }
      }
    }
    return out;
  }

  /** The trail's account folders (`AWSLogs/[o-id/]ACCOUNT/`): configured ones as given, the others listed. */
  private async trailAccountFolders(listRoot: () => Promise<string[]>, signal?: AbortSignal): Promise<string[]> {
    const { accounts, organizationId } = this.o;
    const accountFolders: string[] = [];
    if (organizationId !== undefined && organizationId !== 'auto') {
      const root = `${this.base}${organizationId}/`;
      const listed = accounts ? accounts : (await this.listFolders(root, signal)).filter((n) => ACCOUNT_RE.test(n));
      accountFolders.push(...listed.map((a) => `${root}${a}/`));
    } else if (accounts && organizationId === undefined) {
      accountFolders.push(...accounts.map((a) => `${this.base}${a}/`));
    } else {
      for (const name of await listRoot()) {
        if (ACCOUNT_RE.test(name)) {
          if (!accounts || accounts.includes(name)) accountFolders.push(`${this.base}${name}/`);
        } else if (ORG_RE.test(name)) {
          for (const a of await this.listFolders(`${this.base}${name}/`, signal)) {
            if (ACCOUNT_RE.test(a) && (!accounts || accounts.includes(a))) accountFolders.push(`${this.base}${name}/${a}/`);
          }
        }
      }
    }
    return accountFolders;
  }

  /** The cursor `FROM/THROUGH`; ignored when the start date moved before FROM, so the earlier days are read. */
  private savedCompleteThrough(prefix: string): number | undefined {
    const saved = this.o.checkpoints.getCursor(this.name, cursorName(prefix));
    const m = saved ? /^(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(saved) : null;
    if (!m) return undefined;
    const from = parseDay(this.name, m[1]!, 'a saved cursor');
    const start = this.configuredStart ?? from;
    return start < from ? undefined : parseDay(this.name, m[2]!, 'a saved cursor');
  }

  /** The folder names directly under `prefix` (all pages). */
  private async listFolders(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    for await (const page of this.pages(prefix, '/', signal)) {
      for (const cp of page.CommonPrefixes ?? []) {
        const name = cp.Prefix?.slice(prefix.length).replace(/\/$/, '');
        if (name) names.push(name);
      }
    }
    return names.sort();
  }

  /**
   * The log objects of a type in one day folder (all pages, hour folders below it included); digests, Parquet and
   * other files are left out and counted.
   */
  private async listDay(type: S3LogType, prefix: string, signal?: AbortSignal): Promise<SourceObject[]> {
    const out: SourceObject[] = [];
    for await (const page of this.pages(prefix, undefined, signal)) {
      for (const c of page.Contents ?? []) {
        if (!c.Key) continue;
        const verdict = classifyLogKey(type, c.Key);
        if (verdict !== 'log') {
          this.countSkipped(prefix, c.Key, verdict);
          continue;
        }
        out.push(this.object(c.Key, stripQuotes(c.ETag ?? ''), c.LastModified?.getTime() ?? 0, c.Size ?? 0));
      }
    }
    return out;
  }

  private countSkipped(dayPrefix: string, key: string, reason: SkipReason): void {
    let keys = this.skippedKeys.get(dayPrefix);
    if (!keys) {
      keys = new Set();
      this.skippedKeys.set(dayPrefix, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    this.skipped[reason]++;
  }

  private object(key: string, etag: string, modifiedAt: number, size: number): SourceObject {
    const { s3, bucket } = this.o;
    const name = this.name;
    return {
      source: name,
      key: `s3://${bucket}/${key}`,
      // An object without an ETag (not seen from S3 itself) falls back to size and time, which change with the content too.
      version: etag || `${size}:${modifiedAt}`,
      modifiedAt,
      read: () => readS3Object(s3, name, bucket, key),
    };
  }

  private async *pages(prefix: string, delimiter: string | undefined, signal?: AbortSignal): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.o.s3.send(
          new ListObjectsV2Command({
            Bucket: this.o.bucket,
            Prefix: prefix,
            ...(delimiter ? { Delimiter: delimiter } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        throw this.listError(prefix, err);
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private listError(prefix: string, err: unknown): SourceError {
    const where = `s3://${this.o.bucket}/${prefix}`;
    const name = (err as Error).name;
    if (name === 'NoSuchBucket') return new SourceError(this.name, `bucket ${this.o.bucket} does not exist (listing ${where})`, { cause: err });
    if (name === 'AccessDenied') {
      return new SourceError(this.name, `access denied listing ${where} (needs s3:ListBucket on ${this.o.bucket} for prefix ${this.base})`, { cause: err });
    }
    return new SourceError(this.name, `cannot list ${where}: ${describeError(err)}`, { cause: err });
  }
}

function cursorName(prefix: string): string {
  return `complete:${prefix}`;
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
