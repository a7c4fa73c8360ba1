/**
 * S3's REST-XML protocol, path-style only (`/bucket/key`): which operation a request is, and the error document.
 */
import { LabServiceError } from './common.js';
import { buildXml } from './xml.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface S3Request {
  operation: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  method: string;
}

/**
 * The operation a path-style request names (from the raw request path; `url` gives the query). Operations the lab does not have still get a name (as CloudTrail would
 * call them, roughly: `PutBucketPolicy`, `PutObject`...) so that the refusal can be recorded.
 */
export function s3Route(method: string, url: URL, headers: S3Request['headers'], body: Buffer, rawPath = url.pathname): S3Request {
  // the raw path: dot segments are part of an S3 key, not to be resolved as URL parsing would
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const slash = path.indexOf('/', 1);
  let bucket: string | undefined;
  let key: string | undefined;
  try {
    bucket = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash)) || undefined;
    const rest = slash < 0 ? '' : path.slice(slash + 1);
    key = rest === '' ? undefined : decodeURIComponent(rest);
  } catch {
    throw new LabServiceError('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
  const q = url.searchParams;
  const subs = [...q.keys()].filter((k) => k !== 'x-id' && !k.startsWith('X-Amz-') && !k.startsWith('response-'));
  return { operation: operationName(method, bucket, key, q, subs), bucket, key, query: q, headers, body, method };
}

const VERBS: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', HEAD: 'Head', POST: 'Post' };

function operationName(method: string, bucket: string | undefined, key: string | undefined, q: URLSearchParams, subs: string[]): string {
  const verb = VERBS[method] ?? method;
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${verb}Service`;
  const sub = subs.find(
    (k) =>
      ![
        'list-type',
        'prefix',
        'delimiter',
        'max-keys',
        'continuation-token',
        'start-after',
        'encoding-type',
        'fetch-owner',
        'versionId',
        'partNumber',
      ].includes(k),
  );
  const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  if (key === undefined) {
    if (sub === 'publicAccessBlock') return `${verb}PublicAccessBlock`;
    if (sub) return `${verb}Bucket${cap(sub)}`;
    if (method === 'GET') return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    if (method === 'PUT') return 'CreateBucket';
    return `${verb}Bucket`;
  }
  if (sub) return `${verb}Object${cap(sub)}`;
  return `${verb}Object`;
}

export function s3Error(code: string, message: string, requestId: string, extra: Record<string, string> = {}): string {
  return buildXml({ Error: { Code: code, Message: message, ...extra, RequestId: requestId, HostId: requestId } });
}
