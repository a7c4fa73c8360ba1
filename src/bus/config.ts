import { z } from 'zod';
import { PUBLISHING_FREQUENCIES } from './publisher.js';

/**
 * Rules as EventBridge shapes them: a name, an event pattern, a state, and up to five targets, each with at most
 * one of `input`, `inputPath` or `inputTransformer`. A rule target names a configured target (`targets:` in the
 * configuration, where connection settings live once) by `target`, and has its own `id`, as in EventBridge.
 */
export const InputTransformerSchema = z.strictObject({
  inputPathsMap: z.record(z.string(), z.string()).default({}),
  inputTemplate: z.string().max(8192),
});

export const RuleTargetSchema = z
  .strictObject({
    id: z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/, 'an id is 1-64 letters, digits, ".", "-" or "_"'),
    target: z.string().min(1),
    input: z.string().max(8192).optional(),
    inputPath: z.string().max(256).optional(),
    inputTransformer: InputTransformerSchema.optional(),
  })
  .refine((t) => [t.input, t.inputPath, t.inputTransformer].filter((x) => x !== undefined).length <= 1, {
    message: 'give at most one of input, inputPath and inputTransformer',
  });

export const RuleSchema = z.strictObject({
  name: z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/, 'a rule name is 1-64 letters, digits, ".", "-" or "_"'),
  description: z.string().max(512).optional(),
  state: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
  /** Validated by the pattern compiler when the configuration is loaded (errors carry AWS's messages). */
  eventPattern: z.union([z.record(z.string(), z.unknown()), z.string()]),
  targets: z.array(RuleTargetSchema).max(5, 'a rule has at most 5 targets').default([]),
});

export const PublishingSchema = z.strictObject({
  /** GuardDuty's findingPublishingFrequency for updates (new findings are always published at once). */
  frequency: z.enum(Object.keys(PUBLISHING_FREQUENCIES) as [keyof typeof PUBLISHING_FREQUENCIES]).default('SIX_HOURS'),
});

export const RetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(100).default(8),
  baseDelayMs: z.number().int().min(0).default(1000),
  maxDelayMs: z.number().int().min(0).default(300_000),
});

export type RuleConfig = z.infer<typeof RuleSchema>;
export type RuleTargetConfig = z.infer<typeof RuleTargetSchema>;
