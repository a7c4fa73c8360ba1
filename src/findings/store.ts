import Database from 'better-sqlite3';
import { StoreError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import type { Finding } from '../core/finding.js';
import { formatIp } from '../core/ip.js';
import { type Aggregate, composeFinding, type FindingBody, findingBody, latestKey } from './build.js';

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  severity REAL NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  latest TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  published_version INTEGER,
  published_at INTEGER,
  containment TEXT
);
CREATE INDEX IF NOT EXISTS findings_type ON findings (type);
CREATE INDEX IF NOT EXISTS findings_updated ON findings (updated_at);
CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY,
  time INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  event_source TEXT NOT NULL,
  event_name TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  error_code TEXT,
  principal_type TEXT NOT NULL,
  principal_arn TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  access_key_id TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  read_only INTEGER,
  origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE INDEX IF NOT EXISTS events_arn ON events (principal_arn, time);
CREATE INDEX IF NOT EXISTS events_key ON events (access_key_id, time);
CREATE INDEX IF NOT EXISTS events_user ON events (user_name, time);
CREATE INDEX IF NOT EXISTS events_role ON events (role_arn, time);
`;

export interface StoredEvent {
  eventId: string;
  time: string;
  account: string;
  region: string;
  service: string;
  api: string;
  sourceAddress: string;
  userAgent: string;
  errorCode: string | null;
  principalType: string;
  principalArn: string;
  userName: string;
  accessKeyId: string;
  origin: string;
}

export interface FindingQuery {
  types?: string[];
  minSeverity?: number;
  ids?: string[];
}

/**
 * Findings and event history in one SQLite file (WAL). Upserts are atomic: the aggregate columns are
 * merged in SQL (`count + excluded.count`, `min`/`max` of the times, the body of the later event), so two
 * writers or a re-run cannot lose or double an update. `:memory:` gives a throw-away store.
 */
export class FindingStore {
  readonly db: Database.Database;
  private upsertStmt: Database.Statement;
  private insertEventStmt: Database.Statement;

  constructor(readonly path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
      const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
      if (!row) this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
      else if (Number(row.value) === 1) this.migrateFrom1();
      else if (Number(row.value) !== SCHEMA_VERSION)
        throw new StoreError(`${path}: database schema version ${row.value}, this Trailhound needs ${SCHEMA_VERSION}`);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`${path}: cannot open the database: ${(err as Error).message}`, { cause: err });
    }
    this.upsertStmt = this.db.prepare(`
      INSERT INTO findings (id, type, severity, account_id, region, resource_type, count, first_seen, last_seen, latest, created_at, updated_at, archived, body)
      VALUES (@id, @type, @severity, @account, @region, @resourceType, @count, @firstSeen, @lastSeen, @latest, @now, @now, 0, @body)
      ON CONFLICT (id) DO UPDATE SET
        count = findings.count + excluded.count,
        first_seen = min(findings.first_seen, excluded.first_seen),
        last_seen = max(findings.last_seen, excluded.last_seen),
        severity = CASE WHEN excluded.latest > findings.latest THEN excluded.severity ELSE findings.severity END,
        body = CASE WHEN excluded.latest > findings.latest THEN excluded.body ELSE findings.body END,
        latest = max(findings.latest, excluded.latest),
        updated_at = excluded.updated_at,
        version = findings.version + 1,
        archived = 0`);
    this.insertEventStmt = this.db.prepare(`
      INSERT OR IGNORE INTO events (event_id, time, account_id, region, event_source, event_name, source_ip, user_agent, error_code,
        principal_type, principal_arn, principal_id, user_name, access_key_id, role_arn, read_only, origin)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  /** Version 1 had no publication tracking: every existing finding counts as published when migrated. */
  private migrateFrom1(): void {
    this.db.transaction(() => {
      this.db.exec(`ALTER TABLE findings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE findings ADD COLUMN published_version INTEGER;
        ALTER TABLE findings ADD COLUMN published_at INTEGER;
        ALTER TABLE findings ADD COLUMN containment TEXT;
        UPDATE findings SET published_version = version, published_at = updated_at;`);
      this.db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION));
    })();
  }

  /**
   * Findings whose event is due under GuardDuty's publishing rules: never published (new), or changed since the
   * last publication at least `intervalMs` ago (updates; 0 = every change). Archived findings are not published.
   */
  dueForPublication(now: number, intervalMs: number): Finding[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM findings WHERE archived = 0 AND (published_version IS NULL OR (version > published_version AND published_at <= ?))
         ORDER BY created_at, id`,
      )
      .all(now - intervalMs) as FindingRow[];
    return rows.map(rowToFinding);
  }

  markPublished(ids: string[], now: number): void {
    const stmt = this.db.prepare('UPDATE findings SET published_at = ?, published_version = version WHERE id = ?');
    for (const id of ids) stmt.run(now, id);
  }

  /**
   * Opens a transaction that may span asynchronous work (file reads); `commit` or `rollback` ends it.
   * Everything written in between lands together, or not at all.
   */
  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  /** Records an event in the history; `false` when its `eventID` is already there (a duplicate delivery). */
  recordEvent(e: ApiEvent): boolean {
    const p = e.principal;
    const r = this.insertEventStmt.run(
      e.id,
      e.time,
      e.account,
      e.region,
      e.source,
      e.name,
      e.ip ? formatIp(e.ip) : e.sourceText,
      e.userAgent,
      e.errorCode ?? null,
      p.type,
      p.arn,
      p.principalId,
      p.userName,
      p.accessKeyId,
      p.roleArn,
      e.readOnly === undefined ? null : e.readOnly ? 1 : 0,
      e.origin,
    );
    return r.changes > 0;
  }

  /** Upserts aggregates (atomically, in one transaction) and returns the ids written. */
  upsert(aggregates: Aggregate[], now: number, threatFileSha256?: (list: string) => string | undefined): string[] {
    const run = this.db.transaction((aggs: Aggregate[]) => {
      for (const a of aggs) {
        const body = findingBody(a.id, a.hit, threatFileSha256);
        this.upsertStmt.run({
          id: a.id,
          type: a.hit.type,
          severity: a.hit.severity,
          account: a.hit.account,
          region: a.hit.region,
          resourceType: a.hit.resource.resourceType,
          count: a.count,
          firstSeen: a.firstSeen,
          lastSeen: a.lastSeen,
          latest: latestKey(a.hit),
          now,
          body: JSON.stringify(body),
        });
      }
    });
    run(aggregates);
    return aggregates.map((a) => a.id);
  }

  findings(q: FindingQuery = {}): Finding[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.types && q.types.length > 0) {
      where.push(`type IN (${q.types.map(() => '?').join(', ')})`);
      params.push(...q.types);
    }
    if (q.minSeverity !== undefined) {
      where.push('severity >= ?');
      params.push(q.minSeverity);
    }
    if (q.ids) {
      if (q.ids.length === 0) return [];
      where.push(`id IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(q.ids));
    }
    const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY severity DESC, last_seen DESC, id`;
    return (this.db.prepare(sql).all(...params) as FindingRow[]).map(rowToFinding);
  }

  /**
   * Everything one principal did in a time window. `who` matches a principal ARN, an access key id, an IAM
   * user name, a role name or role ARN (all sessions of the role).
   */
  eventsOf(who: string, since: number, until: number, limit = 10_000): StoredEvent[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM events
         WHERE time >= @since AND time <= @until
           AND (principal_arn = @who OR access_key_id = @who OR user_name = @who OR role_arn = @who
                OR (principal_type = 'AssumedRole' AND principal_arn LIKE '%:assumed-role/' || @pattern || '/%' ESCAPE '\\'))
         ORDER BY time, event_id LIMIT @limit`,
      )
      .all({ who, pattern: who.replace(/[\\%_]/g, (c) => `\\${c}`), since, until, limit }) as EventRow[];
    return rows.map((r) => ({
      eventId: r.event_id,
      time: new Date(r.time).toISOString(),
      account: r.account_id,
      region: r.region,
      service: r.event_source,
      api: r.event_name,
      sourceAddress: r.source_ip,
      userAgent: r.user_agent,
      errorCode: r.error_code,
      principalType: r.principal_type,
      principalArn: r.principal_arn,
      userName: r.user_name,
      accessKeyId: r.access_key_id,
      origin: r.origin,
    }));
  }

  close(): void {
    this.db.close();
  }
}

interface FindingRow {
  id: string;
  containment: string | null;
  count: number;
  first_seen: number;
  last_seen: number;
  created_at: number;
  updated_at: number;
  archived: number;
  body: string;
}

interface EventRow {
  event_id: string;
  time: number;
  account_id: string;
  region: string;
  event_source: string;
  event_name: string;
  source_ip: string;
  user_agent: string;
  error_code: string | null;
  principal_type: string;
  principal_arn: string;
  user_name: string;
  access_key_id: string;
  origin: string;
}

function rowToFinding(r: FindingRow): Finding {
  const body = JSON.parse(r.body) as FindingBody;
  if (r.containment) {
    // The verdict on a remediation (see watches.ts) lives beside the body, so later events' details cannot erase it.
    const { value: _value, type: _type, ...info } = body.service.additionalInfo;
    const next = { ...info, containment: JSON.parse(r.containment) };
    body.service.additionalInfo = { ...next, value: JSON.stringify(next), type: 'default' };
  }
  return composeFinding(body, {
    count: r.count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archived: r.archived === 1,
  });
}
