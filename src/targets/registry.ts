import type { z } from 'zod';
import {
  createEventBridgeTarget,
  createSecurityHubTarget,
  createSnsTarget,
  EventBridgeTargetConfigSchema,
  SecurityHubTargetConfigSchema,
  SnsTargetConfigSchema,
} from './aws/index.js';
import { createEmailTarget, emailTargetSchema } from './email.js';
import { createRemediationTarget, type RemediationOverrides, RemediationTargetConfigSchema } from './remediation/index.js';
import { createSlackTarget, slackTargetSchema } from './slack.js';
import { createTeamsTarget, teamsTargetSchema } from './teams.js';
import type { Target, TargetDeps } from './types.js';
import { createWebhookTarget, webhookTargetSchema } from './webhook.js';

/**
 * Every target kind, in one explicit registry: its configuration schema (strict: unknown keys are errors) and
 * its factory. The configuration of `targets:` is validated against these before anything starts.
 */
export const TARGET_KINDS = {
  email: { schema: emailTargetSchema, create: createEmailTarget },
  webhook: { schema: webhookTargetSchema, create: createWebhookTarget },
  slack: { schema: slackTargetSchema, create: createSlackTarget },
  teams: { schema: teamsTargetSchema, create: createTeamsTarget },
  sns: { schema: SnsTargetConfigSchema, create: createSnsTarget },
  eventbridge: { schema: EventBridgeTargetConfigSchema, create: createEventBridgeTarget },
  securityhub: { schema: SecurityHubTargetConfigSchema, create: createSecurityHubTarget },
  remediation: { schema: RemediationTargetConfigSchema, create: createRemediationTarget },
} as const satisfies Record<string, { schema: z.ZodType; create: (id: string, config: unknown, deps: TargetDeps) => Target }>;

export type TargetKind = keyof typeof TARGET_KINDS;

export function isTargetKind(kind: string): kind is TargetKind {
  return Object.hasOwn(TARGET_KINDS, kind);
}

/** Problems in one target's configuration, as (path, message) pairs relative to the target. */
export function targetConfigIssues(config: { type: string }): Array<{ path: Array<string | number>; message: string }> {
  if (!isTargetKind(config.type))
    return [{ path: ['type'], message: `unknown target type ${JSON.stringify(config.type)}; one of ${Object.keys(TARGET_KINDS).join(', ')}` }];
  const result = TARGET_KINDS[config.type].schema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message }));
}

/** Builds a target from its (already validated) configuration. */
export function createTarget(id: string, config: { type: string }, deps: TargetDeps, remediation: RemediationOverrides = {}): Target {
  if (!isTargetKind(config.type)) throw new Error(`unknown target type ${config.type}`);
  if (config.type === 'remediation') return createRemediationTarget(id, config, deps, remediation);
  return TARGET_KINDS[config.type].create(id, config, deps);
}
