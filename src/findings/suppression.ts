// CONTRACT STUB (to be implemented by the findings helper): the signatures below are fixed; the bodies are not.
import type Database from 'better-sqlite3';
import type { Finding } from '../core/finding.js';
import type { FindingCriteria } from './criteria.js';

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

export class SuppressionStore {
  constructor(readonly db: Database.Database) {}
  list(): SuppressionRule[] {
    throw new Error('not implemented');
  }
  get(_name: string): SuppressionRule | undefined {
    throw new Error('not implemented');
  }
  create(_rule: NewSuppressionRule, _now: number): SuppressionRule {
    throw new Error('not implemented');
  }
  update(_name: string, _patch: Partial<Omit<NewSuppressionRule, 'name'>>, _now: number): SuppressionRule {
    throw new Error('not implemented');
  }
  delete(_name: string): boolean {
    throw new Error('not implemented');
  }
  /** The first ARCHIVE rule (by rank, then name) that matches the finding. */
  suppressing(_f: Finding): SuppressionRule | undefined {
    throw new Error('not implemented');
  }
}
