import { randomUUID } from 'node:crypto';
import type { Finding } from '../core/finding.js';

/** An EventBridge event (the envelope every rule pattern and input transformer sees). */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/**
 * A finding as GuardDuty publishes it: `detail-type` "GuardDuty Finding", `source` "aws.guardduty", `detail` =
 * the finding. `time` is second-precision ISO-8601 UTC, as EventBridge writes it.
 */
export function findingEvent(finding: Finding, at: number, id: string = randomUUID()): BusEvent {
  return {
    version: '0',
    id,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: finding.accountId,
    time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: finding.region,
    resources: [],
    detail: finding,
  };
}
