import Database from 'better-sqlite3';
import { StoreError } from '../../core/errors.js';
import type { CallRecord } from './executor.js';

/**
 * The remediation audit log: one append-only SQLite table (UPDATE and DELETE are refused by triggers). Every run
 * appends one row, whatever came of it: what (playbook, action, target), why (the finding's type and title, or the
 * refusal), which finding, when, the API calls planned or made, the result, and the data a rollback needs.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS remediation_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  playbook TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('remediate', 'rollback')),
  mode TEXT NOT NULL CHECK (mode IN ('dry-run', 'execute')),
  status TEXT NOT NULL CHECK (status IN ('planned', 'succeeded', 'refused', 'failed')),
  finding_id TEXT NOT NULL,
  finding_type TEXT NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  target TEXT NOT NULL,
  reason TEXT NOT NULL,
  calls TEXT NOT NULL,
  result TEXT NOT NULL,
  rollback TEXT,
  rolls_back INTEGER REFERENCES remediation_audit (seq)
);
CREATE INDEX IF NOT EXISTS remediation_audit_finding ON remediation_audit (finding_id, seq);
CREATE INDEX IF NOT EXISTS remediation_audit_target ON remediation_audit (playbook, target, seq);
CREATE TRIGGER IF NOT EXISTS remediation_audit_no_update BEFORE UPDATE ON remediation_audit
BEGIN SELECT RAISE(ABORT, 'remediation_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS remediation_audit_no_delete BEFORE DELETE ON remediation_audit
BEGIN SELECT RAISE(ABORT, 'remediation_audit is append-only'); END;
`;

export type AuditAction = 'remediate' | 'rollback';
export type AuditMode = 'dry-run' | 'execute';
export type AuditStatus = 'planned' | 'succeeded' | 'refused' | 'failed';

export interface AuditResult {
  notification?: string;
  error?: string;
  notes: string[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  playbook: string;
  action: AuditAction;
  mode: AuditMode;
  status: AuditStatus;
  findingId: string;
  findingType: string;
  accountId: string;
  region: string;
  /** What was (or would have been) touched, e.g. `role/GuardDuty-Example-EC2-Compromised`. */
  target: string;
  /** Why: the finding that triggered it, or why it was refused. */
  reason: string;
  calls: CallRecord[];
  result: AuditResult;
  rollback: unknown;
  rollsBack: number | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

interface Row {
  seq: number;
  at: string;
  playbook: string;
  action: AuditAction;
  mode: AuditMode;
  status: AuditStatus;
  finding_id: string;
  finding_type: string;
  account_id: string;
  region: string;
  target: string;
  reason: string;
  calls: string;
  result: string;
  rollback: string | null;
  rolls_back: number | null;
}

function fromRow(r: Row): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    playbook: r.playbook,
    action: r.action,
    mode: r.mode,
    status: r.status,
    findingId: r.finding_id,
    findingType: r.finding_type,
    accountId: r.account_id,
    region: r.region,
    target: r.target,
    reason: r.reason,
    calls: JSON.parse(r.calls) as CallRecord[],
    result: JSON.parse(r.result) as AuditResult,
    rollback: r.rollback === null ? null : JSON.parse(r.rollback),
    rollsBack: r.rolls_back,
  };
}

export class AuditLog {
  private readonly db: Database.Database;
  private readonly owned: boolean;
  private readonly insert: Database.Statement;

  /** Opens (creating if needed) the audit table in a better-sqlite3 database, or in the SQLite file at `path`. */
  constructor(db: Database.Database | string) {
    try {
      this.owned = typeof db === 'string';
      this.db = typeof db === 'string' ? new Database(db) : db;
      if (this.owned) this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
      this.insert = this.db.prepare(
        `INSERT INTO remediation_audit (at, playbook, action, mode, status, finding_id, finding_type, account_id, region, target, reason, calls, result, rollback, rolls_back)
         VALUES (@at, @playbook, @action, @mode, @status, @findingId, @findingType, @accountId, @region, @target, @reason, @calls, @result, @rollback, @rollsBack)`,
      );
    } catch (err) {
      throw new StoreError(`cannot open the remediation audit log${typeof db === 'string' ? ` ${db}` : ''}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The SQLite file the log is in (`:memory:` for an in-memory one): logs in one file share their numbering. */
  get file(): string {
    return this.db.name;
  }

  /** Appends one entry; returns its sequence number. */
  append(entry: NewAuditEntry): number {
    const info = this.insert.run({
      ...entry,
      calls: JSON.stringify(entry.calls),
      result: JSON.stringify(entry.result),
      rollback: entry.rollback === null || entry.rollback === undefined ? null : JSON.stringify(entry.rollback),
      rollsBack: entry.rollsBack,
    });
    return Number(info.lastInsertRowid);
  }

  get(seq: number): AuditEntry | undefined {
    const row = this.db.prepare('SELECT * FROM remediation_audit WHERE seq = ?').get(seq) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Every entry in order, or those of one finding. */
  list(filter: { findingId?: string } = {}): AuditEntry[] {
    const rows =
      filter.findingId === undefined
        ? (this.db.prepare('SELECT * FROM remediation_audit ORDER BY seq').all() as Row[])
        : (this.db.prepare('SELECT * FROM remediation_audit WHERE finding_id = ? ORDER BY seq').all(filter.findingId) as Row[]);
    return rows.map(fromRow);
  }

  /**
   * The latest executed remediation of a playbook on a target that recorded rollback data (succeeded, or failed part
   * way): the prior state a re-run carries forward.
   */
  lastExecuted(playbook: string, target: string): AuditEntry | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM remediation_audit WHERE playbook = ? AND target = ? AND action = 'remediate' AND mode = 'execute'
           AND status IN ('succeeded', 'failed') AND rollback IS NOT NULL
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(playbook, target) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Closes the database when the log opened it itself. */
  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}
