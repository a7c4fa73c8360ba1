import type Database from 'better-sqlite3';
import type { BusEvent } from './event.js';

/**
 * The delivery outbox, in the same SQLite file as the findings. A delivery (one event for one rule's target) is
 * written in the same transaction as the finding change that caused it, so a crash can neither lose it nor
 * invent it; it is marked delivered only after the target acknowledged it. After a restart, pending deliveries
 * are picked up again: delivery is at least once, and an acknowledged delivery is never repeated.
 * Deliveries that fail permanently, or run out of attempts, stay in the table as `dead` (the dead-letter store).
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  id: number;
  rule: string;
  target: string;
  eventId: string;
  event: BusEvent;
  input: string;
  custom: boolean;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL,
  target TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  input TEXT NOT NULL,
  custom INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  UNIQUE (rule, target, event_id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
`;

interface Row {
  id: number;
  rule: string;
  target: string;
  event_id: string;
  event: string;
  input: string;
  custom: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export class Outbox {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  /** Queues a delivery; a second enqueue of the same (rule, target, event id) is ignored. */
  enqueue(d: { rule: string; target: string; event: BusEvent; input: string; custom: boolean; deadReason?: string }, now: number): boolean {
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO outbox (rule, target, event_id, event, input, custom, next_attempt_at, created_at, status, last_error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.rule, d.target, d.event.id, JSON.stringify(d.event), d.input, d.custom ? 1 : 0, now, now, d.deadReason ? 'dead' : 'pending', d.deadReason ?? null);
    return r.changes > 0;
  }

  /** Pending deliveries due at `now`, oldest first. */
  due(now: number, limit = 100): Delivery[] {
    return (
      this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`).all(now, limit) as Row[]
    ).map(toDelivery);
  }

  /** The earliest time a pending delivery is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    const r = this.db.prepare(`SELECT min(next_attempt_at) AS t FROM outbox WHERE status = 'pending'`).get() as { t: number | null };
    return r.t ?? undefined;
  }

  markDelivered(id: number, now: number): void {
    this.db.prepare(`UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?`).run(now, id);
  }

  markRetry(id: number, error: string, nextAttemptAt: number): void {
    this.db.prepare(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`).run(error, nextAttemptAt, id);
  }

  markDead(id: number, error: string): void {
    this.db.prepare(`UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?`).run(error, id);
  }

  list(status?: DeliveryStatus): Delivery[] {
    const rows = status
      ? this.db.prepare('SELECT * FROM outbox WHERE status = ? ORDER BY id').all(status)
      : this.db.prepare('SELECT * FROM outbox ORDER BY id').all();
    return (rows as Row[]).map(toDelivery);
  }

  /** Puts dead deliveries back in the queue (after the cause was fixed). Returns how many. */
  requeueDead(now: number): number {
    return this.db.prepare(`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'dead'`).run(now).changes;
  }
}

function toDelivery(r: Row): Delivery {
  return {
    id: r.id,
    rule: r.rule,
    target: r.target,
    eventId: r.event_id,
    event: JSON.parse(r.event) as BusEvent,
    input: r.input,
    custom: r.custom === 1,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}
