import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { InputError } from '../core/errors.js';
import type { InputRef } from './discover.js';

const gunzip = promisify(gunzipCb);

/** Largest decompressed document accepted (a CloudTrail file is a few MB; V8 strings stop near 512 MB). */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

export interface ReadDocument {
  path: string;
  text: string;
  /** Bytes read from disk (compressed size for gzip). */
  bytesRead: number;
  /** Bytes after decompression. */
  bytes: number;
  gzip: boolean;
}

/** True when the buffer starts with the gzip magic number; the format is recognised from content, not the name. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Reads one input completely, gunzipping when the content is gzip. Errors name the file and the reason. */
export async function readDocument(input: InputRef): Promise<ReadDocument> {
  let raw: Buffer;
  try {
    raw = input.kind === 'stdin' ? await readStdin() : await readFile(input.path);
  } catch (err) {
    throw new InputError(input.path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  return decodeDocument(input.path, raw);
}

export async function decodeDocument(path: string, raw: Buffer): Promise<ReadDocument> {
  let body = raw;
  const gz = isGzip(raw);
  if (gz) {
    try {
      body = await gunzip(raw, { maxOutputLength: MAX_DOCUMENT_BYTES });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason =
        e.code === 'Z_BUF_ERROR'
          ? 'gzip data is truncated (unexpected end of file)'
          : e.code === 'ERR_BUFFER_TOO_LARGE' || /exceeds/i.test(e.message)
            ? `decompressed size exceeds ${MAX_DOCUMENT_BYTES} bytes`
            : `gzip data is corrupt (${e.message})`;
      throw new InputError(path, reason, { cause: err });
    }
  }
  if (body.length > MAX_DOCUMENT_BYTES) throw new InputError(path, `document exceeds ${MAX_DOCUMENT_BYTES} bytes`);
  return { path, text: body.toString('utf8'), bytesRead: raw.length, bytes: body.length, gzip: gz };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
