import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PublishingSchema, RetrySchema, RuleSchema } from '../bus/config.js';
import { validatePattern } from '../bus/pattern/index.js';
import { validateTargetInput } from '../bus/transformer.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { parseCidr } from '../core/ip.js';
import { DOMAIN_LIST_CATEGORIES, IP_LIST_CATEGORIES } from '../intel/categories.js';
import { LIST_FORMATS } from '../intel/formats.js';
import type { ListSpec } from '../intel/threat-list.js';
import { targetConfigIssues } from '../targets/registry.js';

/**
 * The configuration file (YAML or JSON), validated as a whole before anything starts: unknown keys are
 * errors, and every problem is reported with its path. Relative paths are relative to the file.
 */
const address = z.string().refine((s) => !('error' in parseCidr(s)) && !s.includes('/'), { message: 'not an IPv4 or IPv6 address' });

/** An address or a CIDR (`203.0.113.0/24`, `2001:db8::/32`); host bits beyond the prefix are cleared. */
const network = z.string().superRefine((s, ctx) => {
  const c = parseCidr(s);
  if ('error' in c) ctx.addIssue({ code: 'custom', message: `${c.error} (expected an IPv4 or IPv6 address or CIDR)` });
});

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
  /** Network interface -> instance, for flow records without instance-id (the default version-2 format). */
  interfaces: z
    .record(
      z.string().regex(/^eni-[0-9a-fA-F]{8,17}$/, 'expected a network interface id'),
      z.string().regex(/^i-[0-9a-fA-F]{8,17}$/, 'expected an instance id'),
    )
    .default({}),
  /**
   * Mail servers: instances allowed to send mail (never `Backdoor:EC2/Spambot`), and relays (addresses or CIDRs: the
   * company's smarthost, SES endpoints) whose connections do not count toward Spambot's threshold.
   */
  mailServers: z
    .strictObject({
      instances: z.array(z.string().regex(/^i-[0-9a-fA-F]{8,17}$/, 'expected an instance id')).optional(),
      destinations: z.array(network).optional(),
    })
    .optional(),
  globalServiceRegion: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region name such as us-west-2')
    .default('us-east-1'),
  maxTrackedInstances: z.number().int().min(1).max(10_000_000).default(100_000),
  maxAddressesPerInstance: z.number().int().min(1).max(10_000).default(64),
});

/**
 * A list: `NAME=FILE` / `FILE`, or `{name, path, format, category}`. `format`: one of GuardDuty's, detected from the
 * content when absent. `category` (intel/categories.ts): what the list feeds; for IP lists `threat` (the default) or
 * `tor`, for domain lists `threat`, `c2` or `mining`. Without it (and always for the `NAME=FILE` form) the list's name
 * decides by the old naming convention (`tor*`, `c2*`, `crypto*`, ...).
 */
function listSchema<const C extends readonly [string, ...string[]]>(categories: C) {
  const object = z.strictObject({
    name: z.string().min(1).max(300),
    path: z.string().min(1),
    format: z.enum(LIST_FORMATS, { error: (i) => `${JSON.stringify(i.input)} is not a list format (one of ${LIST_FORMATS.join(', ')})` }).optional(),
    category: z.enum(categories, { error: (i) => `${JSON.stringify(i.input)} is not a category of this list (one of ${categories.join(', ')})` }).optional(),
  });
  // Not z.union: a union reports only "Invalid input" for a bad object; this reports the object's own issues with paths.
  return z.unknown().transform((v, ctx): string | z.infer<typeof object> => {
    if (typeof v === 'string' && v.length > 0) return v;
    const r = object.safeParse(v);
    if (r.success) return r.data;
    if (typeof v !== 'object' || v === null) ctx.addIssue({ code: 'custom', message: 'expected NAME=FILE, FILE, or {name, path, format, category}' });
    else for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    return z.NEVER;
  });
}
const IpListSchema = listSchema(IP_LIST_CATEGORIES);
const DomainListSchema = listSchema(DOMAIN_LIST_CATEGORIES);

const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region name such as us-west-2');
const Endpoint = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const SourceName = z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/, 'a source name is 1-64 letters, digits, ".", "-" or "_"');

/** Where `serve` reads logs from. Each source polls on its own interval; `name` keys its checkpoints. */
const SourceSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('folder'),
    name: SourceName,
    paths: z.array(z.string().min(1)).min(1),
    intervalSeconds: z.number().min(0.05).max(3600).default(5),
    /** A file modified more recently than this is left for a later poll (it may still be being written). */
    settleMs: z.number().int().min(0).max(600_000).default(2000),
  }),
  z.strictObject({
    type: z.literal('s3'),
    name: SourceName,
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name'),
    prefix: z.string().max(512).optional(),
    accounts: z.array(z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits')).optional(),
    regions: z.array(Region).optional(),
    organizationId: z.union([z.literal('auto'), z.string().regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id o-...')]).optional(),
    startDate: z.iso.date().optional(),
    lookbackDays: z.number().int().min(1).max(31).default(2),
    /** What to read under `AWSLogs/`: CloudTrail, VPC Flow Logs (text; Parquet is skipped), Route 53 Resolver query logs. */
    logTypes: z
      .array(z.enum(['cloudtrail', 'vpcflowlogs', 'vpcdnsquerylogs']))
      .min(1)
      .refine((t) => new Set(t).size === t.length, { message: 'a log type is listed twice' })
      .default(['cloudtrail']),
    /** VPCs whose Resolver query logs are read; listed under each account's `vpcdnsquerylogs/` when absent. */
    vpcs: z.array(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id')).optional(),
    intervalSeconds: z.number().min(1).max(3600).default(60),
    region: Region.default('us-east-1'),
    endpoint: Endpoint.optional(),
  }),
  z.strictObject({
    type: z.literal('sqs'),
    name: SourceName,
    queueUrl: z.url(),
    waitSeconds: z.number().int().min(0).max(20).default(20),
    intervalSeconds: z.number().min(0).max(3600).default(0),
    region: Region.default('us-east-1'),
    endpoint: Endpoint.optional(),
  }),
]);

const UserSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._@+-]{1,64}$/, 'a user name is 1-64 letters, digits or ._@+-'),
  role: z.enum(['viewer', 'responder']),
  /** `scrypt$...` as printed by `trailhound hash-password`. */
  passwordHash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'expected a hash from `trailhound hash-password`'),
});

const TokenSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9._@+-]{1,64}$/, 'a token name is 1-64 letters, digits or ._@+-'),
    role: z.enum(['viewer', 'responder', 'ingest']),
    /** The SHA-256 (hex) of the token, as printed by `trailhound hash-password --token`; or the variable holding the token. */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected 64 hex digits')
      .optional(),
    env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
      .optional(),
  })
  .refine((t) => (t.sha256 === undefined) !== (t.env === undefined), { message: 'give exactly one of sha256 and env', path: ['sha256'] });

/**
 * Offline enrichment of remote addresses (organisation / ASN, country, city, location). The packaged databases
 * (country and ASN, CC BY 4.0) are used unless a path is given; a MaxMind GeoLite2/GeoIP2 `.mmdb` can be plugged in.
 */
const EnrichmentSchema = z.strictObject({
  enabled: z.boolean().default(true),
  countryDb: z.string().min(1).optional(),
  cityDb: z.string().min(1).optional(),
  asnDb: z.string().min(1).optional(),
});

const ServeSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** The origin browsers use (https://trailhound.example.com) when behind a proxy; cross-site checks compare against it. */
  publicOrigin: z.url().optional(),
  /** Set the cookie's Secure flag (serve behind TLS). */
  secureCookies: z.boolean().default(false),
  sessionHours: z
    .number()
    .min(0.1)
    .max(24 * 30)
    .default(12),
  users: z.array(UserSchema).default([]),
  tokens: z.array(TokenSchema).default([]),
  sources: z.array(SourceSchema).default([]),
  /** Findings not updated and events older than this are deleted (GuardDuty keeps findings 90 days). */
  retentionDays: z.number().int().min(1).max(3650).default(90),
  /** The largest body the ingest endpoint accepts. */
  maxIngestBytes: z
    .number()
    .int()
    .min(1024)
    .max(512 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /** How often list files (threat, trusted, domain lists) are checked for changes; a changed file is reloaded in place. */
  reloadListsSeconds: z.number().min(0.05).max(3600).default(30),
  /** Objects read per transaction. */
  batchObjects: z.number().int().min(1).max(10_000).default(50),
});

/** A configured target: its `type` selects the schema the rest is validated against (see src/targets). */
const TargetSchema = z.looseObject({ type: z.string().min(1) });

export const ConfigSchema = z
  .strictObject({
    /** Threat lists of addresses: category `threat` (MaliciousIPCaller.Custom, ...) or `tor` (TorClient). */
    threatLists: z.array(IpListSchema).default([]),
    /**
     * Threat lists of domains (any GuardDuty format): category `threat` (Impact:EC2/MaliciousDomainRequest.Custom),
     * `c2` (Backdoor:EC2/C&CActivity.B!DNS) or `mining` (CryptoCurrency:EC2/BitcoinTool.B!DNS).
     */
    threatDomainLists: z.array(DomainListSchema).default([]),
    trustedLists: z.array(z.string().min(1)).default([]),
    db: z.string().min(1).optional(),
    awsIpRanges: z.string().min(1).optional(),
    detectors: DetectorsSchema.default(DetectorsSchema.parse({})),
    publishing: PublishingSchema.default(PublishingSchema.parse({})),
    delivery: RetrySchema.default(RetrySchema.parse({})),
    targets: z.record(z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/, 'a target name is 1-64 letters, digits, ".", "-" or "_"'), TargetSchema).default({}),
    rules: z.array(RuleSchema).default([]),
    serve: ServeSchema.default(ServeSchema.parse({})),
    enrichment: EnrichmentSchema.default(EnrichmentSchema.parse({})),
  })
  .superRefine((c, ctx) => {
    const sourceNames = new Set<string>();
    c.serve.sources.forEach((s, i) => {
      if (sourceNames.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['serve', 'sources', i, 'name'], message: `another source is named ${JSON.stringify(s.name)}` });
      sourceNames.add(s.name);
    });
    const principals = new Set<string>();
    [...c.serve.users.map((u, i) => ['users', i, u.name] as const), ...c.serve.tokens.map((t, i) => ['tokens', i, t.name] as const)].forEach(
      ([kind, i, name]) => {
        if (principals.has(name))
          ctx.addIssue({ code: 'custom', path: ['serve', kind, i, 'name'], message: `the name ${JSON.stringify(name)} is used twice among users and tokens` });
        principals.add(name);
      },
    );
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
export type SourceConfig = Config['serve']['sources'][number];
export type ServeConfig = Config['serve'];

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
    threatDomainLists: config.threatDomainLists.map((l) => (typeof l === 'string' ? listSpecAbs(l, abs) : { ...l, path: abs(l.path) })),
    trustedLists: config.trustedLists.map((l) => listSpecAbs(l, abs) as string),
    ...(config.db ? { db: abs(config.db) } : {}),
    ...(config.awsIpRanges ? { awsIpRanges: abs(config.awsIpRanges) } : {}),
    // Files named inside target settings (a remediation target's audit log) are relative to the file too.
    targets: Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, typeof t.audit === 'string' ? { ...t, audit: abs(t.audit) } : t])),
    enrichment: {
      ...config.enrichment,
      ...(config.enrichment.countryDb ? { countryDb: abs(config.enrichment.countryDb) } : {}),
      ...(config.enrichment.cityDb ? { cityDb: abs(config.enrichment.cityDb) } : {}),
      ...(config.enrichment.asnDb ? { asnDb: abs(config.enrichment.asnDb) } : {}),
    },
    serve: { ...config.serve, sources: config.serve.sources.map((s) => (s.type === 'folder' ? { ...s, paths: s.paths.map(abs) } : s)) },
  };
}

function listSpecAbs(spec: string, abs: (p: string) => string): string {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return `${spec.slice(0, eq)}=${abs(spec.slice(eq + 1))}`;
  return abs(spec);
}

/** A configured threat list (IP or domain) as `loadIpList` / `loadDomainList` take it, its category included. */
export function listSpec<C extends string>(
  l: string | { name: string; path: string; format?: ListSpec['format'] | undefined; category?: C | undefined },
): string | ListSpec<C> {
  return typeof l === 'string' ? l : { name: l.name, path: l.path, ...(l.format ? { format: l.format } : {}), ...(l.category ? { category: l.category } : {}) };
}
