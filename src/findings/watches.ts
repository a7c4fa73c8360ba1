import type Database from 'better-sqlite3';

/**
 * Credentials under watch after a remediation: the role whose older sessions were revoked, or the access key that
 * was deactivated (and the user whose older sessions were denied). Later events from them decide whether the
 * containment held (`verified`: the calls are denied) or not (`failed`: a call succeeded after the remediation).
 */
export type WatchKind = 'role-sessions' | 'access-key';
export type WatchStatus = 'watching' | 'verified' | 'failed';

export interface Watch {
  id: number;
  findingId: string;
  kind: WatchKind;
  account: string;
  /** Role name (role-sessions) or IAM user name (access-key). */
  principalName: string;
  /** The deactivated key (access-key watches). */
  accessKeyId: string;
  /** When the remediation took effect (ms): sessions issued before it must be denied from then on. */
  remediatedAt: number;
  status: WatchStatus;
  /** The event that decided the status, and when. */
  evidenceEventId: string | null;
  decidedAt: number | null;
  deniedCalls: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS watches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  finding_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  account TEXT NOT NULL,
  principal_name TEXT NOT NULL,
  access_key_id TEXT NOT NULL DEFAULT '',
  remediated_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'watching',
  evidence_event_id TEXT,
  decided_at INTEGER,
  denied_calls INTEGER NOT NULL DEFAULT 0,
  UNIQUE (finding_id, kind, account, principal_name, access_key_id)
);
`;

interface Row {
  id: number;
  finding_id: string;
  kind: WatchKind;
  account: string;
  principal_name: string;
  access_key_id: string;
  remediated_at: number;
  status: WatchStatus;
  evidence_event_id: string | null;
  decided_at: number | null;
  denied_calls: number;
}

export class WatchStore {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  /** Starts (or keeps) watching; a repeated remediation of the same finding and credential keeps one watch. */
  add(w: Pick<Watch, 'findingId' | 'kind' | 'account' | 'principalName' | 'accessKeyId' | 'remediatedAt'>): void {
    this.db
      .prepare(
        `INSERT INTO watches (finding_id, kind, account, principal_name, access_key_id, remediated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (finding_id, kind, account, principal_name, access_key_id) DO UPDATE SET remediated_at = max(remediated_at, excluded.remediated_at)`,
      )
      .run(w.findingId, w.kind, w.account, w.principalName, w.accessKeyId, w.remediatedAt);
  }

  /** Changes whenever a watch is added or its remediation time moves (cheap: readers compare it once per batch). */
  fingerprint(): string {
    const r = this.db.prepare('SELECT count(*) AS n, COALESCE(max(id), 0) AS id, COALESCE(sum(remediated_at), 0) AS t FROM watches').get() as {
      n: number;
      id: number;
      t: number;
    };
    return `${r.n}:${r.id}:${r.t}`;
  }

  all(): Watch[] {
    return (this.db.prepare('SELECT * FROM watches ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id,
      findingId: r.finding_id,
      kind: r.kind,
      account: r.account,
      principalName: r.principal_name,
      accessKeyId: r.access_key_id,
      remediatedAt: r.remediated_at,
      status: r.status,
      evidenceEventId: r.evidence_event_id,
      decidedAt: r.decided_at,
      deniedCalls: r.denied_calls,
    }));
  }

  /**
   * Writes the watch's verdict into the remediated finding, under `service.additionalInfo.containment`
   * (`{status, remediation, remediatedAt, evidenceEventId, decidedAt, deniedCalls}`), so that finding readers
   * see whether the containment held.
   */
  private markFinding(id: number): void {
    const w = this.all().find((x) => x.id === id);
    if (!w) return;
    const containment = {
      status: w.status === 'verified' ? 'contained' : w.status === 'failed' ? 'failed' : 'watching',
      remediation: w.kind,
      remediatedAt: new Date(w.remediatedAt).toISOString(),
      evidenceEventId: w.evidenceEventId,
      decidedAt: w.decidedAt === null ? null : new Date(w.decidedAt).toISOString(),
      deniedCalls: w.deniedCalls,
    };
    // A new version: the verdict is published like any other update of the finding.
    this.db.prepare('UPDATE findings SET containment = ?, version = version + 1 WHERE id = ?').run(JSON.stringify(containment), w.findingId);
  }

  /** A denied call: the first one marks the watch verified (unless it already failed); later ones are counted. */
  recordDenied(id: number, eventId: string, at: number): void {
    this.db
      .prepare(
        `UPDATE watches SET denied_calls = denied_calls + 1,
           evidence_event_id = CASE WHEN status = 'watching' THEN ? ELSE evidence_event_id END,
           decided_at = CASE WHEN status = 'watching' THEN ? ELSE decided_at END,
           status = CASE WHEN status = 'watching' THEN 'verified' ELSE status END
         WHERE id = ?`,
      )
      .run(eventId, at, id);
    this.markFinding(id);
  }

  /** A successful call after the remediation: containment failed, whatever was seen before. */
  recordSucceeded(id: number, eventId: string, at: number): void {
    this.db.prepare(`UPDATE watches SET status = 'failed', evidence_event_id = ?, decided_at = ? WHERE id = ? AND status != 'failed'`).run(eventId, at, id);
    this.markFinding(id);
  }
}
