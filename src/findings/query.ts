// CONTRACT STUB (to be implemented by the findings helper): the signatures below are fixed; the bodies are not.
import type { Finding } from '../core/finding.js';
import type { FindingCriteria } from './criteria.js';
import type { FindingStore } from './store.js';

export const SEVERITY_LABELS = ['Low', 'Medium', 'High', 'Critical'] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

export const SORT_FIELDS = ['severity', 'updatedAt', 'createdAt', 'firstSeen', 'lastSeen', 'count', 'type', 'accountId', 'region'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface FindingListQuery {
  /** GuardDuty FindingCriteria (see criteria.ts), ANDed with the simple filters below. */
  criteria?: FindingCriteria;
  severities?: SeverityLabel[];
  types?: string[];
  accounts?: string[];
  regions?: string[];
  resourceTypes?: string[];
  /** An access key id, user or role name, principal ARN, instance id or bucket name the finding is about. */
  resource?: string;
  /** Default false (current findings only); 'all' for both. */
  archived?: boolean | 'all';
  /** Case-insensitive substring over type, title, description, resource labels and remote address. */
  search?: string;
  sort?: SortField;
  order?: 'asc' | 'desc';
  /** 1..1000, default 50. */
  limit?: number;
  /** Opaque token from the previous page. */
  nextToken?: string;
}

export interface FindingPage {
  findings: Finding[];
  /** How many findings match the query in all (all pages). */
  total: number;
  nextToken?: string;
}

export interface ResourceLabel {
  kind: 'AccessKey' | 'User' | 'Role' | 'Instance' | 'S3Bucket';
  id: string;
}

export interface FindingSummary {
  total: number;
  bySeverity: Record<SeverityLabel, number>;
  byType: Array<{ type: string; count: number }>;
  /** One entry per UTC day over the window, oldest first, counting findings by their last activity (lastSeen). */
  overTime: Array<{ day: string } & Record<SeverityLabel, number>>;
  topResources: Array<ResourceLabel & { count: number }>;
  topPrincipals: Array<{ principal: string; count: number }>;
}

export function severityLabel(severity: number): SeverityLabel {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

export function resourceLabels(_f: Finding): ResourceLabel[] {
  throw new Error('not implemented');
}

export function listFindings(_store: FindingStore, _q: FindingListQuery): FindingPage {
  throw new Error('not implemented');
}

export function summarize(_store: FindingStore, _opts: { archived?: boolean | 'all'; days?: number; now: number }): FindingSummary {
  throw new Error('not implemented');
}
