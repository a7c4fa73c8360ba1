export { type AuditEntry, AuditLog } from './audit.js';
export { type ApiCall, type CallRecord, Executor } from './executor.js';
export {
  instanceIsolatedNotification,
  keyDeactivatedNotification,
  PLAYBOOK_REGISTRY,
  PLAYBOOKS,
  type PlaybookName,
  roleRevokedNotification,
} from './playbooks.js';
export { ROLE_REVOKE_POLICY_NAME, revokeOlderSessionsPolicy, tokenIssueCutoff, USER_REVOKE_POLICY_NAME } from './policy.js';
export { type RemediationResult, Remediator } from './remediator.js';
export { ScopeSchema } from './scope.js';
export { createRemediationTarget, IsolationSchema, outcomeOf, type RemediationOverrides, RemediationTarget, RemediationTargetConfigSchema } from './target.js';
