import type Database from 'better-sqlite3';

/**
 * Which log objects `serve` has already read, in the findings database. The service commits an object's events and
 * `markDone` in one transaction, so after a crash an object is either fully counted and done, or neither: nothing is
 * read twice into counts and nothing is skipped. Besides, a few named cursors per source (e.g. the S3 day prefixes
 * known to be complete) let a source avoid re-listing what can no longer change.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS source_objects (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  version TEXT NOT NULL,
  done_at INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS source_objects_done_at ON source_objects (source, done_at);
CREATE TABLE IF NOT EXISTS source_cursors (
  source TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, name)
) WITHOUT ROWID;
`;

export interface DoneObject {
  source: string;
  key: string;
  version: string;
  doneAt: number;
  events: number;
}

export class CheckpointStore {
  private readonly selectVersion: Database.Statement<[string, string], { version: string }>;
  private readonly upsertDone: Database.Statement<[string, string, string, number, number]>;
  private readonly countDone: Database.Statement<[string], { n: number }>;
  private readonly selectDone: Database.Statement<[string, string], { version: string; done_at: number; events: number }>;
  private readonly selectCursor: Database.Statement<[string, string], { value: string }>;
  private readonly upsertCursor: Database.Statement<[string, string, string, number]>;
  private readonly deleteCursorStmt: Database.Statement<[string, string]>;
  private readonly pruneStmt: Database.Statement<[string, number]>;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.selectVersion = db.prepare('SELECT version FROM source_objects WHERE source = ? AND key = ?');
    // A re-read object (its version changed) replaces the old row: the table holds the latest version read.
    this.upsertDone = db.prepare(
      `INSERT INTO source_objects (source, key, version, done_at, events) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source, key) DO UPDATE SET version = excluded.version, done_at = excluded.done_at, events = excluded.events`,
    );
    this.countDone = db.prepare('SELECT count(*) AS n FROM source_objects WHERE source = ?');
    this.selectDone = db.prepare('SELECT version, done_at, events FROM source_objects WHERE source = ? AND key = ?');
    this.selectCursor = db.prepare('SELECT value FROM source_cursors WHERE source = ? AND name = ?');
    this.upsertCursor = db.prepare(
      `INSERT INTO source_cursors (source, name, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (source, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.deleteCursorStmt = db.prepare('DELETE FROM source_cursors WHERE source = ? AND name = ?');
    this.pruneStmt = db.prepare('DELETE FROM source_objects WHERE source = ? AND done_at < ?');
  }

  /** True when this version of the object was committed; a changed version (the content changed) is not done. */
  isDone(source: string, key: string, version: string): boolean {
    return this.selectVersion.get(source, key)?.version === version;
  }

  /**
   * Records the object as read. Called by the service inside the transaction that commits the object's events, so
   * it opens no transaction of its own (better-sqlite3 would turn a nested one into a savepoint, but the point is
   * that the caller decides what commits together).
   */
  markDone(source: string, key: string, version: string, now: number, events: number): void {
    this.upsertDone.run(source, key, version, now, events);
  }

  /** The row for one object, if it was ever done (any version). */
  get(source: string, key: string): DoneObject | undefined {
    const r = this.selectDone.get(source, key);
    return r ? { source, key, version: r.version, doneAt: r.done_at, events: r.events } : undefined;
  }

  doneCount(source: string): number {
    return this.countDone.get(source)?.n ?? 0;
  }

  getCursor(source: string, name: string): string | undefined {
    return this.selectCursor.get(source, name)?.value;
  }

  setCursor(source: string, name: string, value: string, now: number = Date.now()): void {
    this.upsertCursor.run(source, name, value, now);
  }

  deleteCursor(source: string, name: string): void {
    this.deleteCursorStmt.run(source, name);
  }

  /**
   * Forgets the objects done before `olderThan` (epoch ms) and returns how many. Only safe for objects the source
   * will never list again (S3 day prefixes remembered as complete); a pruned object that is listed again is read again.
   */
  prune(source: string, olderThan: number): number {
    return this.pruneStmt.run(source, olderThan).changes;
  }

  /** Runs `fn` in one transaction (for callers and tests that mark objects outside the service's own transaction). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
