import type Database from 'better-sqlite3';
import { type ConfigIssue, UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { CriteriaError, compileCriteria, type FindingCriteria, parseCriteria } from './criteria.js';

export type FilterAction = 'ARCHIVE' | 'NOOP';

/** A GuardDuty filter; with action ARCHIVE it is a suppression rule. */
export interface SuppressionRule {
  name: string;
  description: string;
  action: FilterAction;
  rank: number;
  criteria: FindingCriteria;
  createdAt: string;
  updatedAt: string;
}

export type NewSuppressionRule = Pick<SuppressionRule, 'name' | 'action' | 'criteria'> & Partial<Pick<SuppressionRule, 'description' | 'rank'>>;

/** GuardDuty's CreateFilter limits. */
export const MAX_FILTERS = 100;
export const FILTER_NAME = /^[A-Za-z0-9_.-]{3,64}$/;
export const MAX_DESCRIPTION = 512;

/** A filter that does not exist (the API answers 404). */
export class UnknownFilterError extends UsageError {
  constructor(readonly filterName: string) {
    super(`no filter named ${JSON.stringify(filterName)}`);
  }
}

/** A filter name already taken (the API answers 409). */
export class FilterExistsError extends UsageError {
  constructor(readonly filterName: string) {
    super(`a filter named ${JSON.stringify(filterName)} already exists`);
  }
}

/** An invalid filter document: every problem with its path (`name`, `rank`, `criteria.criterion["type"].eq`, ...). */
export class FilterError extends UsageError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid filter:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS filters (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  action TEXT NOT NULL,
  rank INTEGER NOT NULL,
  criteria TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS filters_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
INSERT OR IGNORE INTO filters_generation (id, generation) VALUES (1, 0);
`;

interface Row {
  name: string;
  description: string;
  action: string;
  rank: number;
  criteria: string;
  created_at: number;
  updated_at: number;
}

interface Compiled {
  rule: SuppressionRule;
  test: (f: Finding) => boolean;
}

/**
 * GuardDuty filters (saved FindingCriteria with an action) in the findings database. The ARCHIVE ones are compiled
 * once and cached. Every write bumps a generation counter in the database, and the cache is checked against it
 * (one primary-key read) before use, so a rule changed through another store object or another process (the API
 * service beside a detect job) takes effect at once.
 */
export class SuppressionStore {
  private cache: Compiled[] | undefined;
  private seenGeneration = -1;
  private generationStmt: Database.Statement;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.generationStmt = db.prepare('SELECT generation FROM filters_generation WHERE id = 1');
  }

  list(): SuppressionRule[] {
    return (this.db.prepare('SELECT * FROM filters ORDER BY rank, name').all() as Row[]).map(toRule);
  }

  get(name: string): SuppressionRule | undefined {
    const row = this.db.prepare('SELECT * FROM filters WHERE name = ?').get(name) as Row | undefined;
    return row ? toRule(row) : undefined;
  }

  /**
   * Creates a filter. Without a rank it goes last (one past the highest rank, or the lowest free rank when that
   * would pass 100). Ranks may repeat; equal ranks are ordered by name.
   */
  create(rule: NewSuppressionRule, now: number): SuppressionRule {
    const issues: ConfigIssue[] = [];
    const name = (rule as { name?: unknown }).name;
    if (typeof name !== 'string' || !FILTER_NAME.test(name)) issues.push({ path: 'name', message: 'must be 3 to 64 characters of A-Z a-z 0-9 _ . -' });
    const v = validateFields(rule, issues, false);
    if (issues.length > 0) throw new FilterError(issues);
    const create = this.db.transaction(() => {
      if (this.get(name as string)) throw new FilterExistsError(name as string);
      const { n, maxRank } = this.db.prepare('SELECT count(*) AS n, max(rank) AS maxRank FROM filters').get() as { n: number; maxRank: number | null };
      if (n >= MAX_FILTERS) throw new UsageError(`at most ${MAX_FILTERS} filters (GuardDuty's limit); delete one first`);
      const rank = v.rank ?? this.nextRank(maxRank);
      this.db
        .prepare('INSERT INTO filters (name, description, action, rank, criteria, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(name, v.description ?? '', v.action, rank, JSON.stringify(v.criteria), now, now);
      this.changed();
    });
    create();
    return this.get(name as string)!;
  }

  update(name: string, patch: Partial<Omit<NewSuppressionRule, 'name'>>, now: number): SuppressionRule {
    const issues: ConfigIssue[] = [];
    if (typeof patch !== 'object' || patch === null) issues.push({ path: '', message: 'must be an object' });
    else if ('name' in patch) issues.push({ path: 'name', message: 'cannot be changed (delete and create the filter again)' });
    const v = issues.length === 0 ? validateFields(patch, issues, true) : {};
    if (issues.length > 0) throw new FilterError(issues);
    const update = this.db.transaction(() => {
      const current = this.get(name);
      if (!current) throw new UnknownFilterError(name);
      this.db
        .prepare('UPDATE filters SET description = ?, action = ?, rank = ?, criteria = ?, updated_at = ? WHERE name = ?')
        .run(
          v.description ?? current.description,
          v.action ?? current.action,
          v.rank ?? current.rank,
          JSON.stringify(v.criteria ?? current.criteria),
          now,
          name,
        );
      this.changed();
    });
    update();
    return this.get(name)!;
  }

  delete(name: string): boolean {
    const r = this.db.prepare('DELETE FROM filters WHERE name = ?').run(name);
    if (r.changes > 0) this.changed();
    return r.changes > 0;
  }

  /** The first ARCHIVE rule (by rank, then name) that matches the finding. */
  suppressing(f: Finding): SuppressionRule | undefined {
    for (const c of this.archiveRules()) if (c.test(f)) return c.rule;
    return undefined;
  }

  /** True when at least one ARCHIVE rule exists: lets the store skip composing findings when nothing can suppress. */
  hasArchiveRules(): boolean {
    return this.archiveRules().length > 0;
  }

  /**
   * The ARCHIVE rules in order, compiled: a snapshot for evaluating many findings (the store takes one per upsert
   * batch, so a batch sees one consistent set of rules and pays the freshness check once).
   */
  archiveRules(): ReadonlyArray<{ rule: SuppressionRule; test: (f: Finding) => boolean }> {
    const generation = this.generationStmt.get() as { generation: number };
    if (!this.cache || generation.generation !== this.seenGeneration) {
      this.seenGeneration = generation.generation;
      this.cache = this.list()
        .filter((r) => r.action === 'ARCHIVE')
        .map((rule) => ({ rule, test: compileCriteria(rule.criteria) }));
    }
    return this.cache;
  }

  private changed(): void {
    this.db.prepare('UPDATE filters_generation SET generation = generation + 1 WHERE id = 1').run();
    this.cache = undefined;
  }

  private nextRank(maxRank: number | null): number {
    const next = (maxRank ?? 0) + 1;
    if (next <= MAX_FILTERS) return next;
    const used = new Set((this.db.prepare('SELECT rank FROM filters').all() as Array<{ rank: number }>).map((r) => r.rank));
    for (let r = 1; r <= MAX_FILTERS; r++) if (!used.has(r)) return r;
    return MAX_FILTERS;
  }
}

function validateFields(
  r: Partial<Omit<NewSuppressionRule, 'name'>>,
  issues: ConfigIssue[],
  partial: boolean,
): { description?: string; action?: FilterAction; rank?: number; criteria?: FindingCriteria } {
  const out: { description?: string; action?: FilterAction; rank?: number; criteria?: FindingCriteria } = {};
  const known = new Set(['name', 'description', 'action', 'rank', 'criteria']);
  for (const k of Object.keys(r)) if (!known.has(k)) issues.push({ path: k, message: 'unknown key' });
  if (r.description !== undefined) {
    if (typeof r.description !== 'string' || r.description.length > MAX_DESCRIPTION)
      issues.push({ path: 'description', message: `must be text of at most ${MAX_DESCRIPTION} characters` });
    else out.description = r.description;
  }
  if (r.action !== undefined || !partial) {
    if (r.action !== 'ARCHIVE' && r.action !== 'NOOP') issues.push({ path: 'action', message: 'must be ARCHIVE or NOOP' });
    else out.action = r.action;
  }
  if (r.rank !== undefined) {
    if (typeof r.rank !== 'number' || !Number.isInteger(r.rank) || r.rank < 1 || r.rank > MAX_FILTERS)
      issues.push({ path: 'rank', message: `must be an integer from 1 to ${MAX_FILTERS}` });
    else out.rank = r.rank;
  }
  if (r.criteria !== undefined || !partial) {
    try {
      out.criteria = parseCriteria(r.criteria);
    } catch (err) {
      if (!(err instanceof CriteriaError)) throw err;
      for (const i of err.issues) issues.push({ path: i.path ? `criteria.${i.path}` : 'criteria', message: i.message });
    }
  }
  return out;
}

function toRule(r: Row): SuppressionRule {
  return {
    name: r.name,
    description: r.description,
    action: r.action as FilterAction,
    rank: r.rank,
    criteria: JSON.parse(r.criteria) as FindingCriteria,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
