// CONTRACT STUB (to be implemented by the findings helper): the signatures below are fixed; the bodies are not.
import type { Finding } from '../core/finding.js';

/** GuardDuty FindingCriteria, normalised: field path -> condition (lower-case keys). */
export interface Condition {
  eq?: string[];
  neq?: string[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  equals?: string[];
  notEquals?: string[];
  greaterThan?: number;
  greaterThanOrEqual?: number;
  lessThan?: number;
  lessThanOrEqual?: number;
  matches?: string[];
  notMatches?: string[];
}
export interface FindingCriteria {
  criterion: Record<string, Condition>;
}

/** Accepts the API form (`criterion`/`eq`) and the CLI form (`Criterion`/`Eq`); throws UsageError naming every bad path. */
export function parseCriteria(_doc: unknown): FindingCriteria {
  throw new Error('not implemented');
}

export function compileCriteria(_c: FindingCriteria): (f: Finding) => boolean {
  throw new Error('not implemented');
}
