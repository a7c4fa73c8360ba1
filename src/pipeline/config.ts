import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PublishingSchema, RetrySchema, RuleSchema } from '../bus/config.js';
import { validatePattern } from '../bus/pattern/index.js';
import { validateTargetInput } from '../bus/transformer.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { parseCidr } from '../core/ip.js';
import { targetConfigIssues } from '../targets/registry.js';

/**
 * The configuration file (YAML or JSON), validated as a whole before anything starts: unknown keys are
 * errors, and every problem is reported with its path. Relative paths are relative to the file.
 */
const address = z.string().refine((s) => !('error' in parseCidr(s)) && !s.includes('/'), { message: 'not an IPv4 or IPv6 address' });

const AccountSchema = z.strictObject({
  id: z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits'),
  egressAddresses: z.array(address).default([]),
  affiliated: z.boolean().default(true),
});

const DetectorsSchema = z.strictObject({
  apiClassification: z
    .record(
      z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+(\.userData)?$/, 'expected <service>:<ApiName>, e.g. ssm:GetParameters'),
      z.enum(['recon', 'unauthorized']),
    )
    .default({}),
  accounts: z.array(AccountSchema).default([]),
  instances: z.record(z.string().regex(/^i-[0-9a-fA-F]{8,17}$/, 'expected an instance id'), z.strictObject({ addresses: z.array(address) })).default({}),
  globalServiceRegion: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region name such as us-west-2')
    .default('us-east-1'),
  maxTrackedInstances: z.number().int().min(1).max(10_000_000).default(100_000),
  maxAddressesPerInstance: z.number().int().min(1).max(10_000).default(64),
});

const ListSchema = z.union([z.string().min(1), z.strictObject({ name: z.string().min(1).max(300), path: z.string().min(1) })]);

/** A configured target: its `type` selects the schema the rest is validated against (see src/targets). */
const TargetSchema = z.looseObject({ type: z.string().min(1) });

export const ConfigSchema = z
  .strictObject({
    threatLists: z.array(ListSchema).default([]),
    trustedLists: z.array(z.string().min(1)).default([]),
    db: z.string().min(1).optional(),
    awsIpRanges: z.string().min(1).optional(),
    detectors: DetectorsSchema.default(DetectorsSchema.parse({})),
    publishing: PublishingSchema.default(PublishingSchema.parse({})),
    delivery: RetrySchema.default(RetrySchema.parse({})),
    targets: z.record(z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/, 'a target name is 1-64 letters, digits, ".", "-" or "_"'), TargetSchema).default({}),
    rules: z.array(RuleSchema).default([]),
  })
  .superRefine((c, ctx) => {
    for (const [name, target] of Object.entries(c.targets)) {
      for (const issue of targetConfigIssues(target)) ctx.addIssue({ code: 'custom', path: ['targets', name, ...issue.path], message: issue.message });
    }
    const names = new Set<string>();
    c.rules.forEach((rule, i) => {
      if (names.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `another rule is named ${JSON.stringify(rule.name)}` });
      names.add(rule.name);
      try {
        validatePattern(typeof rule.eventPattern === 'string' ? rule.eventPattern : JSON.stringify(rule.eventPattern));
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'eventPattern'], message: (err as Error).message });
      }
      const ids = new Set<string>();
      rule.targets.forEach((t, j) => {
        try {
          validateTargetInput(t, t.id);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'targets', j], message: (err as Error).message });
        }
        if (!(t.target in c.targets))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'targets', j, 'target'], message: `no target named ${JSON.stringify(t.target)} under targets:` });
        if (ids.has(t.id))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'targets', j, 'id'], message: `another target of this rule has the id ${JSON.stringify(t.id)}` });
        ids.add(t.id);
        // One delivery per (rule, configured target, event): a second entry for the same target would never be sent.
        if (rule.targets.findIndex((o) => o.target === t.target) !== j)
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'targets', j, 'target'],
            message: `this rule already sends to ${JSON.stringify(t.target)}; use another rule for a second input`,
          });
      });
    });
  });

export type Config = z.infer<typeof ConfigSchema>;

export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

/** Validates a parsed document; throws `ConfigError` listing every issue. */
export function validateConfig(doc: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(doc ?? {});
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ConfigError(source, issues);
}

/** Reads, parses and validates a config file; list and database paths become absolute. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read: ${(err as Error).message}` }], { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `not valid YAML/JSON: ${(err as Error).message}` }], { cause: err });
  }
  const config = validateConfig(doc, path);
  const base = dirname(path);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    threatLists: config.threatLists.map((l) => (typeof l === 'string' ? listSpecAbs(l, abs) : { ...l, path: abs(l.path) })),
    trustedLists: config.trustedLists.map((l) => listSpecAbs(l, abs) as string),
    ...(config.db ? { db: abs(config.db) } : {}),
    ...(config.awsIpRanges ? { awsIpRanges: abs(config.awsIpRanges) } : {}),
    // Files named inside target settings (a remediation target's audit log) are relative to the file too.
    targets: Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, typeof t.audit === 'string' ? { ...t, audit: abs(t.audit) } : t])),
  };
}

function listSpecAbs(spec: string, abs: (p: string) => string): string {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return `${spec.slice(0, eq)}=${abs(spec.slice(eq + 1))}`;
  return abs(spec);
}

/** `{name, path}` or `NAME=FILE` / `FILE` as a list spec string. */
export function listSpec(l: Config['threatLists'][number]): string {
  return typeof l === 'string' ? l : `${l.name}=${l.path}`;
}
