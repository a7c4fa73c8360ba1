/**
 * S3 (REST-XML, path-style): ListBuckets, ListObjectsV2 (prefix, delimiter, paging), GetObject / HeadObject (the
 * files under the bucket's directory), HeadBucket, bucket logging and the bucket's public access block. Files and
 * directories whose name starts with `.` are invisible, so a writer can write a temporary file and rename it. Only
 * regular files and real directories are objects: a symbolic link (which could point out of the bucket) is not.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { Bucket } from '../account.js';
import { type CallContext, LabServiceError, type Operation, type ServiceDef } from '../protocols/common.js';
import { S3_NS, type S3Request } from '../protocols/rest-s3.js';
import { parseXml, XmlSyntaxError } from '../protocols/xml.js';

/** What an S3 handler answers: status, headers, and an XML document or a body (buffer or stream). */
export interface S3Result {
  status?: number;
  headers?: Record<string, string>;
  xml?: Record<string, unknown>;
  body?: Buffer | Readable;
}

type Op = Operation<S3Request, S3Result>;

const bucketArn = (name: string) => `arn:aws:s3:::${name}`;

function bucket(ctx: CallContext, name: string | undefined): Bucket {
  const b = name ? ctx.account.buckets.get(name) : undefined;
  if (!b) throw new LabServiceError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: name ?? '' });
  return b;
}

function baseParams(r: S3Request): Record<string, unknown> {
  return { bucketName: r.bucket, Host: String(r.headers.host ?? '') };
}

function bucketResources(r: S3Request, ctx: CallContext) {
  return [{ accountId: ctx.account.accountId, type: 'AWS::S3::Bucket', ARN: bucketArn(r.bucket ?? '') }];
}

// ---------------------------------------------------------------- objects on disk

interface ObjectInfo {
  key: string;
  path: string;
  size: number;
  mtime: Date;
}

const etags = new Map<string, { stamp: string; etag: string }>();

/** Opening never follows a symbolic link in the last path component (where the platform has O_NOFOLLOW). */
const OPEN_NOFOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

class NotAnObject extends Error {}

/** Opens a regular file without following a link; the handle is closed again when it is not one. */
async function openRegular(path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await open(path, OPEN_NOFOLLOW);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotAnObject(path);
    return { handle, stats };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function etagOf(o: ObjectInfo, handle?: FileHandle): Promise<string> {
  const stamp = `${o.size}:${o.mtime.getTime()}`;
  const cached = etags.get(o.path);
  if (cached?.stamp === stamp) return cached.etag;
  let content: Buffer;
  if (handle) content = await handle.readFile();
  else {
    const f = await openRegular(o.path);
    try {
      content = await f.handle.readFile();
    } finally {
      await f.handle.close();
    }
  }
  const etag = `"${createHash('md5').update(content).digest('hex')}"`;
  if (etags.size > 10_000) etags.clear();
  etags.set(o.path, { stamp, etag });
  return etag;
}

/** Every visible file under the bucket's directory, sorted by key. */
async function listFiles(b: Bucket): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path, `${prefix}${e.name}/`);
      else if (e.isFile()) {
        let s: Stats;
        try {
          s = await lstat(path);
          if (!s.isFile()) continue;
        } catch {
          continue;
        }
        out.push({ key: `${prefix}${e.name}`, path, size: s.size, mtime: s.mtime });
      }
    }
  };
  await walk(b.dir, '');
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The file behind a key, opened, or NoSuchKey. Keys never leave the bucket's directory: no `..`, every directory on
 * the way is a real directory (lstat), and the file itself is a regular file opened without following a link (a
 * link swapped in after the checks fails to open). The caller closes the handle (a read stream does it by itself).
 */
async function openObject(b: Bucket, key: string): Promise<{ info: ObjectInfo; handle: FileHandle }> {
  const parts = key.split('/');
  const noSuchKey = new LabServiceError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.') || p.includes('\\') || p.includes('\0')) || (sep !== '/' && key.includes(sep)))
    throw noSuchKey;
  try {
    let dir = b.dir;
    for (const p of parts.slice(0, -1)) {
      dir = join(dir, p);
      if (!(await lstat(dir)).isDirectory()) throw noSuchKey;
    }
    const path = join(dir, parts[parts.length - 1]!);
    if (!(await lstat(path)).isFile()) throw noSuchKey;
    const { handle, stats } = await openRegular(path);
    return { info: { key, path, size: stats.size, mtime: stats.mtime }, handle };
  } catch {
    throw noSuchKey;
  }
}

function contentType(key: string): string {
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.txt') || key.endsWith('.log')) return 'text/plain';
  return 'application/octet-stream';
}

async function objectHeaders(o: ObjectInfo, handle: FileHandle): Promise<Record<string, string>> {
  return {
    'content-type': contentType(o.key),
    'content-length': String(o.size),
    etag: await etagOf(o, handle),
    'last-modified': o.mtime.toUTCString(),
    'accept-ranges': 'bytes',
  };
}

// ---------------------------------------------------------------- list paging

function encodeKey(s: string, url: boolean): string {
  return url ? encodeURIComponent(s).replace(/%2F/g, '/') : s;
}

async function listObjectsV2(r: S3Request, ctx: CallContext): Promise<S3Result> {
  const b = bucket(ctx, r.bucket);
  const q = r.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new LabServiceError('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  const limit = Math.min(maxKeys, 1000);
  const token = q.get('continuation-token') ?? undefined;
  let after = q.get('start-after') ?? '';
  if (token !== undefined) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!decoded.startsWith('k:')) throw new LabServiceError('InvalidArgument', 'The continuation token provided is incorrect', 400);
    after = decoded.slice(2);
  }
  const url = q.get('encoding-type') === 'url';
  const contents: ObjectInfo[] = [];
  const common: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const o of await listFiles(b)) {
    if (!o.key.startsWith(prefix)) continue;
    if (after && (o.key <= after || (delimiter && after.endsWith(delimiter) && o.key.startsWith(after)))) continue;
    let item: string = o.key;
    let isPrefix = false;
    if (delimiter) {
      const at = o.key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        item = o.key.slice(0, at + delimiter.length);
        isPrefix = true;
        if (item === last) continue;
      }
    }
    if (contents.length + common.length >= limit) {
      truncated = limit > 0;
      break;
    }
    if (isPrefix) common.push(item);
    else contents.push(o);
    last = item;
  }
  const xContents = await Promise.all(
    contents.map(async (o) => ({
      Key: encodeKey(o.key, url),
      LastModified: o.mtime.toISOString(),
      ETag: await etagOf(o),
      Size: o.size,
      StorageClass: 'STANDARD',
    })),
  );
  return {
    xml: {
      ListBucketResult: {
        '@_xmlns': S3_NS,
        Name: b.name,
        Prefix: encodeKey(prefix, url),
        ...(delimiter ? { Delimiter: encodeKey(delimiter, url) } : {}),
        MaxKeys: maxKeys,
        ...(url ? { EncodingType: 'url' } : {}),
        KeyCount: contents.length + common.length,
        IsTruncated: truncated,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
        ...(truncated && last !== undefined ? { NextContinuationToken: Buffer.from(`k:${last}`).toString('base64url') } : {}),
        ...(q.has('start-after') ? { StartAfter: encodeKey(q.get('start-after') ?? '', url) } : {}),
        Contents: xContents,
        CommonPrefixes: common.map((p) => ({ Prefix: encodeKey(p, url) })),
      },
    },
  };
}

// ---------------------------------------------------------------- bucket configuration bodies

function xmlBody(r: S3Request, root: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(r.body.toString('utf8'));
  } catch (e) {
    if (e instanceof XmlSyntaxError)
      throw new LabServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
    throw e;
  }
  const node = doc[root];
  if (node === undefined)
    throw new LabServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : {};
}

const BPA_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

function flag(v: unknown): boolean {
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === 'TRUE' || v === 'True') return true;
  if (v === 'false' || v === 'FALSE' || v === 'False') return false;
  throw new LabServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
}

function bpaFromBody(r: S3Request) {
  const node = xmlBody(r, 'PublicAccessBlockConfiguration');
  return Object.fromEntries(BPA_FLAGS.map((f) => [f, flag(node[f])])) as Record<(typeof BPA_FLAGS)[number], boolean>;
}

function loggingFromBody(r: S3Request): { targetBucket: string; targetPrefix: string } | undefined {
  const node = xmlBody(r, 'BucketLoggingStatus');
  const le = node.LoggingEnabled;
  if (le === undefined) return undefined;
  const l = (le && typeof le === 'object' ? le : {}) as Record<string, unknown>;
  const target = typeof l.TargetBucket === 'string' ? l.TargetBucket : '';
  if (!target) throw new LabServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  return { targetBucket: target, targetPrefix: typeof l.TargetPrefix === 'string' ? l.TargetPrefix : '' };
}

/** The body as CloudTrail shows it in requestParameters (never fails: a bad body is reported by the handler). */
function bodyParams(r: S3Request, root: string): Record<string, unknown> | undefined {
  try {
    const node = xmlBody(r, root);
    const convert = (v: unknown): unknown => {
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (v && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === '@_xmlns' ? 'xmlns' : k.replace(/^@_/, ''), convert(x)]));
      return v;
    };
    return convert(node) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- operations

const operations: Record<string, Op> = {
  ListBuckets: {
    action: 's3:ListAllMyBuckets',
    readOnly: true,
    params: (r) => ({ Host: String(r.headers.host ?? '') }),
    run(_r, ctx) {
      const owner = { ID: createHash('sha256').update(ctx.account.accountId).digest('hex'), DisplayName: 'trailhound-lab' };
      return {
        result: {
          xml: {
            ListAllMyBucketsResult: {
              '@_xmlns': S3_NS,
              Owner: owner,
              Buckets: {
                Bucket: [...ctx.account.buckets.values()].map((b) => ({ Name: b.name, CreationDate: b.creationDate.toISOString(), BucketRegion: b.region })),
              },
            },
          },
        },
      };
    },
  },
  HeadBucket: {
    action: 's3:ListBucket',
    readOnly: true,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: baseParams,
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      return { result: { headers: { 'x-amz-bucket-region': b.region } } };
    },
  },
  ListObjectsV2: {
    action: 's3:ListBucket',
    eventName: 'ListObjects',
    readOnly: true,
    data: true,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    conditions: (r) => ({
      's3:prefix': r.query.get('prefix') ?? undefined,
      's3:delimiter': r.query.get('delimiter') ?? undefined,
      's3:max-keys': r.query.get('max-keys') ?? undefined,
    }),
    params: (r) => {
      const out: Record<string, unknown> = baseParams(r);
      for (const k of ['list-type', 'prefix', 'delimiter', 'max-keys', 'start-after', 'continuation-token', 'encoding-type']) {
        const v = r.query.get(k);
        if (v !== null) out[k] = v;
      }
      return out;
    },
    trailResources: bucketResources,
    run: async (r, ctx) => ({ result: await listObjectsV2(r, ctx) }),
  },
  GetObject: {
    action: 's3:GetObject',
    readOnly: true,
    data: true,
    resources: (r) => [`${bucketArn(r.bucket ?? '')}/${r.key ?? ''}`],
    params: (r) => ({ ...baseParams(r), key: r.key }),
    trailResources: (r, ctx) => [{ type: 'AWS::S3::Object', ARN: `${bucketArn(r.bucket ?? '')}/${r.key ?? ''}` }, ...bucketResources(r, ctx)],
    async run(r, ctx) {
      const { info, handle } = await openObject(bucket(ctx, r.bucket), r.key ?? '');
      let headers: Record<string, string>;
      try {
        headers = await objectHeaders(info, handle);
      } catch (err) {
        await handle.close();
        throw err;
      }
      // From the handle already open (the file checked above), from its start whatever the ETag read did; the stream
      // closes the handle when it ends or is destroyed (the server's pipeline destroys it when the client goes away).
      if (info.size === 0) {
        await handle.close();
        return { result: { headers, body: Buffer.alloc(0) } };
      }
      return { result: { headers, body: handle.createReadStream({ start: 0, end: info.size - 1, autoClose: true }) } };
    },
  },
  HeadObject: {
    action: 's3:GetObject',
    readOnly: true,
    data: true,
    resources: (r) => [`${bucketArn(r.bucket ?? '')}/${r.key ?? ''}`],
    params: (r) => ({ ...baseParams(r), key: r.key }),
    trailResources: (r, ctx) => [{ type: 'AWS::S3::Object', ARN: `${bucketArn(r.bucket ?? '')}/${r.key ?? ''}` }, ...bucketResources(r, ctx)],
    async run(r, ctx) {
      const { info, handle } = await openObject(bucket(ctx, r.bucket), r.key ?? '');
      try {
        return { result: { headers: await objectHeaders(info, handle) } };
      } finally {
        await handle.close();
      }
    },
  },
  GetBucketLogging: {
    action: 's3:GetBucketLogging',
    readOnly: true,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: (r) => ({ ...baseParams(r), logging: '' }),
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      return {
        result: {
          xml: {
            BucketLoggingStatus: {
              '@_xmlns': S3_NS,
              ...(b.logging ? { LoggingEnabled: { TargetBucket: b.logging.targetBucket, TargetPrefix: b.logging.targetPrefix } } : {}),
            },
          },
        },
      };
    },
  },
  PutBucketLogging: {
    action: 's3:PutBucketLogging',
    readOnly: false,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: (r) => ({ ...baseParams(r), logging: '', BucketLoggingStatus: bodyParams(r, 'BucketLoggingStatus') ?? {} }),
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      const logging = loggingFromBody(r);
      if (logging && !ctx.account.buckets.has(logging.targetBucket))
        throw new LabServiceError('InvalidTargetBucketForLogging', 'The target bucket for logging does not exist', 400, { TargetBucket: logging.targetBucket });
      b.logging = logging;
      return { result: {} };
    },
  },
  GetPublicAccessBlock: {
    action: 's3:GetBucketPublicAccessBlock',
    eventName: 'GetBucketPublicAccessBlock',
    readOnly: true,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: (r) => ({ ...baseParams(r), publicAccessBlock: '' }),
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      if (!b.publicAccessBlock)
        throw new LabServiceError('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404, { BucketName: b.name });
      return { result: { xml: { PublicAccessBlockConfiguration: { '@_xmlns': S3_NS, ...b.publicAccessBlock } } } };
    },
  },
  PutPublicAccessBlock: {
    action: 's3:PutBucketPublicAccessBlock',
    eventName: 'PutBucketPublicAccessBlock',
    readOnly: false,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: (r) => ({ ...baseParams(r), publicAccessBlock: '', PublicAccessBlockConfiguration: bodyParams(r, 'PublicAccessBlockConfiguration') ?? {} }),
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      b.publicAccessBlock = bpaFromBody(r);
      return { result: {} };
    },
  },
  DeletePublicAccessBlock: {
    action: 's3:PutBucketPublicAccessBlock',
    eventName: 'DeleteBucketPublicAccessBlock',
    readOnly: false,
    resources: (r) => [bucketArn(r.bucket ?? '')],
    params: (r) => ({ ...baseParams(r), publicAccessBlock: '' }),
    trailResources: bucketResources,
    run(r, ctx) {
      const b = bucket(ctx, r.bucket);
      b.publicAccessBlock = undefined;
      return { result: { status: 204 } };
    },
  },
};

export const s3Service: ServiceDef<S3Request> = { name: 's3', eventSource: 's3.amazonaws.com', protocol: 'rest-s3', operations };
