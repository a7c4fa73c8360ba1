import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBucket as SharedFakeBucket } from '../../test/fake-s3.js';
import { rejected, tempDir } from '../../test/helpers.js';
import { InputError } from '../core/errors.js';
import { CheckpointStore } from './checkpoint.js';
import { classifyAnnouncedKey, classifyLogKey, cloudTrailKeyTime, isCloudTrailLogKey, logTypeOfKey, S3Source, type S3SourceOptions } from './s3.js';
import { SourceError, type SourceObject } from './source.js';

const BUCKET = 'trail-bucket';
const ACCT = '111122223333';
const ORG = 'o-abcdef1234';
const ORG_ACCT = '444455556666';
const DAY = 86_400_000;
/** 2026-01-10 12:00 UTC. */
const NOW = Date.parse('2026-01-10T12:00:00Z');

const s3Mock = mockClient(S3Client);

function ymd(ms: number): string[] {
  return new Date(ms).toISOString().slice(0, 10).split('-');
}

/** A CloudTrail key for `ms` (its day folder and the time in its name). */
function key(o: { ms: number; account?: string; region?: string; org?: string; prefix?: string; id?: string }): string {
  const account = o.account ?? ACCT;
  const region = o.region ?? 'us-east-1';
  const [y, m, d] = ymd(o.ms);
  const hm = new Date(o.ms).toISOString().slice(11, 16).replace(':', '');
  const base = `${o.prefix ? `${o.prefix}/` : ''}AWSLogs/${o.org ? `${o.org}/` : ''}${account}/CloudTrail/${region}/${y}/${m}/${d}/`;
  return `${base}${account}_CloudTrail_${region}_${y}${m}${d}T${hm}Z_${o.id ?? 'x'}.json.gz`;
}

/** The `YYYYMMDDTHHmmZ` stamp of a delivery at `ms`. */
function stamp(ms: number): string {
  const [y, m, d] = ymd(ms);
  return `${y}${m}${d}T${new Date(ms).toISOString().slice(11, 16).replace(':', '')}Z`;
}

const FLOW_LOG_ID = 'fl-0123456789abcdef0';
const VPC = 'vpc-0a1b2c3d4e5f60718';

/**
 * A VPC Flow Logs key for `ms`: `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/[HH/]` or, Hive-compatible,
 * `AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD/[hour=HH/]`;
 * the name is `ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz` (`ext` replaces `.log.gz`).
 */
function flowKey(o: { ms: number; account?: string; region?: string; hive?: boolean; hourly?: boolean; id?: string; ext?: string; prefix?: string }): string {
  const account = o.account ?? ACCT;
  const region = o.region ?? 'us-east-1';
  const [y, m, d] = ymd(o.ms);
  const h = new Date(o.ms).toISOString().slice(11, 13);
  const root = o.prefix ? `${o.prefix}/AWSLogs/` : 'AWSLogs/';
  const folder = o.hive
    ? `${root}aws-account-id=${account}/aws-service=vpcflowlogs/aws-region=${region}/year=${y}/month=${m}/day=${d}/${o.hourly ? `hour=${h}/` : ''}`
    : `${root}${account}/vpcflowlogs/${region}/${y}/${m}/${d}/${o.hourly ? `${h}/` : ''}`;
  return `${folder}${account}_vpcflowlogs_${region}_${FLOW_LOG_ID}_${stamp(o.ms)}_${o.id ?? 'f'}${o.ext ?? '.log.gz'}`;
}

/** A Resolver query log key: `AWSLogs/ACCOUNT/vpcdnsquerylogs/VPCID/YYYY/MM/DD/VPCID_vpcdnsquerylogs_ACCOUNT_YYYYMMDDTHHmmZ_HASH.log.gz`. */
function dnsKey(o: { ms: number; account?: string; vpc?: string; id?: string }): string {
  const account = o.account ?? ACCT;
  const vpc = o.vpc ?? VPC;
  const [y, m, d] = ymd(o.ms);
  return `AWSLogs/${account}/vpcdnsquerylogs/${vpc}/${y}/${m}/${d}/${vpc}_vpcdnsquerylogs_${account}_${stamp(o.ms)}_${o.id ?? 'q'}.log.gz`;
}

const FLOW_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

function flowDoc(id: string): string {
  return `${FLOW_HEADER}\n2 ${ACCT} eni-0123456789abcdef0 10.0.0.12 203.0.113.${id.length} 443 49152 6 10 840 1768046400 1768046460 ACCEPT OK\n`;
}

function dnsDoc(id: string): string {
  return `${JSON.stringify({ version: '1.100000', account_id: ACCT, region: 'us-east-1', vpc_id: VPC, query_timestamp: '2026-01-10T11:00:00Z', query_name: `${id}.example.com.` })}\n`;
}

function doc(id: string): string {
  return JSON.stringify({ Records: [{ eventID: id, eventName: 'GetUser' }] });
}

let bucket: SharedFakeBucket;
let checkpoints: CheckpointStore;
let now: number;

beforeEach(() => {
  s3Mock.reset();
  bucket = new SharedFakeBucket(s3Mock, BUCKET, NOW);
  bucket.install();
  checkpoints = new CheckpointStore(new Database(join(tempDir(), 'findings.db')));
  now = NOW;
});

function source(o: Partial<S3SourceOptions> = {}): S3Source {
  return new S3Source({ name: 'trail', bucket: BUCKET, s3: new S3Client({ region: 'us-east-1' }), checkpoints, now: () => now, ...o });
}

async function commit(objs: SourceObject[]): Promise<void> {
  for (const obj of objs) {
    await obj.read();
    checkpoints.markDone(obj.source, obj.key, obj.version, now, 1);
  }
}

describe('isCloudTrailLogKey / cloudTrailKeyTime', () => {
  it('keeps .json.gz log files and leaves digests out', () => {
    expect(isCloudTrailLogKey(key({ ms: NOW }))).toBe(true);
    expect(isCloudTrailLogKey(`AWSLogs/${ACCT}/CloudTrail-Digest/us-east-1/2026/01/10/${ACCT}_CloudTrail-Digest_us-east-1_t_20260110T1200Z.json.gz`)).toBe(
      false,
    );
    expect(isCloudTrailLogKey(`AWSLogs/${ACCT}/CloudTrail/us-east-1/2026/01/10/notes.txt`)).toBe(false);
    expect(cloudTrailKeyTime(key({ ms: NOW }))).toBe('20260110T1200Z');
    expect(cloudTrailKeyTime('other.json.gz')).toBe('');
  });
});

describe('S3Source', () => {
  it('discovers accounts, organization trails and regions under the prefix, and returns objects oldest first', async () => {
    const prefix = 'trails/prod';
    const k1 = bucket.put(key({ prefix, ms: NOW - 2 * 3600_000, region: 'us-west-2', id: 'a' }), doc('1'));
    const k2 = bucket.put(key({ prefix, ms: NOW - 3600_000, id: 'b' }), doc('2'));
    const k3 = bucket.put(key({ prefix, ms: NOW - 30 * 3600_000, org: ORG, account: ORG_ACCT, region: 'eu-west-1', id: 'c' }), doc('3'));
    const k4 = bucket.put(key({ prefix, ms: NOW - 60_000, org: ORG, account: ORG_ACCT, id: 'd' }), doc('4'));
    // Outside the prefix, a digest, a non-log file, and a folder that is neither account nor organization.
    bucket.put(key({ ms: NOW - 60_000, id: 'elsewhere' }), doc('x'));
    bucket.put(`${prefix}/AWSLogs/${ACCT}/CloudTrail-Digest/us-east-1/2026/01/10/${ACCT}_CloudTrail-Digest_us-east-1_t_20260110T1100Z.json.gz`, '{}');
    bucket.put(`${prefix}/AWSLogs/${ACCT}/CloudTrail/us-east-1/2026/01/10/README.txt`, 'hello');
    bucket.put(`${prefix}/AWSLogs/not-an-account/CloudTrail/us-east-1/2026/01/10/x.json.gz`, doc('y'));

    const s = source({ prefix: `${prefix}/` });
    const objs = await s.poll(100);
    expect(objs.map((o) => o.key)).toEqual([k3, k1, k2, k4]);
    expect(objs[0]).toMatchObject({ source: 'trail', version: bucket.objects.get(k3.slice(`s3://${BUCKET}/`.length))!.etag.replaceAll('"', '') });
    expect((await objs[0]!.read()).text).toBe(doc('3'));
    expect((await objs[0]!.read()).path).toBe(k3);
    // Discovery listed with a delimiter; day folders were listed in full, without StartAfter.
    expect(bucket.listed.filter((i) => i.Delimiter === '/').map((i) => i.Prefix)).toContain(`${prefix}/AWSLogs/`);
    expect(bucket.listed.some((i) => 'StartAfter' in i)).toBe(false);
    expect(s.stats()).toMatchObject({ backlog: 4, lastPollAt: NOW });
  });

  it('reads only the configured organization, accounts and regions, without listing above the regions', async () => {
    const wanted = bucket.put(key({ ms: NOW - 3600_000, org: ORG, account: ORG_ACCT, region: 'eu-west-1' }), doc('1'));
    bucket.put(key({ ms: NOW - 3600_000, org: ORG, account: ORG_ACCT, region: 'us-east-1' }), doc('2'));
    bucket.put(key({ ms: NOW - 3600_000, org: ORG, account: '999999999999', region: 'eu-west-1' }), doc('3'));
    bucket.put(key({ ms: NOW - 3600_000, region: 'eu-west-1' }), doc('4'));
    const s = source({ organizationId: ORG, accounts: [ORG_ACCT], regions: ['eu-west-1'] });
    expect((await s.poll(10)).map((o) => o.key)).toEqual([wanted]);
    expect(bucket.listed.filter((i) => i.Delimiter)).toEqual([]);
  });

  it('follows continuation tokens in discovery and in day listings', async () => {
    bucket.page = 1;
    const keys = [1, 2, 3, 4, 5].map((i) => bucket.put(key({ ms: NOW - i * 60_000, id: `p${i}` }), doc(String(i))));
    for (const r of ['ap-south-1', 'eu-central-1', 'us-west-1']) bucket.put(key({ ms: NOW - 3600_000, region: r }), doc(r));
    const objs = await source({ regions: undefined }).poll(100);
    expect(objs).toHaveLength(8);
    expect(objs.map((o) => o.key)).toEqual(expect.arrayContaining(keys));
    expect(bucket.listed.some((i) => i.ContinuationToken)).toBe(true);
  });

  it('returns nothing a second time once checkpointed, and returns at most max', async () => {
    for (let i = 0; i < 5; i++) bucket.put(key({ ms: NOW - (5 - i) * 60_000, id: `m${i}` }), doc(String(i)));
    const s = source();
    const first = await s.poll(3);
    expect(first).toHaveLength(3);
    expect(s.stats().backlog).toBe(5);
    await commit(first);
    const second = await s.poll(3);
    expect(second).toHaveLength(2);
    expect(second[0]!.key > first[2]!.key).toBe(true);
    await commit(second);
    expect(await s.poll(3)).toEqual([]);
    // A restarted source over the same database reads nothing again.
    expect(await source().poll(10)).toEqual([]);
  });

  it('finds a file delivered late into an earlier day prefix, within lookbackDays', async () => {
    const s = source();
    bucket.put(key({ ms: NOW - 3600_000, id: 'today' }), doc('t'));
    await commit(await s.poll(10));
    // CloudTrail delivers a file for yesterday 23:55 after today's first file.
    const late = bucket.put(key({ ms: NOW - 12.1 * 3600_000, id: 'late' }), doc('l'));
    expect((await s.poll(10)).map((o) => o.key)).toEqual([late]);
  });

  it('remembers days older than lookbackDays as complete once done, and stops listing them', async () => {
    const start = NOW - 6 * DAY;
    const s = source({ startDate: new Date(start).toISOString().slice(0, 10), lookbackDays: 2 });
    for (let d = 0; d <= 6; d++) bucket.put(key({ ms: start + d * DAY, id: `d${d}` }), doc(String(d)));
    const first = await s.poll(100);
    expect(first).toHaveLength(7);
    await commit(first);
    expect(await s.poll(100)).toEqual([]);
    // Days 01-04..01-07 are complete (older than today minus 2); 01-08..01-10 are listed every poll.
    expect(checkpoints.getCursor('trail', `complete:AWSLogs/${ACCT}/CloudTrail/us-east-1/`)).toBe('2026-01-04/2026-01-07');
    bucket.listed.length = 0;
    const lateInWindow = bucket.put(key({ ms: NOW - 2 * DAY, id: 'late-window' }), doc('w'));
    bucket.put(key({ ms: NOW - 4 * DAY, id: 'late-complete' }), doc('c'));
    expect((await s.poll(100)).map((o) => o.key)).toEqual([lateInWindow]);
    const days = bucket.listed.filter((i) => !i.Delimiter).map((i) => i.Prefix!.split('/').slice(-4, -1).join('-'));
    expect(days).toEqual(['2026-01-08', '2026-01-09', '2026-01-10']);
  });

  it('keeps listing an old day while an object in it is pending, without skipping it', async () => {
    const start = NOW - 5 * DAY;
    const s = source({ startDate: new Date(start).toISOString().slice(0, 10) });
    const a = bucket.put(key({ ms: start, id: 'a' }), doc('a'));
    const b = bucket.put(key({ ms: start + DAY, id: 'b' }), doc('b'));
    expect((await s.poll(1)).map((o) => o.key)).toEqual([a]);
    // Not committed (the service failed): returned again, and its day is not complete.
    expect((await s.poll(1)).map((o) => o.key)).toEqual([a]);
    expect(checkpoints.getCursor('trail', `complete:AWSLogs/${ACCT}/CloudTrail/us-east-1/`)).toBeUndefined();
    await commit(await s.poll(1));
    expect((await s.poll(1)).map((o) => o.key)).toEqual([b]);
  });

  it('remembers the default start date, so a restart days later skips nothing', async () => {
    bucket.put(key({ ms: NOW - 60_000, id: 'first' }), doc('f'));
    await commit(await source().poll(10));
    expect(checkpoints.getCursor('trail', 'startDate')).toBe('2026-01-09');
    // Down for three days; files kept arriving.
    const missed = bucket.put(key({ ms: NOW + DAY, id: 'missed' }), doc('m'));
    now = NOW + 3 * DAY;
    expect((await source().poll(10)).map((o) => o.key)).toEqual([missed]);
  });

  it('prunes checkpoints only for days that are complete everywhere and no longer listed', async () => {
    const s = source({ startDate: '2026-01-08', lookbackDays: 1 });
    bucket.put(key({ ms: NOW - 2 * DAY, id: 'a' }), doc('a'));
    bucket.put(key({ ms: NOW - DAY, id: 'b' }), doc('b'));
    await commit(await s.poll(10));
    expect(checkpoints.doneCount('trail')).toBe(2);
    now = NOW + 2 * DAY;
    expect(await s.poll(10)).toEqual([]);
    // Complete through 01-10; the objects were done on 01-10, so they go once 01-11 is complete too.
    expect(checkpoints.doneCount('trail')).toBe(2);
    now = NOW + 3 * DAY;
    expect(await s.poll(10)).toEqual([]);
    expect(checkpoints.doneCount('trail')).toBe(0);
    expect(await s.poll(10)).toEqual([]);
  });

  it('gives an InputError naming s3://bucket/key for a truncated gzip object, while the others read', async () => {
    const big = gzipSync(JSON.stringify({ Records: Array.from({ length: 500 }, (_, i) => ({ eventID: `id-${i}` })) }));
    const bad = bucket.put(key({ ms: NOW - 120_000, id: 'bad' }), big.subarray(0, big.length - 10));
    const good = bucket.put(key({ ms: NOW - 60_000, id: 'good' }), doc('g'));
    const objs = await source().poll(10);
    expect(objs.map((o) => o.key)).toEqual([bad, good]);
    const err = await rejected(objs[0]!.read());
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toBe(bad);
    expect(err.message).toMatch(/truncated/);
    expect((await objs[1]!.read()).text).toBe(doc('g'));
  });

  it('gives an InputError for an object deleted since it was listed', async () => {
    const k = bucket.put(key({ ms: NOW - 60_000 }), doc('1'));
    const [obj] = await source().poll(10);
    bucket.objects.delete(k.slice(`s3://${BUCKET}/`.length));
    const err = await rejected(obj!.read());
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(k);
  });

  it('throws a SourceError naming the bucket and prefix when access is denied or the bucket is missing', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const s = source({ prefix: 'org-trail' });
    const err = await rejected(s.poll(10));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain(`s3://${BUCKET}/org-trail/AWSLogs/`);
    expect(err.message).toMatch(/access denied/);
    expect(s.stats().lastError).toMatch(/access denied/);

    s3Mock.reset();
    bucket.install();
    const missing = source({ bucket: 'no-such-bucket' });
    const err2 = await rejected(missing.poll(10));
    expect(err2).toBeInstanceOf(SourceError);
    expect(err2.message).toContain('bucket no-such-bucket does not exist');
  });

  it('rejects a bad configuration', () => {
    expect(() => source({ startDate: '2026-02-30' })).toThrow(SourceError);
    expect(() => source({ organizationId: 'org' })).toThrow(/organizationId/);
    expect(() => source({ accounts: ['123'] })).toThrow(/account/);
    expect(() => source({ lookbackDays: -1 })).toThrow(/lookbackDays/);
  });
});

describe('log types by key', () => {
  it('names the type from the layout and keeps only what the parsers read', () => {
    expect(logTypeOfKey(key({ ms: NOW }))).toBe('cloudtrail');
    expect(logTypeOfKey(flowKey({ ms: NOW }))).toBe('vpcflowlogs');
    expect(logTypeOfKey(flowKey({ ms: NOW, hive: true }))).toBe('vpcflowlogs');
    expect(logTypeOfKey(dnsKey({ ms: NOW }))).toBe('vpcdnsquerylogs');
    expect(logTypeOfKey('exports/2026/01/10/x.json.gz')).toBeUndefined();
    expect(classifyLogKey('vpcflowlogs', flowKey({ ms: NOW }))).toBe('log');
    expect(classifyLogKey('vpcflowlogs', flowKey({ ms: NOW, ext: '.log' }))).toBe('log');
    expect(classifyLogKey('vpcflowlogs', flowKey({ ms: NOW, ext: '.log.parquet' }))).toBe('parquet');
    expect(classifyLogKey('vpcdnsquerylogs', dnsKey({ ms: NOW }))).toBe('log');
    expect(classifyLogKey('vpcflowlogs', `AWSLogs/${ACCT}/vpcflowlogs/us-east-1/2026/01/10/README.txt`)).toBe('other');
    expect(classifyLogKey('cloudtrail', `AWSLogs/${ACCT}/CloudTrail/us-east-1/2026/01/10/${ACCT}_CloudTrail-Digest_x.json.gz`)).toBe('digest');
    // Announced keys: by their path; a key whose path names no type is read as before when it is CloudTrail-shaped.
    expect(classifyAnnouncedKey(flowKey({ ms: NOW }))).toBe('log');
    expect(classifyAnnouncedKey(dnsKey({ ms: NOW }))).toBe('log');
    expect(classifyAnnouncedKey(key({ ms: NOW }))).toBe('log');
    expect(classifyAnnouncedKey('custom/x.json.gz')).toBe('log');
    expect(classifyAnnouncedKey('custom/x.log.gz')).toBe('other');
    expect(cloudTrailKeyTime(flowKey({ ms: NOW }))).toBe('20260110T1200Z');
    expect(cloudTrailKeyTime(dnsKey({ ms: NOW }))).toBe('20260110T1200Z');
  });
});

describe('S3Source with VPC Flow Logs and Resolver query logs', () => {
  const ALL = ['cloudtrail', 'vpcflowlogs', 'vpcdnsquerylogs'] as const;

  it('discovers flow-log regions (plain, hourly, Hive) and query-log VPCs per account, reading them with the trail oldest first', async () => {
    const prefix = 'central';
    const trail = bucket.put(key({ prefix, ms: NOW - 50 * 60_000, id: 'ct' }), doc('ct'));
    const flow = bucket.put(flowKey({ prefix, ms: NOW - 40 * 60_000, id: 'plain' }), flowDoc('plain'));
    const hourly = bucket.put(flowKey({ prefix, ms: NOW - 30 * 60_000, region: 'eu-west-1', hourly: true, id: 'hourly' }), flowDoc('hourly'));
    const hive = bucket.put(flowKey({ prefix, ms: NOW - 20 * 60_000, account: ORG_ACCT, hive: true, hourly: true, id: 'hive' }), flowDoc('hive'));
    const dns = bucket.put(`central/${dnsKey({ ms: NOW - 10 * 60_000, id: 'dns' })}`, dnsDoc('dns'));
    // Parquet and other files are skipped; a folder that is not a VPC id is not read; flow logs are never under an organization folder.
    bucket.put(flowKey({ prefix, ms: NOW - 15 * 60_000, id: 'pq', ext: '.log.parquet' }), Buffer.from('PAR1'));
    bucket.put(flowKey({ prefix, ms: NOW - 15 * 60_000, hive: true, id: 'pq2', ext: '.log.parquet' }), Buffer.from('PAR1'));
    bucket.put(`${prefix}/AWSLogs/${ACCT}/vpcflowlogs/us-east-1/2026/01/10/notes.txt`, 'x');
    bucket.put(`${prefix}/AWSLogs/${ACCT}/vpcdnsquerylogs/not-a-vpc/2026/01/10/x.log.gz`, dnsDoc('x'));
    bucket.put(`${prefix}/AWSLogs/${ORG}/${ORG_ACCT}/vpcflowlogs/us-east-1/2026/01/10/x.log.gz`, flowDoc('x'));

    const s = source({ prefix, logTypes: [...ALL] });
    const objs = await s.poll(100);
    expect(objs.map((o) => o.key)).toEqual([trail, flow, hourly, hive, dns]);
    expect((await objs[1]!.read()).text).toBe(flowDoc('plain'));
    expect((await objs[4]!.read()).text).toBe(dnsDoc('dns'));
    expect(s.stats()).toMatchObject({ backlog: 5, skipped: { parquet: 2, other: 1, digest: 0 } });
    // The folders under AWSLogs/ were listed once for both the trail and the network logs.
    const delimited = bucket.listed.filter((i) => i.Delimiter === '/').map((i) => i.Prefix);
    expect(bucket.listed.filter((i) => i.Prefix === `${prefix}/AWSLogs/` && !i.ContinuationToken)).toHaveLength(1);
    expect(delimited).toEqual(
      expect.arrayContaining([
        `${prefix}/AWSLogs/${ACCT}/vpcflowlogs/`,
        `${prefix}/AWSLogs/${ACCT}/vpcdnsquerylogs/`,
        `${prefix}/AWSLogs/aws-account-id=${ORG_ACCT}/aws-service=vpcflowlogs/`,
      ]),
    );
    expect(delimited).not.toContain(`${prefix}/AWSLogs/${ORG}/${ORG_ACCT}/vpcflowlogs/`);

    await commit(objs);
    expect(await s.poll(100)).toEqual([]);
    // Listed again, the skipped objects are not counted again.
    expect(s.stats().skipped).toEqual({ parquet: 2, other: 1, digest: 0 });
  });

  it('reads only the configured log types', async () => {
    const trail = bucket.put(key({ ms: NOW - 3600_000 }), doc('1'));
    const flow = bucket.put(flowKey({ ms: NOW - 3600_000 }), flowDoc('1'));
    const dns = bucket.put(dnsKey({ ms: NOW - 3600_000 }), dnsDoc('1'));
    expect((await source().poll(10)).map((o) => o.key)).toEqual([trail]);
    expect(bucket.listed.some((i) => i.Prefix?.includes('vpcflowlogs') || i.Prefix?.includes('vpcdnsquerylogs'))).toBe(false);
    bucket.listed.length = 0;
    expect((await source({ name: 'flow', logTypes: ['vpcflowlogs'] }).poll(10)).map((o) => o.key)).toEqual([flow]);
    expect(bucket.listed.some((i) => i.Prefix?.includes('CloudTrail') || i.Prefix?.includes('vpcdnsquerylogs'))).toBe(false);
    expect((await source({ name: 'dns', logTypes: ['vpcdnsquerylogs'] }).poll(10)).map((o) => o.key)).toEqual([dns]);
  });

  it('uses configured accounts, regions and VPCs without listing them, probing only for the Hive layout', async () => {
    const flow = bucket.put(flowKey({ ms: NOW - 3600_000, region: 'eu-west-1', id: 'a' }), flowDoc('a'));
    const hive = bucket.put(flowKey({ ms: NOW - 1800_000, region: 'eu-west-1', hive: true, id: 'b' }), flowDoc('b'));
    const dns = bucket.put(dnsKey({ ms: NOW - 900_000, id: 'c' }), dnsDoc('c'));
    bucket.put(flowKey({ ms: NOW - 3600_000, region: 'us-east-1', id: 'other-region' }), flowDoc('x'));
    bucket.put(flowKey({ ms: NOW - 3600_000, region: 'us-east-1', hive: true, id: 'other-hive-region' }), flowDoc('x'));
    bucket.put(dnsKey({ ms: NOW - 3600_000, vpc: 'vpc-0ffffffffffffffff', id: 'other-vpc' }), dnsDoc('x'));
    bucket.put(flowKey({ ms: NOW - 3600_000, account: ORG_ACCT, region: 'eu-west-1', id: 'other-account' }), flowDoc('x'));
    const s = source({ accounts: [ACCT], regions: ['eu-west-1'], vpcs: [VPC], logTypes: ['vpcflowlogs', 'vpcdnsquerylogs'] });
    expect((await s.poll(10)).map((o) => o.key)).toEqual([flow, hive, dns]);
    expect(bucket.listed.filter((i) => i.Delimiter).map((i) => i.Prefix)).toEqual([`AWSLogs/aws-account-id=${ACCT}/aws-service=vpcflowlogs/`]);
  });

  it('applies the lookback and complete-day logic per flow-log region and per VPC', async () => {
    const start = NOW - 6 * DAY;
    const s = source({ startDate: new Date(start).toISOString().slice(0, 10), lookbackDays: 2, logTypes: ['vpcflowlogs', 'vpcdnsquerylogs'] });
    for (let d = 0; d <= 6; d++) {
      bucket.put(flowKey({ ms: start + d * DAY, id: `f${d}` }), flowDoc(String(d)));
      bucket.put(flowKey({ ms: start + d * DAY, hive: true, id: `h${d}` }), flowDoc(String(d)));
      bucket.put(dnsKey({ ms: start + d * DAY, id: `q${d}` }), dnsDoc(String(d)));
    }
    // A Parquet file in a day that becomes complete: counted once, then its day is not listed again.
    bucket.put(flowKey({ ms: start, id: 'pq', ext: '.log.parquet' }), Buffer.from('PAR1'));
    const first = await s.poll(100);
    expect(first).toHaveLength(21);
    // Oldest first across the streams: the three files of the first day come first.
    expect(first.slice(0, 3).every((o) => o.key.includes(`_${stamp(start)}_`))).toBe(true);
    await commit(first);
    expect(await s.poll(100)).toEqual([]);
    for (const prefix of [
      `AWSLogs/${ACCT}/vpcflowlogs/us-east-1/`,
      `AWSLogs/aws-account-id=${ACCT}/aws-service=vpcflowlogs/aws-region=us-east-1/`,
      `AWSLogs/${ACCT}/vpcdnsquerylogs/${VPC}/`,
    ]) {
      expect(checkpoints.getCursor('trail', `complete:${prefix}`)).toBe('2026-01-04/2026-01-07');
    }
    bucket.listed.length = 0;
    const lateFlow = bucket.put(flowKey({ ms: NOW - 2 * DAY, id: 'late-window' }), flowDoc('w'));
    const lateDns = bucket.put(dnsKey({ ms: NOW - 2 * DAY + 60_000, id: 'late-window' }), dnsDoc('w'));
    bucket.put(flowKey({ ms: NOW - 4 * DAY, id: 'late-complete' }), flowDoc('c'));
    bucket.put(dnsKey({ ms: NOW - 4 * DAY, id: 'late-complete' }), dnsDoc('c'));
    expect((await s.poll(100)).map((o) => o.key)).toEqual([lateFlow, lateDns]);
    const days = bucket.listed.filter((i) => !i.Delimiter).map((i) => i.Prefix!);
    expect(days.filter((p) => p.startsWith(`AWSLogs/${ACCT}/vpcflowlogs/`)).map((p) => p.split('/').slice(-4, -1).join('-'))).toEqual([
      '2026-01-08',
      '2026-01-09',
      '2026-01-10',
    ]);
    expect(days.filter((p) => p.includes('aws-region=')).map((p) => p.split('/').slice(-4, -1).join('/'))).toEqual([
      'year=2026/month=01/day=08',
      'year=2026/month=01/day=09',
      'year=2026/month=01/day=10',
    ]);
    expect(s.stats().skipped).toEqual({ parquet: 1, other: 0, digest: 0 });
  });

  it('rejects a bad log type or VPC id', () => {
    expect(() => source({ logTypes: [] })).toThrow(/logTypes/);
    expect(() => source({ logTypes: ['waf' as never] })).toThrow(/log type/);
    expect(() => source({ vpcs: ['vpc_1'] })).toThrow(/VPC/);
  });
});
