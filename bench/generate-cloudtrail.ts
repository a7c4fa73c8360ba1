/**
 * Deterministic generator of a synthetic but realistic CloudTrail corpus for benchmarking `trailhound detect`.
 *
 * Writes, under OUT:
 * - `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 chars>.json.gz`,
 *   each a gzip of `{"Records":[...]}` with 500-2000 records, as CloudTrail delivers them to S3;
 * - `threat-list-a.txt` and `threat-list-b.txt`: 250,000 entries each (GuardDuty's TXT format), list A holding
 *   the attacker addresses;
 * - `threat-list-attackers.txt`: the attacker addresses used in the corpus;
 * - `corpus.json`: what was generated (options, counts, sizes, the injected attack traffic).
 *
 * Everything is derived from `--seed` through one PRNG (no `Math.random`, no wall clock), so the same options
 * give byte-identical output. Only Node built-ins are used.
 *
 * Usage: node --import tsx bench/generate-cloudtrail.ts [--events N] [--out DIR] [--seed S]
 */

import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCliArgs, promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export const DEFAULT_EVENTS = 1_000_000;
export const DEFAULT_SEED = 'trailhound-bench';
export const THREAT_LIST_ENTRIES = 250_000;
/** Written to OUT/corpus.json; its presence marks OUT/AWSLogs as ours (and so safe to replace). */
export const MANIFEST = 'corpus.json';
/** Bumped whenever the generator's output changes, so that `bench/run.ts` regenerates an older corpus. */
export const CORPUS_VERSION = 2;
const ATTACK_SHARE = 0.001;
const START = Date.UTC(2025, 2, 3, 0, 0, 0);
const FILE_WINDOW_MS = 5 * 60_000;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1'] as const;
const REGION_WEIGHT: Record<string, number> = { 'us-east-1': 0.45, 'us-west-2': 0.18, 'eu-west-1': 0.25, 'eu-central-1': 0.12 };
const AZ_ID: Record<string, string> = { 'us-east-1': 'use1-az4', 'us-west-2': 'usw2-az2', 'eu-west-1': 'euw1-az1', 'eu-central-1': 'euc1-az2' };

// ---------------------------------------------------------------------------------------------------------
// PRNG

/** sfc32 seeded through cyrb128: fast, 128-bit state, good enough statistics for synthetic data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    let h1 = 1779033703;
    let h2 = 3144134277;
    let h3 = 1013904242;
    let h4 = 2773480762;
    for (let i = 0; i < seed.length; i++) {
      const k = seed.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    h1 ^= h2 ^ h3 ^ h4;
    h2 ^= h1;
    h3 ^= h1;
    h4 ^= h1;
    this.a = h1 >>> 0;
    this.b = h2 >>> 0;
    this.c = h3 >>> 0;
    this.d = h4 >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** [lo, hi] */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  hex(n: number): string {
    return this.chars(HEX, n);
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

const HEX = '0123456789abcdef';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = `${ALNUM}+/`;

/** Picks items in proportion to their weights (binary search over the cumulative weights). */
export class Weighted<T> {
  private readonly items: T[] = [];
  private readonly cumulative: number[] = [];
  private total = 0;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    for (const [item, weight] of entries) {
      if (weight <= 0) continue;
      this.total += weight;
      this.items.push(item);
      this.cumulative.push(this.total);
    }
  }

  get size(): number {
    return this.items.length;
  }

  pick(rng: Rng): T {
    const x = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Addresses

function getOrSet<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function ipToText(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function textToIp(s: string): number {
  const p = s.split('.').map(Number);
  return (((p[0] ?? 0) << 24) >>> 0) + ((p[1] ?? 0) << 16) + ((p[2] ?? 0) << 8) + (p[3] ?? 0);
}

function mask(n: number, len: number): number {
  return len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0;
}

function isNonPublicV4(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

interface Prefix {
  start: number;
  size: number;
}

/** AWS's published IPv4 ranges: EC2 prefixes per region (to draw AWS addresses) and all ranges (to avoid them). */
class AwsSpace {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  readonly ec2: Map<string, Prefix[]> = new Map();
  readonly source: string;

  constructor() {
    const file = fileURLToPath(new URL('../data/aws-ip-ranges.json', import.meta.url));
    let prefixes: Array<{ ip_prefix: string; region: string; service: string }>;
    if (existsSync(file)) {
      prefixes = (JSON.parse(readFileSync(file, 'utf8')) as { prefixes: typeof prefixes }).prefixes;
      this.source = file;
    } else {
      // A few real EC2 blocks, enough to draw plausible addresses when the bundled ranges are absent.
      const fallback: Record<string, string[]> = {
        'us-east-1': ['3.80.0.0/12', '18.204.0.0/14', '52.0.0.0/15', '54.144.0.0/14'],
        'us-west-2': ['34.208.0.0/12', '52.10.0.0/15', '54.184.0.0/13', '18.236.0.0/15'],
        'eu-west-1': ['34.240.0.0/13', '52.16.0.0/15', '54.72.0.0/15', '3.248.0.0/13'],
        'eu-central-1': ['3.120.0.0/14', '18.184.0.0/15', '52.28.0.0/16', '54.93.0.0/16'],
      };
      prefixes = Object.entries(fallback).flatMap(([region, list]) => list.map((ip_prefix) => ({ ip_prefix, region, service: 'EC2' })));
      for (const block of ['3.0.0.0/8', '13.0.0.0/8', '15.0.0.0/8', '18.0.0.0/8', '34.0.0.0/8', '35.0.0.0/8', '52.0.0.0/8', '54.0.0.0/8', '99.0.0.0/8']) {
        prefixes.push({ ip_prefix: block, region: 'GLOBAL', service: 'AMAZON' });
      }
      this.source = 'built-in fallback blocks';
    }
    const ranges: Array<[number, number]> = [];
    for (const p of prefixes) {
      const [addr, lenText] = p.ip_prefix.split('/');
      const len = Number(lenText);
      const start = mask(textToIp(addr ?? '0.0.0.0'), len);
      const size = 2 ** (32 - len);
      ranges.push([start, start + size - 1]);
      if (p.service === 'EC2' && (REGIONS as readonly string[]).includes(p.region)) {
        const first = start >>> 24;
        // Prefer the classic EC2 blocks (3.x, 18.x, 52.x, 54.x) that analysts recognise.
        if (first === 3 || first === 18 || first === 52 || first === 54) {
          getOrSet(this.ec2, p.region, () => []).push({ start, size });
        }
      }
    }
    ranges.sort((x, y) => x[0] - y[0]);
    for (const [s, e] of ranges) {
      const last = this.ends.length - 1;
      if (last >= 0 && s <= (this.ends[last] as number) + 1) this.ends[last] = Math.max(this.ends[last] as number, e);
      else {
        this.starts.push(s);
        this.ends.push(e);
      }
    }
  }

  contains(n: number): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as number) > n) hi = mid - 1;
      else if ((this.ends[mid] as number) < n) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** An address inside one of the region's EC2 prefixes (never the network or broadcast address of a block). */
  ec2Address(rng: Rng, region: string): string {
    const list = this.ec2.get(region) ?? this.ec2.get('us-east-1');
    if (!list || list.length === 0) throw new Error(`no EC2 prefixes for ${region}`);
    const p = rng.pick(list);
    const offset = p.size <= 2 ? 0 : 1 + rng.int(p.size - 2);
    return ipToText(p.start + offset);
  }

  /** A public address outside AWS, with its first octet drawn from `firstOctets`. */
  outsideAddress(rng: Rng, firstOctets: readonly number[]): string {
    for (;;) {
      const n = ((rng.pick(firstOctets) << 24) >>> 0) + rng.int(1 << 24);
      if ((n & 255) === 0 || (n & 255) === 255 || isNonPublicV4(n) || this.contains(n)) continue;
      return ipToText(n);
    }
  }
}

/** Residential / office ISP blocks, and hosting / VPN blocks attackers tend to come from. */
const ISP_OCTETS = [24, 47, 67, 68, 71, 73, 76, 81, 82, 84, 86, 88, 90, 92, 95, 98, 109, 174, 176, 188, 212, 217];
const CI_OCTETS = [4, 20, 40, 52, 104, 140]; // hosted CI runners (cloud providers other than AWS; AWS space is rejected)
const HOSTING_OCTETS = [5, 23, 37, 45, 89, 91, 93, 103, 141, 146, 154, 167, 178, 185, 193, 194, 195, 198];

// ---------------------------------------------------------------------------------------------------------
// The simulated organisation

type CallerKind = 'instance' | 'workload' | 'human' | 'automation' | 'console' | 'service' | 'internal' | 'root';
type Agent =
  | 'aws-cli'
  | 'boto3'
  | 'sdk-java'
  | 'sdk-js'
  | 'terraform'
  | 'ssm-agent'
  | 'console'
  | 'browser'
  | 'service'
  | 'internal'
  | 'kali-cli'
  | 'kali-boto3';

interface Caller {
  kind: CallerKind;
  identity: Record<string, unknown>;
  arn: string;
  /** Public or AWS-range source addresses (or a service name, or `AWS Internal`). */
  sources: string[];
  /** Private addresses used through VPC endpoints (instances only). */
  privateIps: string[];
  agents: Agent[];
  mix: string;
  instanceId?: string;
  fromConsole?: boolean;
}

interface Account {
  id: string;
  name: string;
  buckets: string[];
  tables: string[];
  secrets: string[];
  params: string[];
  functions: string[];
  roles: string[];
  stacks: string[];
  kmsKeys: Map<string, string[]>;
  vpce: Map<string, string>;
  instances: Map<string, Caller[]>;
  callers: Map<string, Map<CallerKind, Caller[]>>;
  /** IAM user whose key leaked; used from attacker addresses. */
  leakedUser: Caller;
  /** Instances whose role credentials are used from outside AWS. */
  stolenInstances: Caller[];
}

const ACCOUNT_NAMES = ['prod', 'staging', 'shared-services'];
const ACCOUNT_WEIGHT = [0.5, 0.3, 0.2];
const HUMANS = ['alice.nguyen', 'bob.schmidt', 'carol.dsouza', 'dmitri.ivanov', 'erin.okafor', 'farid.haddad', 'grace.lee', 'hiro.tanaka'];
const SSO_USERS = [
  'priya.raman',
  'lucas.martin',
  'sofia.rossi',
  'noah.williams',
  'mei.chen',
  'omar.aziz',
  'julia.kowalski',
  'samuel.adeyemi',
  'ines.garcia',
  'tom.becker',
];
const INSTANCE_ROLES = ['web-app-instance-role', 'batch-worker-role', 'eks-node-role', 'jenkins-agent-role', 'bastion-host-role', 'kafka-broker-role'];
const FUNCTIONS = [
  'order-processor',
  'image-resizer',
  'webhook-dispatcher',
  'nightly-report',
  'auth-token-refresher',
  'invoice-generator',
  'audit-log-shipper',
  'cache-warmer',
  'user-sync',
  'thumbnail-builder',
  'payment-reconciler',
  'sqs-dlq-redriver',
];

function accessKey(rng: Rng, prefix: 'AKIA' | 'ASIA'): string {
  return prefix + rng.chars(UPPER_ALNUM, 16);
}

function uniqueId(rng: Rng, prefix: 'AIDA' | 'AROA'): string {
  return prefix + rng.chars(UPPER_ALNUM, 17);
}

function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function roleIdentity(
  rng: Rng,
  account: string,
  role: string,
  roleId: string,
  session: string,
  created: number,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: accessKey(rng, 'ASIA'),
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role },
      webIdFederationData: {},
      attributes: { creationDate: isoSeconds(created), mfaAuthenticated: 'false' },
      ...extra,
    },
  };
}

function buildAccount(rng: Rng, aws: AwsSpace, index: number, officeIps: string[], ciIps: string[]): Account {
  const id = String(100000000000 + rng.int(899999999999));
  const name = ACCOUNT_NAMES[index] ?? `account-${index}`;
  // Sessions were created before the corpus starts (offsets added below stay under 7 hours).
  const created = START - rng.between(7, 12) * 3600_000;
  const callers = new Map<string, Map<CallerKind, Caller[]>>();
  const instances = new Map<string, Caller[]>();
  const kmsKeys = new Map<string, string[]>();
  const vpce = new Map<string, string>();
  const roleIds = new Map<string, string>();
  const roleId = (role: string): string => {
    return getOrSet(roleIds, role, () => uniqueId(rng, 'AROA'));
  };
  const add = (region: string, c: Caller): Caller => {
    getOrSet(
      getOrSet(callers, region, () => new Map()),
      c.kind,
      () => [],
    ).push(c);
    return c;
  };
  const scale = index === 0 ? 1 : index === 1 ? 0.6 : 0.4;

  // IAM users with long-term keys: the same principals in every region.
  const iamUsers: Caller[] = [];
  const humanCount = Math.max(3, Math.round(HUMANS.length * scale));
  for (const user of HUMANS.slice(0, humanCount)) {
    const identity = {
      type: 'IAMUser',
      principalId: uniqueId(rng, 'AIDA'),
      arn: `arn:aws:iam::${id}:user/${user}`,
      accountId: id,
      accessKeyId: accessKey(rng, 'AKIA'),
      userName: user,
    };
    const sources = [rng.pick(officeIps), rng.pick(officeIps)];
    iamUsers.push({ kind: 'human', identity, arn: identity.arn, sources, privateIps: [], agents: ['aws-cli', 'aws-cli', 'boto3'], mix: 'human' });
  }
  const automationUsers: Array<[string, Agent[]]> = [
    ['terraform', ['terraform']],
    ['ci-deployer', ['aws-cli', 'sdk-js']],
    ['backup-agent', ['sdk-java']],
    ['monitoring-integration', ['boto3']],
  ];
  for (const [user, agents] of automationUsers) {
    const identity = {
      type: 'IAMUser',
      principalId: uniqueId(rng, 'AIDA'),
      arn: `arn:aws:iam::${id}:user/${user}`,
      accountId: id,
      accessKeyId: accessKey(rng, 'AKIA'),
      userName: user,
    };
    iamUsers.push({
      kind: 'automation',
      identity,
      arn: identity.arn,
      sources: [rng.pick(ciIps), rng.pick(ciIps), rng.pick(ciIps)],
      privateIps: [],
      agents,
      mix: 'automation',
    });
  }
  const leakedUser = iamUsers.find((u) => (u.identity.userName as string) === 'ci-deployer') as Caller;

  // SSO (Identity Center) sessions of people: console and CLI.
  const ssoRoles = [
    `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
    `AWSReservedSSO_PowerUserAccess_${rng.hex(16)}`,
    `AWSReservedSSO_ReadOnlyAccess_${rng.hex(16)}`,
  ];
  const ssoPeople: Array<{ console: Caller; cli: Caller }> = [];
  for (const person of SSO_USERS.slice(0, Math.max(4, Math.round(SSO_USERS.length * scale)))) {
    const role = rng.pick(ssoRoles);
    const session = `${person}@example.com`;
    const sources = [rng.pick(officeIps), rng.pick(officeIps)];
    const consoleId = roleIdentity(rng, id, role, roleId(role), session, created + rng.int(3600_000));
    const cliId = roleIdentity(rng, id, role, roleId(role), session, created + rng.int(3600_000));
    ssoPeople.push({
      console: {
        kind: 'console',
        identity: consoleId,
        arn: consoleId.arn as string,
        sources,
        privateIps: [],
        agents: ['console'],
        mix: 'console',
        fromConsole: true,
      },
      cli: { kind: 'human', identity: cliId, arn: cliId.arn as string, sources, privateIps: [], agents: ['aws-cli', 'boto3'], mix: 'human' },
    });
  }
  const ciRole = roleIdentity(rng, id, 'github-actions-deploy', roleId('github-actions-deploy'), 'GitHubActions', created + rng.int(3600_000));
  const rootIdentity = { type: 'Root', principalId: id, arn: `arn:aws:iam::${id}:root`, accountId: id, accessKeyId: accessKey(rng, 'ASIA') };

  const stolenInstances: Caller[] = [];
  for (const region of REGIONS) {
    kmsKeys.set(region, [rng.uuid(), rng.uuid(), rng.uuid(), rng.uuid()]);
    vpce.set(region, `vpce-${rng.hex(17)}`);
    const nat = [aws.ec2Address(rng, region), aws.ec2Address(rng, region)];
    for (const u of iamUsers) add(region, u);
    for (const p of ssoPeople) {
      add(region, p.console);
      add(region, p.cli);
    }
    add(region, {
      kind: 'automation',
      identity: ciRole,
      arn: ciRole.arn as string,
      sources: ciIps.slice(0, 40),
      privateIps: [],
      agents: ['sdk-js', 'aws-cli', 'terraform'],
      mix: 'automation',
    });
    add(region, {
      kind: 'root',
      identity: rootIdentity,
      arn: rootIdentity.arn,
      sources: [rng.pick(officeIps)],
      privateIps: [],
      agents: ['browser'],
      mix: 'root',
      fromConsole: true,
    });

    // EC2 instances with instance profiles (IMDSv2 credentials: ec2RoleDelivery 2.0).
    const regionInstances: Caller[] = [];
    const count = Math.round((region === 'us-east-1' ? 30 : 14) * scale) + 4;
    for (let i = 0; i < count; i++) {
      const role = rng.pick(INSTANCE_ROLES);
      const instanceId = `i-0${rng.hex(16)}`;
      const identity = roleIdentity(rng, id, role, roleId(role), instanceId, created + rng.int(6 * 3600_000), { ec2RoleDelivery: '2.0' });
      // Instances in public subnets call from their own public address, the others through the NAT gateway.
      const sources = rng.chance(0.4) ? [aws.ec2Address(rng, region)] : nat;
      const privateIps = [`10.${rng.between(0, 3)}.${rng.between(0, 255)}.${rng.between(4, 250)}`];
      const agents: Agent[] =
        role === 'jenkins-agent-role' ? ['aws-cli', 'terraform'] : role === 'kafka-broker-role' ? ['sdk-java'] : ['boto3', 'sdk-java', 'sdk-js', 'aws-cli'];
      const c = add(region, { kind: 'instance', identity, arn: identity.arn as string, sources, privateIps, agents, mix: 'instance', instanceId });
      regionInstances.push(c);
    }
    instances.set(region, regionInstances);
    if (stolenInstances.length < 2 && regionInstances[1]) stolenInstances.push(regionInstances[1]);

    // Lambda functions and ECS tasks: role sessions from AWS addresses.
    const lambdaIps = [aws.ec2Address(rng, region), aws.ec2Address(rng, region), aws.ec2Address(rng, region), aws.ec2Address(rng, region)];
    for (const fn of FUNCTIONS.slice(0, Math.round(FUNCTIONS.length * scale))) {
      const role = `${fn}-role`;
      const identity = roleIdentity(rng, id, role, roleId(role), fn, created + rng.int(3600_000));
      add(region, {
        kind: 'workload',
        identity,
        arn: identity.arn as string,
        sources: lambdaIps,
        privateIps: [],
        agents: rng.chance(0.5) ? ['sdk-js'] : ['boto3'],
        mix: 'workload',
      });
    }
    for (let i = 0; i < 4; i++) {
      const role = `ecs-task-role-${['api', 'worker', 'scheduler', 'frontend'][i]}`;
      const identity = roleIdentity(rng, id, role, roleId(role), rng.hex(32), created + rng.int(3600_000));
      add(region, { kind: 'workload', identity, arn: identity.arn as string, sources: nat, privateIps: [], agents: ['sdk-java', 'sdk-js'], mix: 'workload' });
    }

    // AWS services acting on the account's behalf.
    for (const [svc, mix, n] of [
      ['ec2.amazonaws.com', 'svc-ec2', 3],
      ['lambda.amazonaws.com', 'svc-lambda', 3],
      ['ecs-tasks.amazonaws.com', 'svc-ecs', 1],
      ['cloudtrail.amazonaws.com', 'svc-cloudtrail', 1],
    ] as const) {
      const c: Caller = {
        kind: 'service',
        identity: { type: 'AWSService', invokedBy: svc },
        arn: svc,
        sources: [svc],
        privateIps: [],
        agents: ['service'],
        mix,
      };
      for (let i = 0; i < n; i++) add(region, c);
    }
    // Service-linked roles (source is the service) and calls AWS logs as `AWS Internal`.
    for (const [role, session, svc] of [
      ['AWSServiceRoleForAutoScaling', 'AutoScaling', 'autoscaling.amazonaws.com'],
      ['AWSServiceRoleForConfig', 'AWSConfig-Describe', 'config.amazonaws.com'],
    ] as const) {
      const identity = roleIdentity(rng, id, role, roleId(role), session, created);
      identity.invokedBy = svc;
      add(region, { kind: 'internal', identity, arn: identity.arn as string, sources: [svc], privateIps: [], agents: ['service'], mix: `internal-${session}` });
    }
    const internalRole = rng.pick(FUNCTIONS);
    const internalId = roleIdentity(rng, id, `${internalRole}-role`, roleId(`${internalRole}-role`), internalRole, created);
    add(region, {
      kind: 'internal',
      identity: internalId,
      arn: internalId.arn as string,
      sources: ['AWS Internal'],
      privateIps: [],
      agents: ['internal'],
      mix: 'internal-aws',
    });
  }

  return {
    id,
    name,
    buckets: ['app-assets', 'user-uploads', 'data-lake-raw', 'data-lake-curated', 'backups', 'terraform-state', 'build-artifacts', 'access-logs'].map(
      (b) => `${name}-${b}-${id}`,
    ),
    tables: ['orders', 'sessions', 'users', 'inventory', 'idempotency-keys', 'terraform-locks', 'feature-flags'],
    secrets: ['db/primary/credentials', 'api/stripe-key', 'api/sendgrid-token', 'oauth/client-secret', 'kafka/sasl-credentials'].map((s) => `${name}/${s}`),
    params: [
      '/app/config/feature-flags',
      '/app/db/host',
      '/app/db/password',
      '/app/cache/endpoint',
      '/shared/datadog/api-key',
      '/cloudwatch-agent/config',
      '/app/jwt/signing-key',
    ].map((p) => `/${name}${p}`),
    functions: FUNCTIONS,
    roles: [...INSTANCE_ROLES, ...FUNCTIONS.map((f) => `${f}-role`), 'github-actions-deploy', 'OrganizationAccountAccessRole', ...ssoRoles],
    stacks: ['network-baseline', 'app-service', 'data-pipeline', 'monitoring', 'iam-baseline'].map((s) => `${name}-${s}`),
    kmsKeys,
    vpce,
    instances,
    callers,
    leakedUser,
    stolenInstances,
  };
}

// ---------------------------------------------------------------------------------------------------------
// APIs

interface Ctx {
  rng: Rng;
  acct: Account;
  region: string;
  caller: Caller;
  time: number;
}

interface Body {
  req?: Record<string, unknown> | null;
  resp?: Record<string, unknown> | null;
  resources?: Array<Record<string, string>>;
  extra?: Record<string, unknown>;
  host?: string;
  /** Resource named in an AccessDenied message. */
  target?: string;
}

interface Api {
  svc: string;
  source: string;
  name: string;
  readOnly: boolean;
  data: boolean;
  global: boolean;
  eventType: string;
  build: (c: Ctx) => Body;
}

const APIS = new Map<string, Api>();

function api(
  key: string,
  opts: { readOnly?: boolean; data?: boolean; global?: boolean; source?: string; eventType?: string },
  build: (c: Ctx) => Body = () => ({}),
): void {
  const [svc, name] = key.split(':') as [string, string];
  APIS.set(key, {
    svc,
    name,
    source: opts.source ?? `${svc}.amazonaws.com`,
    readOnly: opts.readOnly ?? /^(Get|Describe|List|Head|Lookup|Query|Scan|BatchGet|Filter)/.test(name),
    data: opts.data ?? false,
    global: opts.global ?? false,
    eventType: opts.eventType ?? 'AwsApiCall',
    build,
  });
}

function bucketArn(b: string): string {
  return `arn:aws:s3:::${b}`;
}

function keyArn(c: Ctx): string {
  return `arn:aws:kms:${c.region}:${c.acct.id}:key/${c.rng.pick(c.acct.kmsKeys.get(c.region) ?? [])}`;
}

function instanceOf(c: Ctx): string {
  return c.caller.instanceId ?? c.rng.pick(c.acct.instances.get(c.region) ?? []).instanceId ?? 'i-00000000000000000';
}

const S3_PREFIXES = ['uploads', 'exports', 'images/original', 'images/thumbs', 'reports/daily', 'raw/events', 'curated/orders', 'backups/postgres'];
const S3_EXTS = ['json.gz', 'parquet', 'jpg', 'png', 'csv', 'pdf', 'tar.zst', 'avro'];

function s3Key(c: Ctx): string {
  const d = new Date(c.time - c.rng.int(30) * 86400_000);
  const date = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  const prefix = c.rng.pick(S3_PREFIXES);
  if (prefix.startsWith('curated') || prefix.startsWith('raw')) {
    return `${prefix}/dt=${date.replaceAll('/', '-')}/part-${String(c.rng.int(400)).padStart(5, '0')}-${c.rng.uuid()}.c000.snappy.parquet`;
  }
  return `${prefix}/${date}/${c.rng.hex(24)}.${c.rng.pick(S3_EXTS)}`;
}

let tokenPool: string[] = [];
let amzIdPool: string[] = [];

function s3Object(c: Ctx, write: boolean): Body {
  const bucket = c.rng.pick(c.acct.buckets);
  const key = s3Key(c);
  const host = `${bucket}.s3.${c.region}.amazonaws.com`;
  const bytes = write || c.rng.chance(0.3) ? c.rng.int(2_000_000) : c.rng.int(80_000);
  const req: Record<string, unknown> = { bucketName: bucket, Host: host, key };
  let resp: Record<string, unknown> | null = null;
  if (write) {
    const kms = keyArn(c);
    req['x-amz-server-side-encryption'] = 'aws:kms';
    req['x-amz-server-side-encryption-aws-kms-key-id'] = kms;
    resp = { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': kms, 'x-amz-version-id': c.rng.chars(ALNUM, 32) };
  }
  return {
    req,
    resp,
    host,
    target: `${bucketArn(bucket)}/${key}`,
    extra: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: write ? bytes : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': c.rng.pick(amzIdPool),
      bytesTransferredOut: write ? 0 : bytes,
    },
    resources: [
      { type: 'AWS::S3::Object', ARN: `${bucketArn(bucket)}/${key}` },
      { accountId: c.acct.id, type: 'AWS::S3::Bucket', ARN: bucketArn(bucket) },
    ],
  };
}

function s3Bucket(c: Ctx, sub: string): Body {
  const bucket = c.rng.pick(c.acct.buckets);
  const host = c.rng.chance(0.5) ? `${bucket}.s3.${c.region}.amazonaws.com` : `s3.${c.region}.amazonaws.com`;
  return {
    req: { bucketName: bucket, Host: host, [sub]: '' },
    host,
    target: bucketArn(bucket),
    extra: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': c.rng.pick(amzIdPool),
      bytesTransferredOut: c.rng.between(200, 3000),
    },
    resources: [{ accountId: c.acct.id, type: 'AWS::S3::Bucket', ARN: bucketArn(bucket) }],
  };
}

function ddbItem(c: Ctx, name: string): Body {
  const table = c.rng.pick(c.acct.tables);
  const arn = `arn:aws:dynamodb:${c.region}:${c.acct.id}:table/${table}`;
  const req: Record<string, unknown> = { tableName: table };
  if (name === 'Query') {
    req.keyConditionExpression = '#pk = :pk AND begins_with(#sk, :prefix)';
    req.expressionAttributeNames = { '#pk': 'pk', '#sk': 'sk' };
    req.expressionAttributeValues = { ':pk': 'HIDDEN_DUE_TO_SECURITY_REASONS', ':prefix': 'HIDDEN_DUE_TO_SECURITY_REASONS' };
    req.limit = c.rng.pick([25, 50, 100]);
    if (c.rng.chance(0.4)) req.indexName = 'gsi1';
  } else {
    req.key = { pk: 'HIDDEN_DUE_TO_SECURITY_REASONS', sk: 'HIDDEN_DUE_TO_SECURITY_REASONS' };
    if (name === 'PutItem' || name === 'UpdateItem') req.conditionExpression = 'attribute_not_exists(pk) OR #v < :v';
    req.returnConsumedCapacity = 'TOTAL';
  }
  return { req, target: arn, resources: [{ accountId: c.acct.id, type: 'AWS::DynamoDB::Table', ARN: arn }] };
}

function describeWithFilter(c: Ctx, filters: Array<[string, string]>): Body {
  const [name, value] = c.rng.pick(filters);
  return { req: { maxResults: c.rng.chance(0.5) ? 1000 : undefined, filterSet: { items: [{ name, valueSet: { items: [{ value }] } }] } } };
}

function cloudTrailDate(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

function assumeRole(c: Ctx): Body {
  let role: string;
  let session: string;
  const invokedBy = c.caller.identity.invokedBy;
  if (invokedBy === 'ec2.amazonaws.com') {
    const inst = c.rng.pick(c.acct.instances.get(c.region) ?? []);
    const sc = (inst.identity.sessionContext as { sessionIssuer: { userName: string } }).sessionIssuer;
    role = sc.userName;
    session = inst.instanceId ?? 'i-0';
  } else if (invokedBy === 'lambda.amazonaws.com') {
    session = c.rng.pick(c.acct.functions);
    role = `${session}-role`;
  } else if (invokedBy === 'ecs-tasks.amazonaws.com') {
    role = `ecs-task-role-${c.rng.pick(['api', 'worker', 'scheduler', 'frontend'])}`;
    session = c.rng.hex(32);
  } else {
    role = c.rng.pick(['OrganizationAccountAccessRole', 'cross-account-readonly', 'deploy-role', 'data-pipeline-role']);
    session = c.rng.pick(['deploy', 'botocore-session-1741000000', `aws-go-sdk-${c.time}`, 'terraform', 'report-job']);
  }
  const roleArn = `arn:aws:iam::${c.acct.id}:role/${role}`;
  const roleId = `AROA${c.rng.chars(UPPER_ALNUM, 17)}`;
  return {
    req: { roleArn, roleSessionName: session, durationSeconds: c.rng.pick([900, 3600, 21600]) },
    resp: {
      credentials: { accessKeyId: accessKey(c.rng, 'ASIA'), sessionToken: c.rng.pick(tokenPool), expiration: cloudTrailDate(c.time + 3600_000) },
      assumedRoleUser: { assumedRoleId: `${roleId}:${session}`, arn: `arn:aws:sts::${c.acct.id}:assumed-role/${role}/${session}` },
    },
    target: roleArn,
    resources: [{ accountId: c.acct.id, type: 'AWS::IAM::Role', ARN: roleArn }],
    host: `sts.${c.region}.amazonaws.com`,
  };
}

function defineApis(): void {
  if (APIS.size > 0) return;
  // S3
  api('s3:GetObject', { data: true }, (c) => s3Object(c, false));
  api('s3:HeadObject', { data: true }, (c) => s3Object(c, false));
  api('s3:PutObject', { data: true }, (c) => s3Object(c, true));
  api('s3:ListObjects', { data: true }, (c) => {
    const b = s3Object(c, false);
    const req = b.req as Record<string, unknown>;
    const prefix = `${c.rng.pick(S3_PREFIXES)}/`;
    b.req = { bucketName: req.bucketName, Host: req.Host, 'list-type': '2', prefix, delimiter: '/', 'encoding-type': 'url', 'max-keys': 1000 };
    b.resources = b.resources?.slice(1);
    return b;
  });
  api('s3:ListBuckets', {}, (c) => ({ req: { Host: 's3.amazonaws.com' }, host: 's3.amazonaws.com', extra: s3Bucket(c, 'x').extra }));
  for (const [name, sub] of [
    ['GetBucketAcl', 'acl'],
    ['GetBucketPolicy', 'policy'],
    ['GetBucketVersioning', 'versioning'],
    ['GetBucketLocation', 'location'],
    ['GetBucketTagging', 'tagging'],
    ['GetBucketPolicyStatus', 'policyStatus'],
  ] as const) {
    api(`s3:${name}`, {}, (c) => s3Bucket(c, sub));
  }
  // KMS
  const kmsContext = (c: Ctx): Record<string, string> => {
    const r = c.rng.int(3);
    if (r === 0) return { 'aws:s3:arn': `${bucketArn(c.rng.pick(c.acct.buckets))}/${s3Key(c)}` };
    if (r === 1)
      return {
        SecretARN: `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.secrets)}-${c.rng.chars(ALNUM, 6)}`,
        SecretVersionId: c.rng.uuid(),
      };
    return { 'aws:lambda:FunctionArn': `arn:aws:lambda:${c.region}:${c.acct.id}:function:${c.rng.pick(c.acct.functions)}` };
  };
  api('kms:Decrypt', {}, (c) => {
    const arn = keyArn(c);
    return {
      req: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: kmsContext(c) },
      target: arn,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  });
  api('kms:GenerateDataKey', {}, (c) => {
    const arn = keyArn(c);
    const context =
      c.caller.identity.invokedBy === 'cloudtrail.amazonaws.com'
        ? {
            'aws:cloudtrail:arn': `arn:aws:cloudtrail:us-east-1:${c.acct.id}:trail/org-trail`,
            'aws:s3:arn': `${bucketArn(`${c.acct.name}-access-logs-${c.acct.id}`)}/AWSLogs/${c.acct.id}/CloudTrail/${c.region}/${isoSeconds(c.time).slice(0, 10).replaceAll('-', '/')}/${c.acct.id}_CloudTrail_${c.region}_${isoSeconds(c.time).slice(0, 16).replace(/[-:]/g, '')}Z_${c.rng.chars(ALNUM, 16)}.json.gz`,
          }
        : kmsContext(c);
    return {
      req: { keyId: arn, keySpec: 'AES_256', encryptionContext: context },
      target: arn,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  });
  api('kms:DescribeKey', {}, (c) => {
    const arn = keyArn(c);
    return { req: { keyId: arn }, target: arn, resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }] };
  });
  api('kms:ListAliases', {}, () => ({ req: { limit: 100 } }));
  // STS
  api('sts:GetCallerIdentity', { readOnly: true }, (c) => ({
    req: null,
    resp: null,
    host: c.rng.chance(0.5) ? 'sts.amazonaws.com' : `sts.${c.region}.amazonaws.com`,
  }));
  api('sts:AssumeRole', { readOnly: true }, assumeRole);
  // EC2
  api('ec2:DescribeInstances', {}, (c) => {
    if (c.rng.chance(0.5)) return { req: { instancesSet: { items: [{ instanceId: instanceOf(c) }] }, filterSet: {} } };
    return describeWithFilter(c, [
      ['instance-state-name', 'running'],
      ['tag:aws:autoscaling:groupName', `${c.acct.name}-web-asg`],
      ['tag:Name', c.rng.pick(['web', 'worker', 'bastion', 'kafka-1', 'jenkins'])],
      ['vpc-id', `vpc-0${c.rng.hex(16)}`],
    ]);
  });
  api('ec2:DescribeInstanceStatus', {}, (c) => ({
    req: { instancesSet: { items: [{ instanceId: instanceOf(c) }] }, filterSet: {}, includeAllInstances: true },
  }));
  api('ec2:DescribeTags', {}, (c) => describeWithFilter(c, [['resource-id', instanceOf(c)]]));
  api('ec2:DescribeSecurityGroups', {}, (c) => ({
    req: { securityGroupSet: {}, securityGroupIdSet: { items: [{ groupId: `sg-0${c.rng.hex(16)}` }] }, filterSet: {} },
  }));
  api('ec2:DescribeVpcs', {}, () => ({ req: { vpcSet: {}, filterSet: {} } }));
  api('ec2:DescribeSubnets', {}, (c) => describeWithFilter(c, [['vpc-id', `vpc-0${c.rng.hex(16)}`]]));
  api('ec2:DescribeVolumes', {}, (c) => describeWithFilter(c, [['attachment.instance-id', instanceOf(c)]]));
  api('ec2:DescribeNetworkInterfaces', {}, (c) => describeWithFilter(c, [['attachment.instance-id', instanceOf(c)]]));
  api('ec2:DescribeAddresses', {}, () => ({ req: { publicIpsSet: {}, allocationIdsSet: {}, filterSet: {} } }));
  api('ec2:DescribeRegions', {}, () => ({ req: { regionSet: {}, allRegions: true } }));
  api('ec2:CreateTags', { readOnly: false }, (c) => ({
    req: {
      resourcesSet: { items: [{ resourceId: instanceOf(c) }] },
      tagSet: {
        items: [
          { key: 'Owner', value: 'platform-team' },
          { key: 'CostCenter', value: 'cc-1042' },
        ],
      },
    },
    resp: { requestId: c.rng.uuid(), _return: true },
  }));
  api('ec2:RunInstances', { readOnly: false }, (c) => {
    const instanceId = `i-0${c.rng.hex(16)}`;
    const subnet = `subnet-0${c.rng.hex(16)}`;
    const role = c.rng.pick(INSTANCE_ROLES);
    return {
      req: {
        instancesSet: { items: [{ imageId: `ami-0${c.rng.hex(16)}`, minCount: 1, maxCount: 1 }] },
        instanceType: c.rng.pick(['t3.medium', 'm6i.large', 'c7g.xlarge']),
        blockDeviceMapping: { items: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 50, deleteOnTermination: true, volumeType: 'gp3', encrypted: true } }] },
        monitoring: { enabled: false },
        subnetId: subnet,
        disableApiTermination: false,
        iamInstanceProfile: { arn: `arn:aws:iam::${c.acct.id}:instance-profile/${role}` },
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
        tagSpecificationSet: {
          items: [
            {
              resourceType: 'instance',
              tags: [
                { key: 'Name', value: 'worker' },
                { key: 'ManagedBy', value: 'terraform' },
              ],
            },
          ],
        },
      },
      resp: {
        requestId: c.rng.uuid(),
        reservationId: `r-0${c.rng.hex(16)}`,
        ownerId: c.acct.id,
        groupSet: {},
        instancesSet: {
          items: [
            {
              instanceId,
              imageId: `ami-0${c.rng.hex(16)}`,
              instanceState: { code: 0, name: 'pending' },
              privateDnsName: `ip-10-0-${c.rng.int(255)}-${c.rng.int(255)}.ec2.internal`,
              amiLaunchIndex: 0,
              productCodes: {},
              instanceType: 't3.medium',
              launchTime: c.time,
              placement: { availabilityZone: `${c.region}a`, tenancy: 'default' },
              monitoring: { state: 'disabled' },
              subnetId: subnet,
              vpcId: `vpc-0${c.rng.hex(16)}`,
              privateIpAddress: `10.0.${c.rng.int(255)}.${c.rng.int(255)}`,
              stateReason: { code: 'pending', message: 'pending' },
              architecture: 'x86_64',
              rootDeviceType: 'ebs',
              rootDeviceName: '/dev/xvda',
              blockDeviceMapping: {},
              virtualizationType: 'hvm',
              hypervisor: 'xen',
              iamInstanceProfile: { arn: `arn:aws:iam::${c.acct.id}:instance-profile/${role}`, id: `AIPA${c.rng.chars(UPPER_ALNUM, 17)}` },
              enaSupport: true,
              metadataOptions: { state: 'pending', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
            },
          ],
        },
      },
    };
  });
  // SSM
  api('ssm:UpdateInstanceInformation', { readOnly: false }, (c) => {
    const instanceId = instanceOf(c);
    const ip = c.caller.privateIps[0] ?? '10.0.0.10';
    return {
      req: {
        instanceId,
        agentVersion: '3.3.1142.0',
        agentStatus: 'Active',
        platformType: 'Linux',
        platformName: 'Amazon Linux',
        platformVersion: '2023',
        iPAddress: ip,
        computerName: `ip-${ip.replaceAll('.', '-')}.${c.region === 'us-east-1' ? 'ec2.internal' : `${c.region}.compute.internal`}`,
        agentName: 'amazon-ssm-agent',
        availabilityZone: `${c.region}a`,
        availabilityZoneId: AZ_ID[c.region],
        sSMConnectionChannel: 'ssmmessages',
      },
    };
  });
  api('ssm:ListInstanceAssociations', {}, (c) => ({ req: { instanceId: instanceOf(c), maxResults: 20 } }));
  api('ssm:GetParameter', {}, (c) => {
    const name = c.rng.pick(c.acct.params);
    return { req: { name, withDecryption: true }, target: `arn:aws:ssm:${c.region}:${c.acct.id}:parameter${name}` };
  });
  api('ssm:GetParameters', {}, (c) => ({
    req: { names: [c.rng.pick(c.acct.params), c.rng.pick(c.acct.params), c.rng.pick(c.acct.params)], withDecryption: true },
  }));
  api('ssm:DescribeParameters', {}, () => ({ req: { maxResults: 50 } }));
  api('ssm:DescribeInstanceInformation', {}, () => ({ req: { maxResults: 50, filters: [{ key: 'PingStatus', values: ['Online'] }] } }));
  api('ssm:PutParameter', { readOnly: false }, (c) => ({
    req: {
      name: c.rng.pick(c.acct.params),
      type: 'SecureString',
      overwrite: true,
      keyId: 'alias/aws/ssm',
      tier: 'Standard',
      value: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    },
    resp: { version: c.rng.between(2, 40), tier: 'Standard' },
  }));
  api('ssm:StartSession', { readOnly: false }, (c) => {
    const id = `${c.rng.pick(SSO_USERS)}-${c.rng.chars('abcdefghijklmnopqrstuvwxyz0123456789', 17)}`;
    return {
      req: { target: instanceOf(c) },
      resp: {
        sessionId: id,
        tokenValue: 'Value hidden due to security reasons.',
        streamUrl: `wss://ssmmessages.${c.region}.amazonaws.com/v1/data-channel/${id}?role=publish_subscribe&cell-number=${c.rng.chars(B64, 64)}`,
      },
    };
  });
  // Secrets Manager
  api('secretsmanager:GetSecretValue', {}, (c) => {
    const arn = `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.secrets)}-${c.rng.chars(ALNUM, 6)}`;
    return { req: { secretId: c.rng.chance(0.5) ? arn : c.rng.pick(c.acct.secrets) }, target: arn };
  });
  api('secretsmanager:ListSecrets', {}, () => ({ req: { maxResults: 100 } }));
  // CloudWatch Logs
  const logGroup = (c: Ctx): string =>
    c.rng.chance(0.6)
      ? `/aws/lambda/${c.rng.pick(c.acct.functions)}`
      : c.rng.pick(['/ecs/api', '/ecs/worker', '/var/log/messages', '/app/access', '/aws/eks/cluster']);
  api('logs:CreateLogStream', { readOnly: false }, (c) => ({
    req: { logGroupName: logGroup(c), logStreamName: `${isoSeconds(c.time).slice(0, 10).replaceAll('-', '/')}/[$LATEST]${c.rng.hex(32)}` },
  }));
  api('logs:DescribeLogStreams', {}, (c) => ({ req: { logGroupName: logGroup(c), orderBy: 'LastEventTime', descending: true, limit: 1 } }));
  api('logs:DescribeLogGroups', {}, (c) => ({ req: c.rng.chance(0.5) ? { limit: 50 } : { logGroupNamePrefix: '/aws/lambda/' } }));
  api('logs:FilterLogEvents', {}, (c) => ({
    req: {
      logGroupName: logGroup(c),
      startTime: c.time - 3600_000,
      endTime: c.time,
      filterPattern: c.rng.pick(['ERROR', '"Exception"', '{ $.level = "error" }', 'timeout']),
      interleaved: true,
    },
  }));
  api('logs:GetLogEvents', {}, (c) => ({ req: { logGroupName: logGroup(c), logStreamName: `${c.rng.hex(32)}`, startFromHead: false, limit: 10000 } }));
  // CloudWatch
  api('monitoring:GetMetricData', { source: 'monitoring.amazonaws.com' }, (c) => ({
    req: {
      metricDataQueries: [0, 1, 2].map((i) => ({
        id: `m${i}`,
        metricStat: {
          metric: {
            namespace: 'AWS/EC2',
            metricName: ['CPUUtilization', 'NetworkIn', 'NetworkOut'][i],
            dimensions: [{ name: 'InstanceId', value: instanceOf(c) }],
          },
          period: 300,
          stat: 'Average',
        },
        returnData: true,
      })),
      startTime: isoSeconds(c.time - 3 * 3600_000),
      endTime: isoSeconds(c.time),
    },
  }));
  api('monitoring:DescribeAlarms', { source: 'monitoring.amazonaws.com' }, (c) => ({
    req: c.rng.chance(0.5) ? { stateValue: 'ALARM', maxRecords: 100 } : { alarmNamePrefix: `${c.acct.name}-` },
  }));
  api('monitoring:ListMetrics', { source: 'monitoring.amazonaws.com' }, () => ({ req: { namespace: 'AWS/EC2', metricName: 'CPUUtilization' } }));
  // DynamoDB
  for (const name of ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem']) api(`dynamodb:${name}`, { data: true }, (c) => ddbItem(c, name));
  api('dynamodb:DescribeTable', {}, (c) => ({ req: { tableName: c.rng.pick(c.acct.tables) } }));
  api('dynamodb:ListTables', {}, () => ({ req: null }));
  // IAM (global: logged in us-east-1)
  const role = (c: Ctx) => c.rng.pick(c.acct.roles);
  const g = { global: true };
  api('iam:GetRole', g, (c) => ({ req: { roleName: role(c) }, host: 'iam.amazonaws.com' }));
  api('iam:ListRoles', g, () => ({ req: null, host: 'iam.amazonaws.com' }));
  api('iam:ListUsers', g, () => ({ req: null, host: 'iam.amazonaws.com' }));
  api('iam:GetUser', g, (c) => ({ req: { userName: c.rng.pick(HUMANS) }, host: 'iam.amazonaws.com' }));
  api('iam:ListAttachedRolePolicies', g, (c) => ({ req: { roleName: role(c) }, host: 'iam.amazonaws.com' }));
  api('iam:ListRolePolicies', g, (c) => ({ req: { roleName: role(c) }, host: 'iam.amazonaws.com' }));
  api('iam:ListInstanceProfilesForRole', g, (c) => ({ req: { roleName: role(c) }, host: 'iam.amazonaws.com' }));
  api('iam:GetPolicy', g, (c) => ({ req: { policyArn: `arn:aws:iam::${c.acct.id}:policy/${role(c)}-policy` }, host: 'iam.amazonaws.com' }));
  api('iam:GetPolicyVersion', g, (c) => ({
    req: { policyArn: `arn:aws:iam::${c.acct.id}:policy/${role(c)}-policy`, versionId: `v${c.rng.between(1, 9)}` },
    host: 'iam.amazonaws.com',
  }));
  api('iam:ListAccessKeys', g, (c) => ({ req: { userName: c.rng.pick(HUMANS) }, host: 'iam.amazonaws.com' }));
  api('iam:GetAccountSummary', g, () => ({ req: null, host: 'iam.amazonaws.com' }));
  api('iam:ListAccountAliases', g, () => ({ req: null, host: 'iam.amazonaws.com' }));
  api('iam:GetAccountPasswordPolicy', g, () => ({ req: null, host: 'iam.amazonaws.com' }));
  api('iam:GetAccountAuthorizationDetails', g, () => ({
    req: { filter: ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] },
    host: 'iam.amazonaws.com',
  }));
  api('iam:CreateUser', { global: true, readOnly: false }, (c) => {
    const userName = c.rng.pick(['backup-svc', 'support-admin', 'sys-monitor', 'devops2']);
    return {
      req: { userName },
      resp: {
        user: { path: '/', userName, userId: uniqueId(c.rng, 'AIDA'), arn: `arn:aws:iam::${c.acct.id}:user/${userName}`, createDate: cloudTrailDate(c.time) },
      },
      host: 'iam.amazonaws.com',
    };
  });
  api('iam:CreateAccessKey', { global: true, readOnly: false }, (c) => {
    const userName = c.rng.pick(HUMANS);
    return {
      req: { userName },
      resp: { accessKey: { userName, accessKeyId: accessKey(c.rng, 'AKIA'), status: 'Active', createDate: cloudTrailDate(c.time) } },
      host: 'iam.amazonaws.com',
    };
  });
  api('iam:AttachUserPolicy', { global: true, readOnly: false }, (c) => ({
    req: { userName: c.rng.pick(HUMANS), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    host: 'iam.amazonaws.com',
  }));
  // Sign-in (global)
  api('signin:ConsoleLogin', { global: true, readOnly: false, eventType: 'AwsConsoleSignIn' }, (c) => ({
    req: null,
    resp: { ConsoleLogin: 'Success' },
    extra: {
      LoginTo: `https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_${c.rng.hex(16)}`,
      MobileVersion: 'No',
      MFAUsed: 'Yes',
    },
    host: 'signin.aws.amazon.com',
  }));
  // Others
  api('ecr:GetAuthorizationToken', {}, (c) => ({
    req: { registryIds: [c.acct.id] },
    resp: {
      authorizationData: [
        {
          authorizationToken: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          expiresAt: cloudTrailDate(c.time + 12 * 3600_000),
          proxyEndpoint: `https://${c.acct.id}.dkr.ecr.${c.region}.amazonaws.com`,
        },
      ],
    },
    host: `api.ecr.${c.region}.amazonaws.com`,
  }));
  api('ecr:DescribeRepositories', {}, () => ({ req: null }));
  api('lambda:ListFunctions20150331', {}, () => ({ req: null }));
  api('lambda:GetFunction20150331v2', {}, (c) => ({ req: { functionName: c.rng.pick(c.acct.functions) } }));
  api('cloudformation:DescribeStacks', {}, (c) => ({ req: { stackName: c.rng.pick(c.acct.stacks) } }));
  api('cloudformation:ListStacks', {}, () => ({ req: { stackStatusFilter: ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] } }));
  api('elasticloadbalancing:DescribeTargetHealth', {}, (c) => ({
    req: { targetGroupArn: `arn:aws:elasticloadbalancing:${c.region}:${c.acct.id}:targetgroup/${c.acct.name}-web/${c.rng.hex(16)}` },
  }));
  api('elasticloadbalancing:DescribeTargetGroups', {}, () => ({ req: { pageSize: 400 } }));
  api('elasticloadbalancing:DescribeLoadBalancers', {}, (c) => ({ req: { names: [`${c.acct.name}-web`, `${c.acct.name}-internal-api`] } }));
  api('autoscaling:DescribeAutoScalingGroups', {}, (c) => ({ req: { autoScalingGroupNames: [`${c.acct.name}-web-asg`] } }));
  api('cloudtrail:LookupEvents', {}, (c) => ({
    req: {
      startTime: cloudTrailDate(c.time - 86400_000),
      endTime: cloudTrailDate(c.time),
      lookupAttributes: [{ attributeKey: 'EventName', attributeValue: c.rng.pick(['ConsoleLogin', 'RunInstances', 'DeleteBucket']) }],
      maxResults: 50,
    },
  }));
}

/** Which APIs each kind of caller uses, and how often. */
const MIXES: Record<string, Array<[string, number]>> = {
  instance: [
    ['s3:GetObject', 26],
    ['s3:PutObject', 9],
    ['s3:HeadObject', 5],
    ['s3:ListObjects', 3],
    ['kms:Decrypt', 12],
    ['kms:GenerateDataKey', 4],
    ['ssm:UpdateInstanceInformation', 6],
    ['ssm:ListInstanceAssociations', 4],
    ['ssm:GetParameter', 5],
    ['ssm:GetParameters', 2],
    ['secretsmanager:GetSecretValue', 3],
    ['logs:CreateLogStream', 3],
    ['logs:DescribeLogStreams', 2],
    ['sts:GetCallerIdentity', 3],
    ['ec2:DescribeInstances', 2],
    ['ec2:DescribeTags', 3],
    ['ecr:GetAuthorizationToken', 2],
    ['dynamodb:GetItem', 5],
    ['dynamodb:Query', 4],
    ['dynamodb:PutItem', 3],
    ['dynamodb:DescribeTable', 2],
    ['monitoring:GetMetricData', 1],
  ],
  workload: [
    ['s3:GetObject', 20],
    ['s3:PutObject', 12],
    ['kms:Decrypt', 14],
    ['kms:GenerateDataKey', 5],
    ['dynamodb:GetItem', 10],
    ['dynamodb:Query', 8],
    ['dynamodb:PutItem', 8],
    ['dynamodb:UpdateItem', 5],
    ['dynamodb:DeleteItem', 1],
    ['dynamodb:DescribeTable', 2],
    ['secretsmanager:GetSecretValue', 4],
    ['ssm:GetParameter', 4],
    ['sts:AssumeRole', 3],
    ['sts:GetCallerIdentity', 1],
    ['logs:CreateLogStream', 2],
  ],
  human: [
    ['sts:GetCallerIdentity', 8],
    ['ec2:DescribeInstances', 8],
    ['ec2:DescribeSecurityGroups', 3],
    ['ec2:DescribeVpcs', 2],
    ['ec2:DescribeSubnets', 2],
    ['s3:ListBuckets', 5],
    ['s3:GetObject', 6],
    ['s3:PutObject', 2],
    ['s3:ListObjects', 5],
    ['iam:ListRoles', 2],
    ['iam:GetRole', 2],
    ['iam:ListUsers', 1],
    ['iam:ListAttachedRolePolicies', 1],
    ['logs:DescribeLogGroups', 3],
    ['logs:FilterLogEvents', 4],
    ['ssm:GetParameter', 3],
    ['ssm:DescribeInstanceInformation', 2],
    ['ssm:StartSession', 1],
    ['lambda:ListFunctions20150331', 2],
    ['cloudformation:DescribeStacks', 3],
    ['ecr:DescribeRepositories', 1],
    ['kms:Decrypt', 2],
    ['sts:AssumeRole', 3],
    ['dynamodb:Query', 1],
    ['dynamodb:DescribeTable', 1],
  ],
  automation: [
    ['iam:GetRole', 8],
    ['iam:GetPolicy', 4],
    ['iam:GetPolicyVersion', 4],
    ['iam:ListAttachedRolePolicies', 5],
    ['iam:ListRolePolicies', 4],
    ['iam:GetUser', 1],
    ['iam:ListInstanceProfilesForRole', 2],
    ['ec2:DescribeInstances', 5],
    ['ec2:DescribeSecurityGroups', 5],
    ['ec2:DescribeVpcs', 3],
    ['ec2:DescribeSubnets', 3],
    ['ec2:DescribeNetworkInterfaces', 2],
    ['ec2:DescribeVolumes', 2],
    ['s3:GetBucketPolicy', 3],
    ['s3:GetBucketAcl', 3],
    ['s3:GetBucketVersioning', 2],
    ['s3:GetBucketTagging', 2],
    ['s3:GetObject', 4],
    ['s3:PutObject', 2],
    ['dynamodb:GetItem', 2],
    ['dynamodb:PutItem', 1],
    ['dynamodb:DeleteItem', 1],
    ['sts:GetCallerIdentity', 6],
    ['sts:AssumeRole', 3],
    ['kms:DescribeKey', 3],
    ['logs:DescribeLogGroups', 3],
    ['lambda:GetFunction20150331v2', 3],
    ['cloudformation:DescribeStacks', 2],
    ['elasticloadbalancing:DescribeTargetGroups', 2],
    ['elasticloadbalancing:DescribeLoadBalancers', 2],
    ['autoscaling:DescribeAutoScalingGroups', 2],
    ['ecr:GetAuthorizationToken', 2],
    ['ec2:RunInstances', 0.2],
    ['ec2:CreateTags', 0.5],
    ['ssm:PutParameter', 0.3],
  ],
  console: [
    ['ec2:DescribeInstances', 8],
    ['ec2:DescribeInstanceStatus', 3],
    ['ec2:DescribeSecurityGroups', 3],
    ['ec2:DescribeVolumes', 2],
    ['ec2:DescribeAddresses', 1],
    ['monitoring:GetMetricData', 8],
    ['monitoring:DescribeAlarms', 5],
    ['monitoring:ListMetrics', 1],
    ['s3:ListBuckets', 4],
    ['s3:GetBucketLocation', 3],
    ['s3:GetBucketPolicyStatus', 2],
    ['s3:GetBucketAcl', 2],
    ['logs:DescribeLogGroups', 4],
    ['logs:FilterLogEvents', 4],
    ['logs:GetLogEvents', 3],
    ['cloudtrail:LookupEvents', 2],
    ['iam:ListRoles', 2],
    ['iam:GetAccountSummary', 1],
    ['iam:ListUsers', 1],
    ['lambda:ListFunctions20150331', 2],
    ['kms:ListAliases', 2],
    ['ssm:DescribeInstanceInformation', 2],
    ['cloudformation:ListStacks', 2],
    ['dynamodb:ListTables', 1],
    ['signin:ConsoleLogin', 0.3],
  ],
  'svc-ec2': [['sts:AssumeRole', 1]],
  'svc-lambda': [['sts:AssumeRole', 1]],
  'svc-ecs': [['sts:AssumeRole', 1]],
  'svc-cloudtrail': [['kms:GenerateDataKey', 1]],
  'internal-AutoScaling': [
    ['ec2:DescribeInstances', 3],
    ['ec2:DescribeInstanceStatus', 3],
    ['elasticloadbalancing:DescribeTargetHealth', 2],
  ],
  'internal-AWSConfig-Describe': [
    ['ec2:DescribeSecurityGroups', 2],
    ['ec2:DescribeVpcs', 1],
    ['ec2:DescribeNetworkInterfaces', 1],
    ['s3:GetBucketAcl', 1],
    ['s3:GetBucketPolicy', 1],
    ['iam:GetRole', 1],
    ['iam:GetPolicy', 1],
  ],
  'internal-aws': [
    ['kms:Decrypt', 3],
    ['s3:GetBucketLocation', 1],
    ['ec2:DescribeInstances', 1],
  ],
  root: [
    ['signin:ConsoleLogin', 3],
    ['iam:GetAccountSummary', 2],
    ['iam:ListAccountAliases', 2],
    ['iam:GetAccountPasswordPolicy', 1],
  ],
  'attack-user': [
    ['sts:GetCallerIdentity', 10],
    ['iam:ListUsers', 5],
    ['iam:ListRoles', 5],
    ['iam:GetAccountAuthorizationDetails', 2],
    ['iam:ListAccessKeys', 3],
    ['iam:CreateAccessKey', 1],
    ['iam:CreateUser', 1],
    ['iam:AttachUserPolicy', 1],
    ['s3:ListBuckets', 6],
    ['s3:GetBucketAcl', 3],
    ['s3:ListObjects', 5],
    ['s3:GetObject', 8],
    ['ec2:DescribeInstances', 5],
    ['ec2:DescribeRegions', 3],
    ['secretsmanager:ListSecrets', 3],
    ['secretsmanager:GetSecretValue', 3],
    ['ssm:DescribeParameters', 2],
    ['lambda:ListFunctions20150331', 2],
  ],
  'attack-exfil': [
    ['sts:GetCallerIdentity', 10],
    ['s3:ListBuckets', 6],
    ['s3:GetObject', 6],
    ['s3:ListObjects', 3],
    ['ec2:DescribeInstances', 5],
    ['iam:ListRoles', 3],
    ['secretsmanager:ListSecrets', 3],
    ['ssm:DescribeParameters', 2],
    ['ec2:DescribeSecurityGroups', 2],
    ['dynamodb:ListTables', 2],
  ],
};

/** Benign caller kinds and their share of events. */
const KIND_WEIGHTS: Array<[CallerKind, number]> = [
  ['instance', 0.33],
  ['workload', 0.16],
  ['service', 0.15],
  ['internal', 0.05],
  ['human', 0.08],
  ['automation', 0.1],
  ['console', 0.13],
  ['root', 0.0003],
];

/** Per mix, one picker for us-east-1 (global APIs included) and one for other regions. */
function compileMixes(): Map<string, { home: Weighted<Api>; regional: Weighted<Api> }> {
  const out = new Map<string, { home: Weighted<Api>; regional: Weighted<Api> }>();
  for (const [name, entries] of Object.entries(MIXES)) {
    const resolved = entries.map(([key, w]) => {
      const a = APIS.get(key);
      if (!a) throw new Error(`mix ${name}: unknown API ${key}`);
      return [a, w] as const;
    });
    out.set(name, { home: new Weighted(resolved), regional: new Weighted(resolved.filter(([a]) => !a.global)) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// User agents

const CLI_VERSIONS = ['2.15.30', '2.17.13', '2.22.4', '2.27.19'];
const BOTO_VERSIONS = ['1.34.69', '1.35.36', '1.37.1'];
const JAVA_VERSIONS = ['2.25.16', '2.28.4', '2.31.2'];
const JS_VERSIONS = ['3.540.0', '3.682.0', '3.758.0'];
const TF_VERSIONS = [
  ['1.7.5', '5.42.0'],
  ['1.9.8', '5.84.0'],
];

function kebab(name: string): string {
  return name
    .replace(/20150331(v2)?$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

function userAgent(rng: Rng, agent: Agent, a: Api): string {
  switch (agent) {
    case 'aws-cli':
      return `aws-cli/${rng.pick(CLI_VERSIONS)} md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1018-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#${a.svc === 'monitoring' ? 'cloudwatch' : a.svc}.${kebab(a.name)}`;
    case 'boto3': {
      const v = rng.pick(BOTO_VERSIONS);
      return `Boto3/${v} md/Botocore#${v} ua/2.0 os/linux#5.10.223-211.872.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/${v}`;
    }
    case 'sdk-java':
      return `aws-sdk-java/${rng.pick(JAVA_VERSIONS)} Linux/5.10.223-211.872.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy cfg/auth-source#imds`;
    case 'sdk-js': {
      const v = rng.pick(JS_VERSIONS);
      return `aws-sdk-js/${v} ua/2.1 os/linux#5.10.223-211.872.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/${a.svc}#${v} m/E,N`;
    }
    case 'terraform': {
      const [tf, provider] = rng.pick(TF_VERSIONS) as [string, string];
      return `APN/1.0 HashiCorp/1.0 Terraform/${tf} (+https://www.terraform.io) terraform-provider-aws/${provider} (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/${a.svc}#1.38.0`;
    }
    case 'ssm-agent':
      return 'aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0';
    case 'console':
      return rng.chance(0.7) ? 'console.amazonaws.com' : 'AWS Internal';
    case 'browser':
      return 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    case 'internal':
      return 'AWS Internal';
    case 'kali-cli':
      return `aws-cli/2.9.19 Python/3.11.2 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off command/${a.svc}.${kebab(a.name)}`;
    case 'kali-boto3':
      return 'Boto3/1.26.0 Python/3.11.2 Linux/6.1.0-kali7-amd64 Botocore/1.29.0';
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records

const VPCE_SERVICES = new Set(['s3', 'kms', 'ssm', 'secretsmanager', 'logs', 'sts', 'ecr', 'dynamodb']);

interface RecordState {
  rng: Rng;
  mixes: Map<string, { home: Weighted<Api>; regional: Weighted<Api> }>;
}

function errorFor(rng: Rng, a: Api, arn: string, target: string | undefined): [string, string] {
  if (a.svc === 's3' && a.data && a.name === 'GetObject' && rng.chance(0.5)) return ['NoSuchKey', 'The specified key does not exist.'];
  if (a.svc === 'ssm' && a.name === 'GetParameter' && rng.chance(0.5)) return ['ParameterNotFound', ''];
  if (rng.chance(0.25)) return a.svc === 'ec2' ? ['Client.RequestLimitExceeded', 'Request limit exceeded.'] : ['ThrottlingException', 'Rate exceeded'];
  const action = `${a.svc === 'monitoring' ? 'cloudwatch' : a.svc}:${a.name.replace(/20150331(v2)?$/, '')}`;
  const on = target ? ` on resource: ${target}` : '';
  const message = `User: ${arn} is not authorized to perform: ${action}${on} because no identity-based policy allows the ${action} action`;
  if (a.svc === 'ec2') return ['Client.UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`];
  if (a.svc === 's3' || a.svc === 'iam' || a.svc === 'sts') return ['AccessDenied', message];
  return ['AccessDeniedException', message];
}

function makeRecord(
  st: RecordState,
  acct: Account,
  region: string,
  caller: Caller,
  a: Api,
  time: number,
  source: string,
  errorRate: number,
): Record<string, unknown> {
  const rng = st.rng;
  const ctx: Ctx = { rng, acct, region, caller, time };
  const body = a.build(ctx);
  let sourceIp = source;
  let vpcEndpointId: string | undefined;
  if (caller.kind === 'instance' && VPCE_SERVICES.has(a.svc) && caller.privateIps.length > 0 && rng.chance(0.3)) {
    sourceIp = caller.privateIps[0] as string;
    vpcEndpointId = acct.vpce.get(region);
  }
  const agent =
    caller.kind === 'instance' && a.svc === 'ssm' && a.name !== 'GetParameter' && a.name !== 'GetParameters' ? 'ssm-agent' : rng.pick(caller.agents);
  const ua = agent === 'service' ? source : userAgent(rng, agent, a);
  const awsRegion = a.global ? 'us-east-1' : region;
  const rec: Record<string, unknown> = {
    eventVersion: a.data ? '1.10' : caller.kind === 'service' ? '1.08' : '1.09',
    userIdentity: caller.identity,
    eventTime: isoSeconds(time),
    eventSource: a.source,
    eventName: a.name,
    awsRegion,
    sourceIPAddress: sourceIp,
    userAgent: ua,
  };
  const failed = rng.chance(errorRate);
  if (failed) {
    const [code, message] = errorFor(rng, a, caller.arn, body.target);
    rec.errorCode = code;
    if (message) rec.errorMessage = message;
  }
  rec.requestParameters = body.req ?? null;
  rec.responseElements = failed ? null : (body.resp ?? null);
  if (body.extra) rec.additionalEventData = body.extra;
  rec.requestID = a.svc === 's3' ? rng.chars(UPPER_ALNUM, 16) : rng.uuid();
  rec.eventID = rng.uuid();
  rec.readOnly = a.readOnly;
  if (body.resources) rec.resources = body.resources;
  rec.eventType = a.eventType;
  rec.managementEvent = !a.data;
  rec.recipientAccountId = acct.id;
  if (caller.kind === 'service') rec.sharedEventID = rng.uuid();
  if (vpcEndpointId) {
    rec.vpcEndpointId = vpcEndpointId;
    rec.vpcEndpointAccountId = acct.id;
  }
  rec.eventCategory = a.data ? 'Data' : 'Management';
  if (caller.kind !== 'service' && caller.kind !== 'internal') {
    const host = body.host ?? (a.global ? `${a.svc}.amazonaws.com` : `${a.svc}.${region}.amazonaws.com`);
    rec.tlsDetails = rng.chance(0.85)
      ? { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host }
      : { tlsVersion: 'TLSv1.2', cipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256', clientProvidedHostHeader: host };
  }
  if (caller.fromConsole) rec.sessionCredentialFromConsole = 'true';
  return rec;
}

// ---------------------------------------------------------------------------------------------------------
// Threat lists

function formatList(title: string, seed: string, entries: string[]): string {
  const header = [
    `# Trailhound benchmark threat list ${title}`,
    `# Synthetic data generated by bench/generate-cloudtrail.ts (seed ${JSON.stringify(seed)}); not real threat intelligence.`,
    `# ${entries.length} entries, one IPv4 address or CIDR per line (GuardDuty TXT format).`,
    '',
  ];
  return `${header.join('\n')}${entries.join('\n')}\n`;
}

/** Random public addresses and CIDRs (90% / 10%, /16-/30), none covering an address in `avoid`. */
function randomListEntries(rng: Rng, count: number, avoid: Map<number, Set<number>>, taken: Set<string>): string[] {
  const out: string[] = [];
  const cidrLens = new Weighted<number>([
    [16, 1],
    [17, 1],
    [18, 1],
    [19, 2],
    [20, 3],
    [21, 3],
    [22, 5],
    [23, 5],
    [24, 30],
    [25, 4],
    [26, 5],
    [27, 6],
    [28, 8],
    [29, 10],
    [30, 10],
  ]);
  while (out.length < count) {
    const n = ((rng.between(1, 223) << 24) >>> 0) + rng.int(1 << 24);
    if (isNonPublicV4(n)) continue;
    const len = rng.chance(0.1) ? cidrLens.pick(rng) : 32;
    const net = mask(n, len);
    if (len === 32 && ((net & 255) === 0 || (net & 255) === 255)) continue;
    if (avoid.get(len)?.has(net)) continue;
    const text = len === 32 ? ipToText(net) : `${ipToText(net)}/${len}`;
    if (taken.has(text)) continue;
    taken.add(text);
    out.push(text);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Corpus

export interface GenerateOptions {
  events?: number;
  out: string;
  seed?: string;
  log?: (line: string) => void;
}

export interface CorpusSummary {
  generator: 'trailhound-bench';
  version: number;
  seed: string;
  events: number;
  files: number;
  bytesCompressed: number;
  bytesUncompressed: number;
  accounts: Array<{ id: string; name: string }>;
  regions: string[];
  firstEventTime: string;
  lastEventTime: string;
  attack: {
    events: number;
    maliciousIpEvents: number;
    instanceCredentialEvents: number;
    attackerIps: string[];
    exfiltrationIps: string[];
    leakedAccessKeys: string[];
    stolenInstanceCredentials: Array<{ account: string; instanceId: string; accessKeyId: string }>;
  };
  /** File names, in `out`. */
  threatLists: { a: string; b: string; attackers: string; entries: number };
  /** Not in the manifest (which is byte-identical for the same options wherever it is written). */
  out: string;
  generationMs: number;
}

interface Stream {
  acct: Account;
  region: string;
  clock: number;
}

export async function generateCorpus(options: GenerateOptions): Promise<CorpusSummary> {
  const started = performance.now();
  const events = options.events ?? DEFAULT_EVENTS;
  const seed = options.seed ?? DEFAULT_SEED;
  const out = resolve(options.out);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!Number.isInteger(events) || events < 1) throw new Error(`--events must be a positive integer, got ${events}`);

  const logsDir = join(out, 'AWSLogs');
  if (existsSync(logsDir)) {
    if (!existsSync(join(out, MANIFEST))) throw new Error(`${logsDir} exists and was not written by this generator (no ${MANIFEST}); refusing to replace it`);
    rmSync(logsDir, { recursive: true, force: true });
  }
  rmSync(join(out, MANIFEST), { force: true });
  mkdirSync(out, { recursive: true });

  const rng = new Rng(seed);
  const aws = new AwsSpace();
  defineApis();
  tokenPool = Array.from({ length: 1024 }, () => `IQoJb3JpZ2luX2Vj${rng.chars(B64, rng.between(600, 900))}`);
  amzIdPool = Array.from({ length: 1024 }, () => rng.chars(B64, 76));
  const st: RecordState = { rng, mixes: compileMixes() };

  // Address pools. Every benign address comes from a pool, so the threat lists can be kept clear of them.
  const officeIps = Array.from({ length: 120 }, () => aws.outsideAddress(rng, ISP_OCTETS));
  const ciIps = Array.from({ length: 200 }, () => aws.outsideAddress(rng, CI_OCTETS));
  const accounts = ACCOUNT_NAMES.map((_, i) => buildAccount(rng, aws, i, officeIps, ciIps));
  const attackerIps = Array.from({ length: 24 }, () => aws.outsideAddress(rng, HOSTING_OCTETS));
  const exfilIps = Array.from({ length: 6 }, () => aws.outsideAddress(rng, HOSTING_OCTETS));
  // Every address benign traffic can come from; the threat lists are kept clear of them (and of the exfiltration
  // addresses), so the findings come from the injected attack traffic only.
  const benignIps = new Set<string>([...officeIps, ...ciIps]);
  for (const acct of accounts)
    for (const byKind of acct.callers.values())
      for (const list of byKind.values()) for (const c of list) for (const ip of [...c.sources, ...c.privateIps]) benignIps.add(ip);

  const streams = new Weighted<Stream>(
    accounts.flatMap((acct, i) =>
      REGIONS.map((region) => [{ acct, region, clock: START }, (ACCOUNT_WEIGHT[i] ?? 0.1) * (REGION_WEIGHT[region] ?? 0.1)] as const),
    ),
  );
  const kinds = new Weighted(KIND_WEIGHTS);

  let written = 0;
  let files = 0;
  let bytesCompressed = 0;
  let bytesUncompressed = 0;
  let maliciousIpEvents = 0;
  let instanceCredentialEvents = 0;
  let firstTime = Number.POSITIVE_INFINITY;
  let lastTime = 0;
  const pending: Array<Promise<void>> = [];
  const createdDirs = new Set<string>();
  let lastReport = 0;

  while (written < events) {
    const stream = streams.pick(rng);
    const { acct, region } = stream;
    const windowStart = stream.clock;
    stream.clock += FILE_WINDOW_MS;
    const count = Math.min(events - written, rng.between(500, 2000));
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(windowStart + rng.int(FILE_WINDOW_MS));
    times.sort((x, y) => x - y);
    const byKind = acct.callers.get(region) as Map<CallerKind, Caller[]>;
    const records: Array<Record<string, unknown>> = [];
    for (const time of times) {
      let caller: Caller;
      let mixName: string;
      let source: string;
      let errorRate = 0.015;
      if (rng.chance(ATTACK_SHARE)) {
        if (rng.chance(0.6)) {
          caller = acct.leakedUser;
          mixName = 'attack-user';
          source = rng.pick(attackerIps);
          errorRate = 0.3;
          maliciousIpEvents++;
        } else {
          caller = rng.pick(acct.stolenInstances);
          mixName = 'attack-exfil';
          source = rng.pick(exfilIps);
          errorRate = 0.2;
          instanceCredentialEvents++;
        }
        const mix = st.mixes.get(mixName) as { home: Weighted<Api>; regional: Weighted<Api> };
        const a = (region === 'us-east-1' ? mix.home : mix.regional).pick(rng);
        const agentCaller = { ...caller, agents: ['kali-cli', 'kali-boto3', 'aws-cli'] as Agent[] };
        records.push(makeRecord(st, acct, region, agentCaller, a, time, source, errorRate));
        continue;
      }
      for (;;) {
        const kind = kinds.pick(rng);
        const list = byKind.get(kind);
        if (!list || list.length === 0) continue;
        caller = rng.pick(list);
        mixName = caller.mix;
        const mix = st.mixes.get(mixName) as { home: Weighted<Api>; regional: Weighted<Api> };
        const picker = region === 'us-east-1' ? mix.home : mix.regional;
        if (picker.size === 0) continue; // e.g. root: only global (us-east-1) APIs
        const a = picker.pick(rng);
        source = rng.pick(caller.sources);
        const rec = makeRecord(st, acct, region, caller, a, time, source, errorRate);
        if (!benignIps.has(rec.sourceIPAddress as string)) throw new Error(`benign source ${rec.sourceIPAddress} is not in the address pools`);
        records.push(rec);
        break;
      }
    }
    firstTime = Math.min(firstTime, times[0] as number);
    lastTime = Math.max(lastTime, times[times.length - 1] as number);

    const delivered = new Date(stream.clock + rng.between(60_000, 240_000));
    const yyyy = String(delivered.getUTCFullYear());
    const mm = String(delivered.getUTCMonth() + 1).padStart(2, '0');
    const dd = String(delivered.getUTCDate()).padStart(2, '0');
    const hhmm = `${String(delivered.getUTCHours()).padStart(2, '0')}${String(delivered.getUTCMinutes()).padStart(2, '0')}`;
    const dir = join(logsDir, acct.id, 'CloudTrail', region, yyyy, mm, dd);
    const name = `${acct.id}_CloudTrail_${region}_${yyyy}${mm}${dd}T${hhmm}Z_${rng.chars(ALNUM, 16)}.json.gz`;
    if (!createdDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      createdDirs.add(dir);
    }
    const json = Buffer.from(JSON.stringify({ Records: records }));
    bytesUncompressed += json.length;
    written += count;
    files++;
    // Compress on the thread pool while the next file is being built.
    pending.push(
      gzip(json).then(async (gz) => {
        bytesCompressed += gz.length;
        await writeFile(join(dir, name), gz);
      }),
    );
    if (pending.length >= 4) await pending.shift();
    if (written - lastReport >= 100_000 || written === events) {
      lastReport = written;
      log(`  generated ${written.toLocaleString('en-US')} / ${events.toLocaleString('en-US')} events (${files} files)`);
    }
  }
  await Promise.all(pending);

  // Threat lists, from their own PRNG so they depend on the seed only, not on --events.
  // A: attacker addresses (mostly as themselves, a few through their /24) + random entries.
  // B: random entries, a tenth shared with A (feeds overlap), and a few attacker addresses.
  const listRng = new Rng(`${seed}/threat-lists`);
  const avoid = new Map<number, Set<number>>();
  for (const text of [...benignIps, ...exfilIps]) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(text)) continue;
    const n = textToIp(text);
    for (let len = 16; len <= 32; len++) {
      getOrSet(avoid, len, () => new Set()).add(mask(n, len));
    }
  }
  const takenA = new Set<string>();
  const attackerEntries = attackerIps.map((ip, i) => (i >= 20 ? `${ipToText(mask(textToIp(ip), 24))}/24` : ip));
  for (const e of attackerEntries) takenA.add(e);
  const listA = listRng.shuffle([...attackerEntries, ...randomListEntries(listRng, THREAT_LIST_ENTRIES - attackerEntries.length, avoid, takenA)]);
  const takenB = new Set<string>(attackerIps.slice(0, 5));
  const shared: string[] = [];
  for (let i = 0; shared.length < THREAT_LIST_ENTRIES / 10 && i < listA.length; i += 10) {
    const e = listA[i] as string;
    if (!takenB.has(e)) {
      takenB.add(e);
      shared.push(e);
    }
  }
  const listB = listRng.shuffle([...attackerIps.slice(0, 5), ...shared, ...randomListEntries(listRng, THREAT_LIST_ENTRIES - 5 - shared.length, avoid, takenB)]);
  const listAPath = join(out, 'threat-list-a.txt');
  const listBPath = join(out, 'threat-list-b.txt');
  const attackersPath = join(out, 'threat-list-attackers.txt');
  writeFileSync(listAPath, formatList('A', seed, listA));
  writeFileSync(listBPath, formatList('B', seed, listB));
  writeFileSync(
    attackersPath,
    `# Attacker addresses used in the synthetic corpus (seed ${JSON.stringify(seed)}); all are covered by threat-list-a.txt.\n${attackerIps.join('\n')}\n`,
  );

  const summary: CorpusSummary = {
    generator: 'trailhound-bench',
    version: CORPUS_VERSION,
    seed,
    events: written,
    files,
    bytesCompressed,
    bytesUncompressed,
    accounts: accounts.map((a) => ({ id: a.id, name: a.name })),
    regions: [...REGIONS],
    firstEventTime: isoSeconds(firstTime),
    lastEventTime: isoSeconds(lastTime),
    attack: {
      events: maliciousIpEvents + instanceCredentialEvents,
      maliciousIpEvents,
      instanceCredentialEvents,
      attackerIps,
      exfiltrationIps: exfilIps,
      leakedAccessKeys: accounts.map((a) => a.leakedUser.identity.accessKeyId as string),
      stolenInstanceCredentials: accounts.flatMap((a) =>
        a.stolenInstances.map((s) => ({ account: a.id, instanceId: s.instanceId ?? '', accessKeyId: s.identity.accessKeyId as string })),
      ),
    },
    threatLists: { a: 'threat-list-a.txt', b: 'threat-list-b.txt', attackers: 'threat-list-attackers.txt', entries: THREAT_LIST_ENTRIES },
    out,
    generationMs: Math.round(performance.now() - started),
  };
  writeFileSync(join(out, MANIFEST), `${JSON.stringify({ ...summary, out: undefined, generationMs: undefined }, null, 2)}\n`);
  return summary;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatSummary(s: CorpusSummary): string {
  return [
    `files:              ${s.files.toLocaleString('en-US')}`,
    `events:             ${s.events.toLocaleString('en-US')} (${s.attack.events} attack: ${s.attack.maliciousIpEvents} from listed IPs, ${s.attack.instanceCredentialEvents} instance credentials outside AWS)`,
    `bytes compressed:   ${s.bytesCompressed.toLocaleString('en-US')} (${mb(s.bytesCompressed)})`,
    `bytes uncompressed: ${s.bytesUncompressed.toLocaleString('en-US')} (${mb(s.bytesUncompressed)}, ratio ${(s.bytesUncompressed / s.bytesCompressed).toFixed(1)}:1, ${Math.round(s.bytesUncompressed / s.events)} B/event)`,
    `time span:          ${s.firstEventTime} .. ${s.lastEventTime}`,
    `threat lists:       ${s.threatLists.a}, ${s.threatLists.b} (${s.threatLists.entries.toLocaleString('en-US')} entries each), ${s.threatLists.attackers}, in ${s.out}`,
    `generated in:       ${(s.generationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

/** Command-line options, parsed with node:util's parseArgs (strict: an unknown flag is an error). */
function parseArgs(argv: string[]): GenerateOptions {
  const { values } = parseCliArgs({
    args: argv,
    options: { events: { type: 'string' }, out: { type: 'string', default: 'bench/out' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('usage: node --import tsx bench/generate-cloudtrail.ts [--events N] [--out DIR] [--seed S]\n');
    process.exit(0);
  }
  return {
    out: values.out as string,
    ...(values.events !== undefined ? { events: Number(values.events.replaceAll('_', '')) } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
  };
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    process.stderr.write(
      `generating ${(opts.events ?? DEFAULT_EVENTS).toLocaleString('en-US')} events into ${resolve(opts.out)} (seed ${JSON.stringify(opts.seed ?? DEFAULT_SEED)})\n`,
    );
    const summary = await generateCorpus(opts);
    process.stdout.write(`${formatSummary(summary)}\n`);
  } catch (err) {
    process.stderr.write(`generate-cloudtrail: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
