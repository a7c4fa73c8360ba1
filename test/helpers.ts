import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../src/core/clock.js';
import type { Finding } from '../src/core/finding.js';
import { parseCidr } from '../src/core/ip.js';
import { ApiClassifier } from '../src/detectors/api-classification.js';
import type { DetectContext, DetectorSettings, DnsDetector, FlowDetector, Hit, LogCase } from '../src/detectors/types.js';
import type { FindingStore } from '../src/findings/store.js';
import { type AwsRanges, BUNDLED_AWS_RANGES, loadAwsRanges } from '../src/intel/aws-ranges.js';
import { Intel } from '../src/intel/intel.js';
import type { IpList } from '../src/intel/threat-list.js';
import { type DetectOptions, type DetectResult, runDetect } from '../src/pipeline/detect.js';

export const SHARED = join(import.meta.dirname, '..', '..', 'shared');
export const PUBLIC_LOGS = join(SHARED, 'data', 'public-logs');
export const CLOCK = fixedClock('2026-01-01T00:00:00.000Z');

let ranges: Promise<AwsRanges> | undefined;
/** The bundled AWS ranges, loaded once per test file. */
export function awsRanges(): Promise<AwsRanges> {
  ranges ??= loadAwsRanges(BUNDLED_AWS_RANGES);
  return ranges;
}

export function list(name: string, entries: string[]): IpList {
  return {
    name,
    path: `${name}.txt`,
    sha256: '0'.repeat(64),
    entries: entries.map((e) => {
      const c = parseCidr(e);
      if ('error' in c) throw new Error(c.error);
      return c;
    }),
  };
}

export interface ContextOptions {
  threatList?: string[];
  /** Several named lists. */
  threatLists?: Record<string, string[]>;
  trustedList?: string[];
  /** A threat list of domains, named `test-domains`. */
  threatDomains?: string[];
  settings?: Partial<DetectorSettings>;
}

export async function testContext(o: ContextOptions = {}): Promise<DetectContext> {
  const threats = [...(o.threatList ? [list('test-threats', o.threatList)] : []), ...Object.entries(o.threatLists ?? {}).map(([n, e]) => list(n, e))];
  return {
    intel: new Intel(
      await awsRanges(),
      threats,
      o.trustedList ? [list('trusted', o.trustedList)] : [],
      o.threatDomains ? [{ name: 'test-domains', path: 'test-domains.txt', domains: o.threatDomains, sha256: '0'.repeat(64) }] : [],
    ),
    classifier: new ApiClassifier(),
    settings: {
      accounts: [],
      instances: {},
      interfaces: {},
      globalServiceRegion: 'us-east-1',
      maxTrackedInstances: 100_000,
      maxAddressesPerInstance: 64,
      ...o.settings,
    },
  };
}

/** Writes `content` to a fresh temporary file and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'trailhound-test-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'trailhound-test-'));
}

/** Runs the whole detect pipeline in-process over files or directories. */
export async function detectPaths(
  paths: string[],
  o: ContextOptions & { store?: FindingStore; network?: DetectOptions['network'] } = {},
): Promise<DetectResult> {
  return runDetect({ paths, ctx: await testContext(o), clock: CLOCK, ...(o.store ? { store: o.store } : {}), ...(o.network ? { network: o.network } : {}) });
}

/**
 * Runs one case of a flow or DNS detector: its lines are written as a log file in AWS's S3 layout (account
 * 111122223333, us-west-2) and detected with that detector alone (registered or not).
 */
export async function detectLogCase(detector: FlowDetector<any> | DnsDetector<any>, c: LogCase, kind: 'vpcflow' | 'dns'): Promise<DetectResult> {
  const folder = kind === 'vpcflow' ? 'vpcflowlogs' : 'vpcdnsquerylogs';
  const dir = join(tempDir(), 'AWSLogs', '111122223333', folder, 'us-west-2', '2021', '03', '08');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `case.${kind === 'vpcflow' ? 'log' : 'jsonl'}`);
  writeFileSync(file, `${c.lines.join('\n')}\n`);
  return detectPaths([file], {
    ...(c.threatList ? { threatList: c.threatList } : {}),
    ...(c.trustedList ? { trustedList: c.trustedList } : {}),
    ...(c.threatLists ? { threatLists: c.threatLists } : {}),
    ...(c.threatDomains ? { threatDomains: c.threatDomains } : {}),
    ...(c.settings ? { settings: c.settings } : {}),
    network: kind === 'vpcflow' ? { flow: [detector as FlowDetector<any>], dns: [] } : { flow: [], dns: [detector as DnsDetector<any>] },
  });
}

/** Runs the pipeline over CloudTrail records given in memory (written to a temporary `{"Records":[...]}` file). */
export async function detectRecords(records: unknown[], o: ContextOptions = {}): Promise<Finding[]> {
  const path = tempFile('records.json', JSON.stringify({ Records: records }));
  const result = await detectPaths([path], o);
  if (result.rejected.length > 0) throw new Error(`records rejected: ${result.rejected.map((r) => r.message).join('; ')}`);
  return result.findings;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** A deterministic PRNG (mulberry32) returning numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A detector hit for store and bus tests: an IAM user's `api` call at `time`, aggregated by `key`. */
export function makeHit(
  o: { type?: string; time?: number; eventId?: string; api?: string; key?: string[]; severity?: number; accessKeyId?: string } = {},
): Hit {
  const time = o.time ?? 1;
  const accessKeyId = o.accessKeyId ?? 'AKIAEXAMPLE';
  return {
    type: o.type ?? 'Recon:IAMUser/MaliciousIPCaller.Custom',
    severity: o.severity ?? 5,
    account: '111122223333',
    region: 'us-west-2',
    partition: 'aws',
    key: o.key ?? [accessKeyId, '203.0.113.10'],
    time,
    eventId: o.eventId ?? `e${time}`,
    resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId, principalId: 'AIDA', userName: 'u', userType: 'IAMUser' } },
    action: {
      actionType: 'AWS_API_CALL',
      awsApiCallAction: { api: o.api ?? 'GetUser', serviceName: 'iam.amazonaws.com', callerType: 'Domain', affectedResources: {} },
    },
    resourceRole: 'TARGET',
    title: 't',
    description: 'd',
  };
}

/** A real HTTP server on 127.0.0.1 (a free port) for target tests: its base URL, and a close that ends open connections. */
export async function localHttpServer(handler: RequestListener): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
