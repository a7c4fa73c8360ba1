import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import Database from 'better-sqlite3';
import { fixedClock } from '../../core/clock.js';
import type { Finding } from '../../core/finding.js';
import { eventOf, inputOf, workshopFinding } from '../aws/test-helpers.js';
import type { AuditLog } from './audit.js';
import type { Remediator } from './remediator.js';
import { createRemediationTarget, type RemediationTarget } from './target.js';

export const NOW = '2026-03-01T12:34:56.789Z';
/** The cutoff for NOW: second precision, rounded up. */
export const CUTOFF = '2026-03-01T12:34:57Z';
export const ICE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
export const ROLE = 'GuardDuty-Example-EC2-Compromised';
export const USER = 'GuardDuty-Example-Compromised-Simulated';
export const INSTANCE = 'i-0a1b2c3d4e5f67890';

export const SCOPE = {
  accounts: ['111122223333'],
  regions: ['us-west-2'],
  roles: ['GuardDuty-Example-*'],
  users: ['GuardDuty-Example-*'],
  instanceIds: [],
  instanceTags: [{ key: 'Environment', value: 'workshop' }],
};

export function revokeDocument(cutoff = CUTOFF) {
  return {
    Version: '2012-10-17',
    Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } } },
  };
}

export function noSuchEntity(): NoSuchEntityException {
  return new NoSuchEntityException({ message: 'The role policy with name AWSRevokeOlderSessions cannot be found.', $metadata: { httpStatusCode: 404 } });
}

export interface Built {
  db: Database.Database;
  target: RemediationTarget;
  audit: AuditLog;
  remediator: Remediator;
}

export function build(config: Record<string, unknown>, at: string = NOW): Built {
  const db = new Database(':memory:');
  const target = createRemediationTarget(
    'respond',
    { scope: SCOPE, ...config },
    { clock: fixedClock(at), env: {} },
    { db, clients: { iam: new IAMClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-west-2' }) } },
  );
  return { db, target, audit: target.auditLog(), remediator: target.remediator };
}

export function ice(): Finding {
  return workshopFinding(ICE);
}

export function deliverInput(finding: Finding) {
  return inputOf(eventOf(finding));
}
