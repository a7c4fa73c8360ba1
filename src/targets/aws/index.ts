import type { Target, TargetDeps } from '../types.js';
import { createEventBridgeTarget } from './eventbridge.js';
import { createSecurityHubTarget } from './securityhub.js';
import { createSnsTarget } from './sns.js';

export { type AsffOptions, asffType, toAsff } from './asff.js';
export { classifyAwsError } from './common.js';
export { createEventBridgeTarget, EventBridgeTarget, EventBridgeTargetConfigSchema } from './eventbridge.js';
export { createSecurityHubTarget, SecurityHubTarget, SecurityHubTargetConfigSchema } from './securityhub.js';
export { createSnsTarget, SnsTarget, SnsTargetConfigSchema } from './sns.js';

/** Factories for the AWS targets, by kind: `(id, options, deps) => Target`; options are validated strictly. */
export const awsTargetFactories: Readonly<Record<'sns' | 'eventbridge' | 'securityhub', (id: string, options: unknown, deps: TargetDeps) => Target>> = {
  sns: (id, options, deps) => createSnsTarget(id, options, deps),
  eventbridge: (id, options, deps) => createEventBridgeTarget(id, options, deps),
  securityhub: (id, options, deps) => createSecurityHubTarget(id, options, deps),
};
