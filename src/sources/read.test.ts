import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rejected, tempDir, tempFile } from '../../test/helpers.js';
import { InputError } from '../core/errors.js';
import { decodeDocument, isGzip, MAX_DOCUMENT_BYTES, readDocument } from './read.js';

const DOC = JSON.stringify({ Records: [{ eventName: 'GetUser', note: 'héllo ✓' }] });

describe('isGzip', () => {
  it('looks at the magic number only', () => {
    expect(isGzip(gzipSync('x'))).toBe(true);
    expect(isGzip(Buffer.from([0x1f, 0x8b]))).toBe(true);
    expect(isGzip(Buffer.from([0x1f]))).toBe(false);
    expect(isGzip(Buffer.from([]))).toBe(false);
    expect(isGzip(Buffer.from('{"Records":[]}'))).toBe(false);
    expect(isGzip(Buffer.from([0x8b, 0x1f]))).toBe(false);
  });
});

describe('readDocument', () => {
  it('reads a plain JSON file', async () => {
    const path = tempFile('plain.json', DOC);
    const d = await readDocument({ kind: 'file', path });
    expect(d).toEqual({ path, text: DOC, bytesRead: Buffer.byteLength(DOC), bytes: Buffer.byteLength(DOC), gzip: false });
  });

  it('gunzips a .json.gz file', async () => {
    const gz = gzipSync(DOC);
    const path = tempFile('cloudtrail.json.gz', gz);
    const d = await readDocument({ kind: 'file', path });
    expect(d.text).toBe(DOC);
    expect(d.gzip).toBe(true);
    expect(d.bytesRead).toBe(gz.length);
    expect(d.bytes).toBe(Buffer.byteLength(DOC));
  });

  it('recognises gzip by content: a gzip file named .json is gunzipped', async () => {
    const path = tempFile('actually-gzip.json', gzipSync(DOC));
    const d = await readDocument({ kind: 'file', path });
    expect(d.gzip).toBe(true);
    expect(d.text).toBe(DOC);
  });

  it('recognises plain text by content: a plain file named .gz is read as it is', async () => {
    const path = tempFile('not-really.json.gz', DOC);
    const d = await readDocument({ kind: 'file', path });
    expect(d.gzip).toBe(false);
    expect(d.text).toBe(DOC);
  });

  it('reads an empty file as empty text', async () => {
    const path = tempFile('empty.json', '');
    expect(await readDocument({ kind: 'file', path })).toMatchObject({ text: '', bytes: 0, gzip: false });
  });

  it('gives an InputError naming the file for truncated gzip', async () => {
    const big = gzipSync(JSON.stringify({ Records: Array.from({ length: 2000 }, (_, i) => ({ eventID: `id-${i}`, eventName: 'GetUser' })) }));
    for (const cut of [big.length - 1, big.length - 8, Math.floor(big.length / 2), 10, 2]) {
      const path = tempFile('truncated.json.gz', big.subarray(0, cut));
      const err = await rejected(readDocument({ kind: 'file', path }));
      expect(err, `cut at ${cut}`).toBeInstanceOf(InputError);
      const e = err as InputError;
      expect(e.code).toBe('E_INPUT');
      expect(e.location).toBe(path);
      expect(e.reason).toMatch(/truncated/);
      expect(e.message).toBe(`${path}: ${e.reason}`);
    }
  });

  it('gives an InputError naming the file for corrupt gzip', async () => {
    const gz = Buffer.from(gzipSync(DOC));
    // Damage the deflate stream.
    for (let i = 12; i < gz.length - 8; i++) gz[i] = (gz[i] as number) ^ 0x5a;
    const path = tempFile('corrupt.json.gz', gz);
    const err = await rejected(readDocument({ kind: 'file', path }));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe(path);
    expect((err as InputError).reason).toMatch(/gzip data is corrupt/);
  });

  it('reports a checksum mismatch as corrupt', async () => {
    const gz = Buffer.from(gzipSync(DOC));
    const crcAt = gz.length - 8;
    gz[crcAt] = (gz[crcAt] as number) ^ 0xff;
    const path = tempFile('bad-crc.json.gz', gz);
    await expect(readDocument({ kind: 'file', path })).rejects.toThrow(/gzip data is corrupt/);
  });

  it('reports gzip magic followed by garbage as corrupt', async () => {
    const path = tempFile('garbage.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('this is not deflate data at all, not at all')]));
    const err = await rejected(readDocument({ kind: 'file', path }));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).reason).toMatch(/corrupt|truncated/);
  });

  it('gives an InputError for a missing file and for a directory', async () => {
    const dir = tempDir();
    const missing = join(dir, 'gone.json.gz');
    const err = await rejected(readDocument({ kind: 'file', path: missing }));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe(missing);
    expect((err as InputError).reason).toMatch(/^cannot read: .*ENOENT/);

    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const err2 = await rejected(readDocument({ kind: 'file', path: sub }));
    expect(err2).toBeInstanceOf(InputError);
    expect((err2 as InputError).location).toBe(sub);
  });

  it('decodes UTF-8 content, keeping a byte-order mark for the parser to skip', async () => {
    const path = tempFile('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(DOC)]));
    const d = await readDocument({ kind: 'file', path });
    expect(d.text).toBe(`\ufeff${DOC}`);
  });

  it('handles a multi-megabyte gzip file', async () => {
    const text = JSON.stringify({ Records: [{ eventName: 'X', pad: 'a'.repeat(5 * 1024 * 1024) }] });
    const dir = tempDir();
    const path = join(dir, 'big.json.gz');
    writeFileSync(path, gzipSync(text));
    const d = await readDocument({ kind: 'file', path });
    expect(d.bytes).toBe(text.length);
    expect(d.bytesRead).toBeLessThan(100_000);
  });
});

describe('decodeDocument', () => {
  it('names the given location in errors', async () => {
    const err = await rejected(decodeDocument('-', gzipSync(DOC).subarray(0, 15)));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe('-');
    expect((err as InputError).reason).toMatch(/truncated/);
  });

  it('reads concatenated gzip members as one document', async () => {
    const d = await decodeDocument('multi.gz', Buffer.concat([gzipSync('{"Records":'), gzipSync('[]}')]));
    expect(d.text).toBe('{"Records":[]}');
  });

  it('refuses a gzip bomb: more than 256 MB decompressed is an InputError, not an out-of-memory crash', async () => {
    expect(MAX_DOCUMENT_BYTES).toBe(256 * 1024 * 1024);
    // About 1 MB of gzip that inflates to just over the limit; generated here rather than committed.
    const bomb = gzipSync(Buffer.alloc(MAX_DOCUMENT_BYTES + 1024), { level: 1 });
    const err = await rejected(decodeDocument('bomb.json.gz', bomb));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe('bomb.json.gz');
    expect((err as InputError).reason).toBe(`decompressed size exceeds ${MAX_DOCUMENT_BYTES} bytes`);
  });
});
