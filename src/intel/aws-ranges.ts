import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { IntelError } from '../core/errors.js';
import { type Ip, parseCidr } from '../core/ip.js';
import { IpIndex } from './ip-index.js';

/** The copy of `ip-ranges.json` that ships with Trailhound. */
export const BUNDLED_AWS_RANGES = fileURLToPath(new URL('../../data/aws-ip-ranges.json', import.meta.url));

/** Where `intel update-aws-ranges` writes by default, and where `detect` looks before the bundled copy. */
export function userAwsRangesPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.TRAILHOUND_HOME || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'trailhound');
  return join(base, 'aws-ip-ranges.json');
}

const RangesSchema = z.object({
  syncToken: z.string(),
  createDate: z.string().regex(/^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD-hh-mm-ss'),
  prefixes: z.array(z.object({ ip_prefix: z.string(), region: z.string(), service: z.string() })),
  ipv6_prefixes: z.array(z.object({ ipv6_prefix: z.string(), region: z.string(), service: z.string() })),
});

/** What `ip-ranges.json` says about one prefix: the service (`AMAZON`, `EC2`, `S3`, ...) and the region. */
export interface AwsPrefix {
  readonly service: string;
  readonly region: string;
}

export interface AwsRanges {
  /** Every prefix, each carrying its `{service, region}` entries (interned: one object per distinct pair). */
  index: IpIndex<AwsPrefix>;
  createDate: string;
  syncToken: string;
  prefixCount: number;
  path: string;
}

/** Validates an `ip-ranges.json` document and compiles it into an index. */
export function compileAwsRanges(text: string, path: string): AwsRanges {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new IntelError(path, `AWS IP ranges are not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = RangesSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new IntelError(path, `not an AWS ip-ranges.json document: ${issues.join('; ')}`);
  }
  const index = new IpIndex<AwsPrefix>();
  // The same prefix is listed once per service (AMAZON and EC2, say): the index keeps the network once with
  // one value per pair. Values are interned so that the index's de-duplication (by identity) applies.
  const interned = new Map<string, AwsPrefix>();
  const all = [
    ...parsed.data.prefixes.map((p) => ({ prefix: p.ip_prefix, service: p.service, region: p.region })),
    ...parsed.data.ipv6_prefixes.map((p) => ({ prefix: p.ipv6_prefix, service: p.service, region: p.region })),
  ];
  for (const { prefix, service, region } of all) {
    const cidr = parseCidr(prefix);
    if ('error' in cidr) throw new IntelError(path, `bad prefix ${JSON.stringify(prefix)}: ${cidr.error}`);
    const key = `${service}\u0000${region}`;
    let value = interned.get(key);
    if (!value) {
      value = Object.freeze({ service, region });
      interned.set(key, value);
    }
    index.add(cidr, value);
  }
  if (all.length === 0) throw new IntelError(path, 'AWS IP ranges document has no prefixes');
  return { index, createDate: parsed.data.createDate, syncToken: parsed.data.syncToken, prefixCount: all.length, path };
}

/**
 * The AWS service and region that `ip` belongs to, or `undefined` outside AWS's ranges. An address is usually
 * listed under `AMAZON` (all of Amazon) and under one specific service (`EC2`, `S3`, ...) for a more specific
 * or the same prefix: the specific service of the longest matching prefix wins, `AMAZON` only when nothing
 * more specific is listed. `services` holds every service listed for the address, sorted.
 */
export function awsServiceOf(ranges: Pick<AwsRanges, 'index'>, ip: Ip): { service: string; region: string; services: string[] } | undefined {
  // lookup() visits prefix lengths longest first, so the first entries come from the most specific prefix.
  const entries = ranges.index.lookup(ip);
  if (!entries || entries.length === 0) return undefined;
  const best = entries.find((e) => e.service !== 'AMAZON') ?? (entries[0] as AwsPrefix);
  const services = [...new Set(entries.map((e) => e.service))].sort();
  return { service: best.service, region: best.region, services };
}

export async function loadAwsRanges(path: string): Promise<AwsRanges> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new IntelError(path, `cannot read AWS IP ranges: ${(err as Error).message}`, { cause: err });
  }
  return compileAwsRanges(text, path);
}

/**
 * Picks the ranges file to use: an explicit path, else the newer (by `createDate`) of the user copy written
 * by `intel update-aws-ranges` and the bundled copy.
 */
export async function resolveAwsRanges(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): Promise<AwsRanges> {
  if (explicit) return loadAwsRanges(explicit);
  const bundled = await loadAwsRanges(BUNDLED_AWS_RANGES);
  const user = userAwsRangesPath(env);
  if (!existsSync(user)) return bundled;
  let updated: AwsRanges;
  try {
    updated = await loadAwsRanges(user);
  } catch (err) {
    // A damaged update must not stop detection: say so, and use the bundled copy.
    warn(`${(err as Error).message}; using the bundled AWS IP ranges of ${bundled.createDate} (run intel update-aws-ranges to repair)`);
    return bundled;
  }
  return updated.createDate >= bundled.createDate ? updated : bundled;
}

/**
 * Fetches (http/https URL) or reads (file) a new `ip-ranges.json`, validates it, and writes it atomically.
 * Refuses a document older than the one it would replace.
 */
export async function updateAwsRanges(from: string, out: string): Promise<{ ranges: AwsRanges; previous?: string }> {
  let text: string;
  if (/^https?:\/\//i.test(from)) {
    let res: Response;
    try {
      res = await fetch(from, { signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new IntelError(from, `download failed: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new IntelError(from, `download failed: HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = await readFile(from, 'utf8');
    } catch (err) {
      throw new IntelError(from, `cannot read: ${(err as Error).message}`, { cause: err });
    }
  }
  const ranges = compileAwsRanges(text, from);
  let previous: string | undefined;
  if (existsSync(out)) {
    // An unreadable existing copy is replaced: repairing it is one reason to run the update.
    previous = await loadAwsRanges(out).then(
      (r) => r.createDate,
      () => 'an unreadable copy',
    );
    if (previous !== 'an unreadable copy' && previous > ranges.createDate) {
      throw new IntelError(from, `is older (${ranges.createDate}) than the copy at ${out} (${previous}); not replaced`);
    }
  }
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, out);
  return { ranges: { ...ranges, path: out }, previous };
}
