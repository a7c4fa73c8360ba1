import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { CheckpointStore } from './checkpoint.js';

function open(path = join(tempDir(), 'findings.db')): { db: Database.Database; store: CheckpointStore; path: string } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  return { db, store: new CheckpointStore(db), path };
}

describe('CheckpointStore', () => {
  it('tells done objects by source, key and version', () => {
    const { store } = open();
    expect(store.isDone('logs', 'a.json.gz', '10:1')).toBe(false);
    store.markDone('logs', 'a.json.gz', '10:1', 1000, 7);
    expect(store.isDone('logs', 'a.json.gz', '10:1')).toBe(true);
    // A changed version is new content: not done.
    expect(store.isDone('logs', 'a.json.gz', '20:2')).toBe(false);
    // Sources are separate namespaces.
    expect(store.isDone('other', 'a.json.gz', '10:1')).toBe(false);
    store.markDone('logs', 'a.json.gz', '20:2', 2000, 3);
    expect(store.isDone('logs', 'a.json.gz', '10:1')).toBe(false);
    expect(store.get('logs', 'a.json.gz')).toEqual({ source: 'logs', key: 'a.json.gz', version: '20:2', doneAt: 2000, events: 3 });
    expect(store.doneCount('logs')).toBe(1);
    expect(store.doneCount('other')).toBe(0);
  });

  it('survives reopening the database, and a second store on it creates nothing twice', () => {
    const { db, store, path } = open();
    store.markDone('s', 'k', 'v', 1, 1);
    store.setCursor('s', 'startDate', '2024-05-01', 1);
    db.close();
    const again = open(path);
    expect(again.store.isDone('s', 'k', 'v')).toBe(true);
    expect(again.store.getCursor('s', 'startDate')).toBe('2024-05-01');
    expect(() => new CheckpointStore(again.db)).not.toThrow();
  });

  it('commits and rolls back with the caller’s transaction', () => {
    const { db, store } = open();
    db.exec('CREATE TABLE events (id TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO events (id) VALUES (?)');
    const commit = db.transaction((fail: boolean) => {
      insert.run('e1');
      store.markDone('s', 'k', 'v', 1, 1);
      if (fail) throw new Error('crash before commit');
    });
    expect(() => commit(true)).toThrow('crash before commit');
    expect(store.isDone('s', 'k', 'v')).toBe(false);
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
    commit(false);
    expect(store.isDone('s', 'k', 'v')).toBe(true);
  });

  it('keeps cursors per source and name', () => {
    const { store } = open();
    expect(store.getCursor('s', 'c')).toBeUndefined();
    store.setCursor('s', 'c', 'one', 1);
    store.setCursor('s', 'c', 'two', 2);
    store.setCursor('t', 'c', 'other', 2);
    expect(store.getCursor('s', 'c')).toBe('two');
    expect(store.getCursor('t', 'c')).toBe('other');
    store.deleteCursor('s', 'c');
    expect(store.getCursor('s', 'c')).toBeUndefined();
  });

  it('prunes objects done before a time, in one source only', () => {
    const { store } = open();
    store.transaction(() => {
      store.markDone('s', 'old', 'v', 100, 1);
      store.markDone('s', 'new', 'v', 300, 1);
      store.markDone('t', 'old', 'v', 100, 1);
    });
    expect(store.prune('s', 200)).toBe(1);
    expect(store.isDone('s', 'old', 'v')).toBe(false);
    expect(store.isDone('s', 'new', 'v')).toBe(true);
    expect(store.isDone('t', 'old', 'v')).toBe(true);
  });
});
