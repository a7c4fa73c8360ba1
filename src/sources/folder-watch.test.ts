import { chmodSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { InputError } from '../core/errors.js';
import { CheckpointStore } from './checkpoint.js';
import { FolderSource } from './folder-watch.js';
import type { SourceObject } from './source.js';

const ACCT = '111122223333';
const NOW = Date.parse('2026-01-01T12:00:00Z');

/** Writes a file whose mtime is `ageMs` before NOW. */
function put(root: string, rel: string, content: string | Buffer, ageMs = 60_000): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  const t = (NOW - ageMs) / 1000;
  utimesSync(path, t, t);
  return path;
}

function doc(id: string): string {
  return JSON.stringify({ Records: [{ eventID: id, eventName: 'GetUser' }] });
}

function setup(o: { settleMs?: number } = {}) {
  const root = tempDir();
  const checkpoints = new CheckpointStore(new Database(join(tempDir(), 'db.sqlite')));
  let now = NOW;
  const source = new FolderSource({ name: 'local', paths: [root], checkpoints, now: () => now, ...o });
  /** Reads and checkpoints objects, as the service does after committing their events. */
  const commit = async (objs: SourceObject[]) => {
    for (const obj of objs) {
      await obj.read();
      checkpoints.markDone(obj.source, obj.key, obj.version, now, 1);
      await obj.ack?.();
    }
  };
  return { root, checkpoints, source, commit, advance: (ms: number) => (now += ms) };
}

const trail = (day: string, name: string) => `AWSLogs/${ACCT}/CloudTrail/us-east-1/2025/12/${day}/${ACCT}_CloudTrail_us-east-1_${name}.json.gz`;

describe('FolderSource', () => {
  it('sees new files across polls, oldest first, and never returns a done one', async () => {
    const { root, source, commit } = setup();
    const a = put(root, trail('31', '20251231T0005Z_a'), gzipSync(doc('a')));
    const b = put(root, trail('31', '20251231T0010Z_b'), gzipSync(doc('b')));
    put(root, `AWSLogs/${ACCT}/CloudTrail-Digest/us-east-1/2025/12/31/digest.json.gz`, gzipSync('{}'));

    const first = await source.poll(10);
    expect(first.map((o) => o.key)).toEqual([a, b]);
    expect(first[0]).toMatchObject({ source: 'local', modifiedAt: NOW - 60_000 });
    expect(first[0]!.version).toMatch(/^\d+:\d+(\.\d+)?$/);
    const d = await first[0]!.read();
    expect(d).toMatchObject({ path: a, gzip: true, text: doc('a') });
    await commit(first);
    expect(await source.poll(10)).toEqual([]);
    expect(source.stats()).toMatchObject({ backlog: 0, lastPollAt: NOW });

    const c = put(root, trail('31', '20251231T0015Z_c'), gzipSync(doc('c')));
    const plain = put(root, 'extra/plain.json', doc('p'));
    const second = await source.poll(10);
    expect(second.map((o) => o.key)).toEqual([c, plain]);
    expect((await second[1]!.read()).gzip).toBe(false);
  });

  it('returns at most max objects and counts the rest as backlog', async () => {
    const { root, source, commit } = setup();
    const paths = ['1', '2', '3'].map((n) => put(root, `f${n}.json`, doc(n)));
    const first = await source.poll(2);
    expect(first.map((o) => o.key)).toEqual(paths.slice(0, 2));
    expect(source.stats().backlog).toBe(3);
    await commit(first);
    expect((await source.poll(2)).map((o) => o.key)).toEqual([paths[2]]);
  });

  it('leaves a file modified less than settleMs ago for a later poll', async () => {
    const { root, source, advance } = setup({ settleMs: 5000 });
    const old = put(root, 'old.json', doc('o'), 10_000);
    const fresh = put(root, 'fresh.json', doc('f'), 1000);
    expect((await source.poll(10)).map((o) => o.key)).toEqual([old]);
    expect(source.stats().backlog).toBe(2);
    advance(4000);
    expect((await source.poll(10)).map((o) => o.key)).toEqual([fresh, old]);
  });

  it('reads a file again when its content changes, or when it is deleted and written anew', async () => {
    const { root, source, commit } = setup();
    const path = put(root, 'grow.json', doc('1'));
    await commit(await source.poll(10));
    expect(await source.poll(10)).toEqual([]);

    writeFileSync(path, `${doc('1')}\n${doc('2')}`);
    utimesSync(path, (NOW - 30_000) / 1000, (NOW - 30_000) / 1000);
    const again = await source.poll(10);
    expect(again.map((o) => o.key)).toEqual([path]);
    await commit(again);

    rmSync(path);
    put(root, 'grow.json', doc('3'), 20_000);
    expect((await source.poll(10)).map((o) => o.key)).toEqual([path]);
  });

  it('keeps its checkpoints across a restart', async () => {
    const { root, checkpoints, source, commit } = setup();
    put(root, 'a.json', doc('a'));
    await commit(await source.poll(10));
    const restarted = new FolderSource({ name: 'local', paths: [root], checkpoints, now: () => NOW });
    expect(await restarted.poll(10)).toEqual([]);
    // Another source name over the same folder has its own checkpoints.
    const other = new FolderSource({ name: 'other', paths: [root], checkpoints, now: () => NOW });
    expect(await other.poll(10)).toHaveLength(1);
  });

  it('reports a missing or unreadable path once, through drainErrors and stats, and still returns the rest', async () => {
    const { root, checkpoints } = setup();
    const good = put(root, 'ok/a.json', doc('a'));
    const missing = join(root, 'missing');
    const source = new FolderSource({ name: 'local', paths: [join(root, 'ok'), missing], checkpoints, now: () => NOW });
    expect((await source.poll(10)).map((o) => o.key)).toEqual([good]);
    const errors = source.drainErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect(errors[0]!.location).toBe(missing);
    expect(source.stats().lastError).toContain('no such file or directory');
    // The same problem on the next poll is not reported again, but stays in stats.
    await source.poll(10);
    expect(source.drainErrors()).toEqual([]);
    expect(source.stats().lastError).toContain(missing);
    // Once it is fixed, stats clear.
    mkdirSync(missing);
    await source.poll(10);
    expect(source.stats().lastError).toBeUndefined();
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable folder and still returns what it could walk', async () => {
    const { root, checkpoints } = setup();
    const readable = put(root, 'a/a.json', doc('a'));
    put(root, 'b-locked/b.json', doc('b'));
    const locked = join(root, 'b-locked');
    chmodSync(locked, 0o000);
    try {
      const source = new FolderSource({ name: 'local', paths: [root], checkpoints, now: () => NOW });
      expect((await source.poll(10)).map((o) => o.key)).toEqual([readable]);
      expect(source.drainErrors().map((e) => e.message)).toEqual([expect.stringMatching(/EACCES/)]);
      expect(source.stats().lastError).toMatch(/EACCES/);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('refuses standard input and an empty path list', () => {
    const checkpoints = new CheckpointStore(new Database(':memory:'));
    expect(() => new FolderSource({ name: 'x', paths: ['-'], checkpoints })).toThrow(/standard input/);
    expect(() => new FolderSource({ name: 'x', paths: [], checkpoints })).toThrow(/no paths/);
  });
});
