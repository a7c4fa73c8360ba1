import Database from 'better-sqlite3';
import { StoreError, UsageError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import type { Finding } from '../core/finding.js';
import { formatIp } from '../core/ip.js';
import type { InterfaceFact } from '../detectors/interface-map.js';
import { type Aggregate, composeFinding, type EnrichRemote, type FindingBody, findingBody, latestKey } from './build.js';
import { SuppressionStore } from './suppression.js';

const SCHEMA_VERSION = 5;

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
  containment TEXT,
  suppressed_by TEXT
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
  origin TEXT NOT NULL,
  ingested_at INTEGER
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TABLE IF NOT EXISTS seen_records (id TEXT PRIMARY KEY, ingested_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_arn ON events (principal_arn, time);
CREATE INDEX IF NOT EXISTS events_key ON events (access_key_id, time);
CREATE INDEX IF NOT EXISTS events_user ON events (user_name, time);
CREATE INDEX IF NOT EXISTS events_role ON events (role_arn, time);
`;

/**
 * Version 5: what CloudTrail said about network interfaces (`detectors/interface-map.ts`), so flow records without
 * `instance-id` resolve across runs and restarts. One row per fact: `interface_id` is '' for a detach whose attachment
 * was not known when it was learned (the map links it on load), `attachment_id` '' when none; `details` is JSON.
 */
const TABLES_5 = `
CREATE TABLE IF NOT EXISTS interface_facts (
  event_id TEXT NOT NULL,
  interface_id TEXT NOT NULL,
  attachment_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  event_name TEXT NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  instance_id TEXT,
  details TEXT,
  PRIMARY KEY (event_id, interface_id, attachment_id)
) WITHOUT ROWID;
`;

/** Indexes added in version 3 (also created by the migration): address lookups and the finding list's filters. */
const INDEXES_3 = `
CREATE INDEX IF NOT EXISTS events_ip ON events (source_ip, time);
CREATE INDEX IF NOT EXISTS findings_archived_severity ON findings (archived, severity);
`;

/**
 * Retention of `interface_facts` (by the facts' event time: the table keeps no ingestion time). A fact older than the
 * cut-off goes unless it is still needed to resolve flows at or after the cut-off as the full history would:
 * - for every interface, its latest fact at or before the cut-off (ties broken by event id, as the interface map
 *   orders them) and everything after it: it says what the interface is attached to from then on;
 * - when that fact is a detach stored without its interface (`interface_id` ''), the attach of the same attachment
 *   too, and what lies between: the map links the detach to its interface through it;
 * - the latest fact at or before the cut-off that described the interface (CreateNetworkInterface: VPC, subnet,
 *   security groups, description), when it names no instance, so that findings keep those details. One naming an
 *   instance (RunInstances) is kept only inside the range above: alone, it would attach the interface again for the
 *   time between it and the facts kept after it.
 * A detach whose attachment no kept fact names (`interface_id` '' and no link) belongs to no known interface: it goes.
 * A detach is linked to its interface the way the map links it: through the attach fact of the same attachment id.
 */
const PURGE_INTERFACE_FACTS = `
WITH links AS MATERIALIZED (
  SELECT attachment_id, min(interface_id) AS eni FROM interface_facts
  WHERE attachment_id <> '' AND interface_id <> '' AND instance_id IS NOT NULL
  GROUP BY attachment_id
),
facts AS MATERIALIZED (
  SELECT f.event_id, f.interface_id, f.attachment_id, f.time, f.instance_id, f.details,
    CASE WHEN f.interface_id <> '' THEN f.interface_id ELSE l.eni END AS eni
  FROM interface_facts f LEFT JOIN links l ON f.interface_id = '' AND l.attachment_id = f.attachment_id
),
latest AS MATERIALIZED (
  SELECT eni, interface_id, attachment_id, time, event_id FROM (
    SELECT eni, interface_id, attachment_id, time, event_id,
      row_number() OVER (PARTITION BY eni ORDER BY time DESC, event_id DESC) AS n
    FROM facts WHERE eni IS NOT NULL AND time <= $before
  ) WHERE n = 1
),
starts AS MATERIALIZED (
  SELECT eni, time, event_id FROM latest
  UNION ALL
  SELECT l.eni, a.time, a.event_id FROM latest l JOIN interface_facts a
    ON l.interface_id = '' AND a.interface_id = l.eni AND a.attachment_id = l.attachment_id AND a.instance_id IS NOT NULL
),
described AS MATERIALIZED (
  SELECT event_id, interface_id, attachment_id FROM (
    SELECT event_id, interface_id, attachment_id, instance_id,
      row_number() OVER (PARTITION BY eni ORDER BY time DESC, event_id DESC) AS n
    FROM facts WHERE eni IS NOT NULL AND details IS NOT NULL AND time <= $before
  ) WHERE n = 1 AND instance_id IS NULL
)
DELETE FROM interface_facts WHERE time < $before AND (event_id, interface_id, attachment_id) IN (
  SELECT f.event_id, f.interface_id, f.attachment_id FROM facts f
  WHERE f.time < $before
    AND NOT EXISTS (SELECT 1 FROM starts s WHERE s.eni = f.eni AND (f.time, f.event_id) >= (s.time, s.event_id))
    AND NOT EXISTS (
      SELECT 1 FROM described d WHERE d.event_id = f.event_id AND d.interface_id = f.interface_id AND d.attachment_id = f.attachment_id)
)`;

/** What `FindingStore.purge` deleted. */
export interface PurgeResult {
  findings: number;
  /** Events and seen flow/DNS record ids. */
  events: number;
  interfaceFacts: number;
}

export const DEFAULT_EVENTS_LIMIT = 1000;
export const MAX_EVENTS_LIMIT = 10_000;

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

/** `FindingStore.events`: a principal (as `eventsOf` understands it), a source address (exact), either or both. */
export interface EventQuery {
  principal?: string;
  address?: string;
  since: number;
  until: number;
  /** 1..10000, default 1000: the most recent events of the window are kept. */
  limit?: number;
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
  private seenStmt: Database.Statement | undefined;
  private saveFactStmt: Database.Statement | undefined;
  private insertEventStmt: Database.Statement;
  private getStmt: Database.Statement;
  private suppressStmt: Database.Statement;
  /** GuardDuty filters kept in the same file; ARCHIVE ones suppress findings as they are upserted. */
  readonly suppression: SuppressionStore;

  constructor(readonly path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
      const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
      const version = row ? Number(row.value) : SCHEMA_VERSION;
      if (!row) this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
      else if (version >= 1 && version < SCHEMA_VERSION) this.migrate(version);
      else if (version !== SCHEMA_VERSION) throw new StoreError(`${path}: database schema version ${row.value}, this Trailhound needs ${SCHEMA_VERSION}`);
      this.db.exec(INDEXES_3);
      this.db.exec(TABLES_5);
      this.suppression = new SuppressionStore(this.db);
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
        archived = 0,
        suppressed_by = NULL`);
    this.getStmt = this.db.prepare('SELECT * FROM findings WHERE id = ?');
    this.suppressStmt = this.db.prepare('UPDATE findings SET archived = 1, suppressed_by = ? WHERE id = ?');
    this.insertEventStmt = this.db.prepare(`
      INSERT OR IGNORE INTO events (event_id, time, account_id, region, event_source, event_name, source_ip, user_agent, error_code,
        principal_type, principal_arn, principal_id, user_name, access_key_id, role_arn, read_only, origin, ingested_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  /**
   * Upgrades in place, one step per version, in one transaction. Version 1 had no publication tracking: every
   * existing finding counts as published. Version 2 had no suppression: no existing finding counts as suppressed
   * (an archived one was archived by hand).
   */
  private migrate(from: number): void {
    this.db.transaction(() => {
      if (from < 2)
        this.db.exec(`ALTER TABLE findings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
          ALTER TABLE findings ADD COLUMN published_version INTEGER;
          ALTER TABLE findings ADD COLUMN published_at INTEGER;
          ALTER TABLE findings ADD COLUMN containment TEXT;
          UPDATE findings SET published_version = version, published_at = updated_at;`);
      if (from < 3) {
        this.db.exec('ALTER TABLE findings ADD COLUMN suppressed_by TEXT;');
        this.db.exec(INDEXES_3);
      }
      // Version 3 had no ingestion time: older events count as ingested when their activity happened.
      if (from < 4) this.db.exec('ALTER TABLE events ADD COLUMN ingested_at INTEGER; UPDATE events SET ingested_at = time;');
      // Version 4 kept no interface facts: the table starts empty.
      if (from < 5) this.db.exec(TABLES_5);
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

  /**
   * Remembers a flow-log or DNS record by its content id; `false` when it was seen before (a duplicate delivery or
   * a re-read file). These logs have no event history table: only the ids are kept, for the retention period.
   */
  recordSeen(id: string, ingestedAt: number = Date.now()): boolean {
    this.seenStmt ??= this.db.prepare('INSERT OR IGNORE INTO seen_records (id, ingested_at) VALUES (?, ?)');
    return this.seenStmt.run(id, ingestedAt).changes > 0;
  }

  /** Keeps facts about network interfaces learned from CloudTrail (idempotent: a fact already kept is left as it is). */
  saveInterfaceFacts(facts: readonly InterfaceFact[]): void {
    this.saveFactStmt ??= this.db.prepare(`INSERT OR IGNORE INTO interface_facts
      (event_id, interface_id, attachment_id, time, event_name, account_id, region, instance_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const f of facts)
      this.saveFactStmt.run(
        f.eventId,
        f.interfaceId,
        f.attachmentId ?? '',
        f.time,
        f.eventName,
        f.account,
        f.region,
        f.instanceId ?? null,
        f.details ? JSON.stringify(f.details) : null,
      );
  }

  /** Every kept fact about network interfaces, for the interface map at start-up. */
  interfaceFacts(): InterfaceFact[] {
    const rows = this.db.prepare('SELECT * FROM interface_facts ORDER BY time, event_id').all() as InterfaceFactRow[];
    return rows.map((r) => ({
      interfaceId: r.interface_id,
      time: r.time,
      eventId: r.event_id,
      eventName: r.event_name,
      account: r.account_id,
      region: r.region,
      ...(r.instance_id ? { instanceId: r.instance_id } : {}),
      ...(r.attachment_id ? { attachmentId: r.attachment_id } : {}),
      ...(r.details ? { details: JSON.parse(r.details) as InterfaceFact['details'] } : {}),
    }));
  }

  /** Records an event in the history; `false` when its `eventID` is already there (a duplicate delivery). */
  recordEvent(e: ApiEvent, ingestedAt: number = Date.now()): boolean {
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
      ingestedAt,
    );
    return r.changes > 0;
  }

  /**
   * Upserts aggregates (atomically, in one transaction) and returns the ids written. Each written finding is then
   * checked against the suppression rules (GuardDuty filters with action ARCHIVE), as composed after the merge: a
   * match stores it archived and remembers the rule (`suppressedBy`), so it is not published. Otherwise it is current
   * again, even when it had been archived by hand: GuardDuty brings a manually archived finding back on a new
   * occurrence (and publishes it), and a suppressed one whose rule no longer matches likewise.
   */
  upsert(aggregates: Aggregate[], now: number, threatFileSha256?: (list: string) => string | undefined, enrich?: EnrichRemote): string[] {
    const run = this.db.transaction((aggs: Aggregate[]) => {
      const rules = this.suppression.archiveRules();
      for (const a of aggs) {
        const body = findingBody(a.id, a.hit, threatFileSha256, enrich);
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
        if (rules.length === 0) continue; // nothing can suppress: skip composing the finding
        const f = rowToFinding(this.getStmt.get(a.id) as FindingRow);
        const rule = rules.find((r) => r.test(f));
        if (rule) this.suppressStmt.run(rule.rule.name, a.id);
      }
    });
    run(aggregates);
    return aggregates.map((a) => a.id);
  }

  get(id: string): Finding | undefined {
    const row = this.getStmt.get(id) as FindingRow | undefined;
    return row ? rowToFinding(row) : undefined;
  }

  /** The suppression rule that auto-archived a finding, while it is suppressed. */
  suppressedBy(id: string): string | undefined {
    const row = this.db.prepare('SELECT suppressed_by FROM findings WHERE id = ?').get(id) as { suppressed_by: string | null } | undefined;
    return row?.suppressed_by ?? undefined;
  }

  /**
   * Archives findings by hand (GuardDuty's ArchiveFindings); returns how many were current. Like GuardDuty this is
   * not an update of the finding: count, updatedAt and version stay, and nothing is published. The finding stops
   * counting as suppressed (a person archived it; a later occurrence brings it back). `now` is unused today: the
   * archive time is not part of GuardDuty's finding model.
   */
  archive(ids: string[], _now: number): number {
    if (ids.length === 0) return 0;
    return this.db
      .prepare('UPDATE findings SET archived = 1, suppressed_by = NULL WHERE archived = 0 AND id IN (SELECT value FROM json_each(?))')
      .run(JSON.stringify(ids)).changes;
  }

  /**
   * Makes archived findings current again (UnarchiveFindings); returns how many were archived. Un-archiving publishes
   * nothing (GuardDuty does not send archive state changes): the finding as it is now counts as published, so only
   * later occurrences are published, as updates under the publishing frequency. A suppressed finding that is
   * un-archived stays current until its next occurrence, when the rules are evaluated again.
   */
  unarchive(ids: string[], now: number): number {
    if (ids.length === 0) return 0;
    return this.db
      .prepare(
        `UPDATE findings SET archived = 0, suppressed_by = NULL, published_version = version, published_at = coalesce(published_at, ?)
         WHERE archived = 1 AND id IN (SELECT value FROM json_each(?))`,
      )
      .run(now, JSON.stringify(ids)).changes;
  }

  /**
   * Retention (GuardDuty keeps findings 90 days): deletes findings not updated since `before`, events ingested before
   * `before`, and facts about network interfaces older than `before` except those that still say what an interface is
   * attached to (`PURGE_INTERFACE_FACTS`), in one transaction; returns how many of each.
   */
  purge(before: number): PurgeResult {
    return this.db.transaction(() => ({
      findings: this.db.prepare('DELETE FROM findings WHERE updated_at < ?').run(before).changes,
      // By ingestion time: logs replayed from years ago keep their history for the retention period after they were read.
      events:
        this.db.prepare('DELETE FROM events WHERE ingested_at < ?').run(before).changes +
        this.db.prepare('DELETE FROM seen_records WHERE ingested_at < ?').run(before).changes,
      interfaceFacts: this.db.prepare(PURGE_INTERFACE_FACTS).run({ before }).changes,
    }))();
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
      .prepare(`SELECT * FROM events WHERE time >= @since AND time <= @until AND ${PRINCIPAL_MATCH} ORDER BY time, event_id LIMIT @limit`)
      .all({ ...principalParams(who), since, until, limit }) as EventRow[];
    return rows.map(toStoredEvent);
  }

  /**
   * Event history by principal (as `eventsOf`), by source address (exact text, as recorded), or both (ANDed); with
   * neither, every event of the window. When more than `limit` events match, the most recent ones are returned;
   * always oldest first (newest last), by time then event id.
   */
  events(q: EventQuery): StoredEvent[] {
    const limit = q.limit ?? DEFAULT_EVENTS_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_LIMIT)
      throw new UsageError(`events: limit must be an integer from 1 to ${MAX_EVENTS_LIMIT}`);
    if (!Number.isFinite(q.since) || !Number.isFinite(q.until)) throw new UsageError('events: since and until must be epoch milliseconds');
    const where = ['time >= @since', 'time <= @until'];
    const params: Record<string, unknown> = { since: q.since, until: q.until, limit };
    if (q.principal !== undefined) {
      where.push(PRINCIPAL_MATCH);
      Object.assign(params, principalParams(q.principal));
    }
    if (q.address !== undefined) {
      where.push('source_ip = @address');
      params.address = q.address;
    }
    const rows = this.db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY time DESC, event_id DESC LIMIT @limit`).all(params) as EventRow[];
    return rows.reverse().map(toStoredEvent);
  }

  close(): void {
    this.db.close();
  }
}

/** `who` is a principal ARN, access key id, IAM user name, role name or role ARN (all sessions of the role). */
const PRINCIPAL_MATCH = `(principal_arn = @who OR access_key_id = @who OR user_name = @who OR role_arn = @who
  OR (principal_type = 'AssumedRole' AND principal_arn LIKE '%:assumed-role/' || @pattern || '/%' ESCAPE '\\'))`;

function principalParams(who: string): { who: string; pattern: string } {
  // LIKE wildcards in a role name are literal characters.
  return { who, pattern: who.replace(/[\\%_]/g, (c) => `\\${c}`) };
}

function toStoredEvent(r: EventRow): StoredEvent {
  return {
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
  };
}

export interface FindingRow {
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

interface InterfaceFactRow {
  event_id: string;
  interface_id: string;
  attachment_id: string;
  time: number;
  event_name: string;
  account_id: string;
  region: string;
  instance_id: string | null;
  details: string | null;
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

export function rowToFinding(r: FindingRow): Finding {
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
