import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, type ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

/** An in-memory bucket behind the mocked client; listings page after PAGE entries to exercise continuation. */
export class FakeBucket {
  readonly objects = new Map<string, { body: Buffer; etag: string; lastModified: Date }>();
  readonly listed: ListObjectsV2CommandInput[] = [];
  page = 2;

  constructor(
    private readonly mock: AwsStub<any, any, any>,
    readonly bucket: string,
    private readonly now: number,
  ) {}

  put(key: string, body: Buffer | string, lastModified = new Date(this.now - 60_000)): string {
    const b = Buffer.isBuffer(body) ? body : gzipSync(body);
    this.objects.set(key, { body: b, etag: `"${createHash('md5').update(b).digest('hex')}"`, lastModified });
    return `s3://${this.bucket}/${key}`;
  }

  install(): void {
    this.mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => this.list(input));
    this.mock.on(GetObjectCommand).callsFake((input: { Key: string }): Partial<GetObjectCommandOutput> => {
      const o = this.objects.get(input.Key);
      if (!o) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return { ContentLength: o.body.length, ETag: o.etag, Body: { transformToByteArray: async () => new Uint8Array(o.body) } as never };
    });
  }

  private list(input: ListObjectsV2CommandInput) {
    if (input.Bucket !== this.bucket) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
    this.listed.push(input);
    const prefix = input.Prefix ?? '';
    const entries: Array<{ key?: string; prefix?: string }> = [];
    const seen = new Set<string>();
    for (const key of [...this.objects.keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const cut = input.Delimiter ? rest.indexOf(input.Delimiter) : -1;
      if (cut >= 0) {
        const p = prefix + rest.slice(0, cut + 1);
        if (!seen.has(p)) entries.push({ prefix: p });
        seen.add(p);
      } else entries.push({ key });
    }
    const start = Number(input.ContinuationToken ?? 0);
    const slice = entries.slice(start, start + this.page);
    const more = start + this.page < entries.length;
    return {
      Contents: slice
        .filter((e) => e.key)
        .map((e) => {
          const o = this.objects.get(e.key!)!;
          return { Key: e.key, ETag: o.etag, LastModified: o.lastModified, Size: o.body.length };
        }),
      CommonPrefixes: slice.filter((e) => e.prefix).map((e) => ({ Prefix: e.prefix })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + this.page) } : {}),
    };
  }
}

/** The files under `dir`, recursively (for loading a folder of logs into a FakeBucket). */
export function walkFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walkFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Puts every file under `root` into the bucket as `prefix/<relative path>`, content as is; returns the keys. */
export function putTree(bucket: FakeBucket, root: string, prefix: string): string[] {
  return walkFiles(root).map((file) => {
    const key = `${prefix}/${relative(root, file).split(sep).join('/')}`;
    bucket.put(key, readFileSync(file));
    return key;
  });
}
