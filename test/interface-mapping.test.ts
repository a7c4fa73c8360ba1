import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../src/core/clock.js';
import type { Finding } from '../src/core/finding.js';
import { FindingStore } from '../src/findings/store.js';
import { type IngestItem, Ingestor } from '../src/pipeline/ingest.js';
import { CheckpointStore } from '../src/sources/checkpoint.js';
import { type ContextOptions, detectPaths, tempDir, testContext } from './helpers.js';
import { schemaErrors } from './schema.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'interface-mapping');
const FLOWS = join(FIXTURES, 'flows');
const FLOW_DIR = join(FLOWS, 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-west-2', '2021', '03', '08');
const V2_FLOWS = join(FLOW_DIR, '111122223333_vpcflowlogs_us-west-2_fl-0123456789abcdef0_20210308T1800Z_5e1a2b3c.log');
const V3_FLOWS = join(FLOW_DIR, '111122223333_vpcflowlogs_us-west-2_fl-0fedcba987654321f_20210308T1805Z_6f2b3c4d.log');
const RUN_INSTANCES = join(FIXTURES, 'trail-run-instances.json');
const ATTACH_DETACH = join(FIXTURES, 'trail-attach-detach.json');

const TYPE = 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom';
const THREATS: ContextOptions = { threatList: ['198.51.100.23', '198.51.100.31', '198.51.100.32', '198.51.100.33', '198.51.100.40'] };

/** The finding's (first) network interface entry. */
function iface(f: Finding): Record<string, unknown> {
  const list = (f.resource.instanceDetails?.networkInterfaces ?? []) as Array<Record<string, unknown>>;
  return list[0] ?? {};
}

/** The threat-listed connections' findings, by "interface -> remote address". */
function byConnection(findings: Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    if (f.type !== TYPE) continue;
    const eni = iface(f).networkInterfaceId;
    out.set(`${eni} -> ${f.service.action.networkConnectionAction?.remoteIpDetails?.ipAddressV4}`, f);
  }
  return out;
}

function get(findings: Map<string, Finding>, key: string): Finding {
  const f = findings.get(key);
  if (!f) throw new Error(`no finding for ${key}; have ${[...findings.keys()].join(', ')}`);
  return f;
}

async function detect(paths: string[], o: ContextOptions & { store?: FindingStore } = {}) {
  const result = await detectPaths(paths, { ...THREATS, ...o });
  expect(result.rejected.map((e) => e.message)).toEqual([]);
  for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
  return result;
}

describe('flow records without instance-id: the instance from CloudTrail', () => {
  it('RunInstances names the interface: the finding has the instance, in both file orders, with the same findings', async () => {
    const flowFirst = await detect([FLOWS, RUN_INSTANCES, ATTACH_DETACH]);
    const trailFirst = await detect([ATTACH_DETACH, RUN_INSTANCES, FLOWS]);
    expect(flowFirst.findings).toEqual(trailFirst.findings);

    const f = get(byConnection(flowFirst.findings), 'eni-0a1111111111111aa -> 198.51.100.23');
    expect(f.resource.instanceDetails?.instanceId).toBe('i-0b2222222222222bb');
    expect(f.service.count).toBe(2);
    expect(f.title).toBe('EC2 instance i-0b2222222222222bb is communicating with an IP address on a custom threat list.');
    expect(f.description).not.toMatch(/behind network interface/);
    expect(f.service.additionalInfo.instanceSource).toBe('cloudtrail');
    expect(f.service.additionalInfo.instanceResolution).toMatch(
      /^cloudtrail: RunInstances at 2021-03-08T17:00:00.000Z \(event 1f000000-0000-4000-8000-000000000001\): eni-0a1111111111111aa attached to i-0b2222222222222bb$/,
    );
    expect(JSON.parse(f.service.additionalInfo.value as string).instanceSource).toBe('cloudtrail');
    // What RunInstances said about the interface fills in what a version-2 record does not carry.
    expect(f.resource.instanceDetails?.networkInterfaces).toEqual([
      {
        networkInterfaceId: 'eni-0a1111111111111aa',
        privateIpAddress: '10.0.1.15',
        privateDnsName: 'ip-10-0-1-15.us-west-2.compute.internal',
        privateIpAddresses: [{ privateIpAddress: '10.0.1.15', privateDnsName: 'ip-10-0-1-15.us-west-2.compute.internal' }],
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetId: 'subnet-0a1b2c3d4e5f60718',
        securityGroups: [{ groupId: 'sg-0a1b2c3d4e5f60718', groupName: 'web' }],
      },
    ]);
    expect(flowFirst.stats.engine.interfaces).toMatchObject({ interfaces: 2, resolved: 3 });
  });

  it('the finding id does not depend on the resolution: with or without the CloudTrail file, the same id', async () => {
    const without = byConnection((await detect([FLOWS])).findings);
    const withTrail = byConnection((await detect([FLOWS, RUN_INSTANCES])).findings);
    const a = get(without, 'eni-0a1111111111111aa -> 198.51.100.23');
    const b = get(withTrail, 'eni-0a1111111111111aa -> 198.51.100.23');
    expect(a.id).toBe(b.id);
    expect(a.resource.instanceDetails?.instanceId).toBe('');
    expect(b.resource.instanceDetails?.instanceId).toBe('i-0b2222222222222bb');
  });

  it('precedence: the record instance-id, then the inventory, then CloudTrail; the finding says which', async () => {
    const inventory = { settings: { interfaces: { 'eni-0a1111111111111aa': 'i-0123456789abcdef0' } } };
    const findings = byConnection((await detect([V3_FLOWS, V2_FLOWS, RUN_INSTANCES, ATTACH_DETACH], inventory)).findings);
    const fromInventory = get(findings, 'eni-0a1111111111111aa -> 198.51.100.23');
    expect(fromInventory.resource.instanceDetails?.instanceId).toBe('i-0123456789abcdef0');
    expect(fromInventory.service.additionalInfo.instanceSource).toBe('inventory');
    expect(fromInventory.service.additionalInfo.instanceResolution).toBeUndefined();
    // CloudTrail's description of the interface still fills in its details.
    expect(iface(fromInventory).vpcId).toBe('vpc-0a1b2c3d4e5f60718');
    const fromRecord = get(findings, 'eni-0a1111111111111aa -> 198.51.100.40');
    expect(fromRecord.resource.instanceDetails?.instanceId).toBe('i-0fedcba9876543210');
    expect(fromRecord.service.additionalInfo.instanceSource).toBe('flow-record');
    expect(fromRecord.title).toBe('EC2 instance i-0fedcba9876543210 is communicating with an IP address on a custom threat list.');
  });

  it('says so when the instance could not be resolved (no event, a failed call only)', async () => {
    const findings = byConnection((await detect([FLOWS, RUN_INSTANCES, ATTACH_DETACH])).findings);
    const f = get(findings, 'eni-0c3333333333333cc -> 198.51.100.23');
    expect(f.resource.instanceDetails?.instanceId).toBe('');
    expect(f.service.additionalInfo.instanceSource).toBeUndefined();
    expect(f.service.additionalInfo.instanceResolution).toBe(
      'unresolved: the flow record has no instance-id, detectors.interfaces has no entry for eni-0c3333333333333cc, and no CloudTrail event seen names eni-0c3333333333333cc (RunInstances, CreateNetworkInterface, AttachNetworkInterface)',
    );
    expect(f.title).toBe('The EC2 instance behind network interface eni-0c3333333333333cc is communicating with an IP address on a custom threat list.');
  });

  it('attach and detach: each flow gets the instance attached at its time, none while detached (detach logged first)', async () => {
    const findings = byConnection((await detect([FLOWS, ATTACH_DETACH])).findings);
    expect(get(findings, 'eni-0e5555555555555ee -> 198.51.100.31').resource.instanceDetails?.instanceId).toBe('i-0f6666666666666ff');
    expect(get(findings, 'eni-0e5555555555555ee -> 198.51.100.33').resource.instanceDetails?.instanceId).toBe('i-0b8888888888888bb');
    const detached = get(findings, 'eni-0e5555555555555ee -> 198.51.100.32');
    expect(detached.resource.instanceDetails?.instanceId).toBe('');
    expect(detached.service.additionalInfo.instanceResolution).toMatch(
      /^unresolved: .* eni-0e5555555555555ee was detached \(DetachNetworkInterface at 2021-03-08T17:40:00.000Z\); its description: spare interface$/,
    );
    // CreateNetworkInterface described the interface.
    expect(iface(detached).subnetId).toBe('subnet-0a1b2c3d4e5f60718');
  });
});

describe('the learned interfaces persist in the database', () => {
  it('detect --db: a second run with only the flow file still resolves', async () => {
    const db = join(tempDir(), 'th.db');
    const first = new FindingStore(db);
    const r1 = await detect([RUN_INSTANCES, ATTACH_DETACH], { store: first });
    expect(byConnection(r1.findings).size).toBe(0);
    first.close();
    const second = new FindingStore(db);
    const r2 = await detect([V2_FLOWS], { store: second });
    const findings = byConnection(r2.findings);
    expect(get(findings, 'eni-0a1111111111111aa -> 198.51.100.23').resource.instanceDetails?.instanceId).toBe('i-0b2222222222222bb');
    expect(get(findings, 'eni-0e5555555555555ee -> 198.51.100.33').resource.instanceDetails?.instanceId).toBe('i-0b8888888888888bb');
    expect(get(findings, 'eni-0e5555555555555ee -> 198.51.100.32').resource.instanceDetails?.instanceId).toBe('');
    // The same as one run over everything.
    const once = await detect([V2_FLOWS, RUN_INSTANCES, ATTACH_DETACH]);
    const strip = (fs: Finding[]) => fs.filter((f) => f.type === TYPE).map((f) => ({ ...f, createdAt: '', updatedAt: '' }));
    expect(strip(r2.findings)).toEqual(strip(once.findings));
    second.close();
  });

  it('a failed run keeps nothing it learned (the facts are in the run transaction)', async () => {
    const db = join(tempDir(), 'th.db');
    const store = new FindingStore(db);
    const exploding = {
      meta: {
        id: 'exploding',
        findingType: 'Test:IAMUser/Exploding',
        severity: 2,
        dataSource: 'CloudTrail management events' as const,
        summary: 'x',
        aggregation: 'x',
        eventNames: ['DetachNetworkInterface'],
      },
      evaluate: () => {
        throw new Error('boom');
      },
      cases: [],
    };
    const { runDetect } = await import('../src/pipeline/detect.js');
    await expect(
      runDetect({
        paths: [RUN_INSTANCES, ATTACH_DETACH],
        ctx: await testContext(THREATS),
        clock: fixedClock('2026-01-01T00:00:00Z'),
        store,
        detectors: [exploding],
      }),
    ).rejects.toThrow(/boom/);
    expect(store.interfaceFacts()).toEqual([]);
    store.close();
  });

  it('serve: a flow before its CloudTrail event stays unresolved until a later update; a restart keeps the map', async () => {
    const db = join(tempDir(), 'th.db');
    const ctx = await testContext(THREATS);
    const item = (key: string, path: string, text = readFileSync(path, 'utf8')): IngestItem => ({
      source: 'test',
      key,
      version: '1',
      modifiedAt: 0,
      doc: { path, text, bytesRead: text.length, bytes: text.length, gzip: false },
    });
    const open = () => {
      const store = new FindingStore(db);
      return { store, ingestor: new Ingestor(store, ctx, fixedClock('2026-01-01T00:00:00Z'), new CheckpointStore(store.db)) };
    };
    const lines = readFileSync(V2_FLOWS, 'utf8').trim().split('\n');
    const eni = (l: string) => l.includes('eni-0a1111111111111aa');
    const [early, late] = [lines.filter(eni).slice(0, 1), lines.filter(eni).slice(1)];
    const flowPath = (name: string) => join(FLOW_DIR, name);

    const a = open();
    a.ingestor.ingest([item('flow-1', flowPath('early.log'), `${early.join('\n')}\n`)]);
    const key = 'eni-0a1111111111111aa -> 198.51.100.23';
    const before = get(byConnection(a.store.findings()), key);
    expect(before.resource.instanceDetails?.instanceId).toBe('');
    a.ingestor.ingest([item('trail', RUN_INSTANCES)]);
    // The CloudTrail batch alone does not rewrite the stored finding.
    expect(get(byConnection(a.store.findings()), key).resource.instanceDetails?.instanceId).toBe('');
    a.ingestor.ingest([item('flow-2', flowPath('late.log'), `${late.join('\n')}\n`)]);
    const after = get(byConnection(a.store.findings()), key);
    expect(after.id).toBe(before.id);
    expect(after.service.count).toBe(2);
    expect(after.resource.instanceDetails?.instanceId).toBe('i-0b2222222222222bb');
    a.store.close();

    // Restart: a new engine on the same file resolves a new flow of the interface from the kept facts.
    const b = open();
    expect(b.ingestor.engine.interfaces.stats().interfaces).toBe(1);
    const t = Date.parse('2021-03-08T18:10:00Z') / 1000;
    b.ingestor.ingest([
      item('flow-3', flowPath('restart.log'), `2 111122223333 eni-0a1111111111111aa 10.0.1.15 198.51.100.31 49170 443 6 10 840 ${t} ${t + 60} ACCEPT OK\n`),
    ]);
    const restarted = get(byConnection(b.store.findings()), 'eni-0a1111111111111aa -> 198.51.100.31');
    expect(restarted.resource.instanceDetails?.instanceId).toBe('i-0b2222222222222bb');
    b.store.close();
  });

  it('upgrades a version-4 database: the interface_facts table is added, findings kept', async () => {
    const path = join(tempDir(), 'v4.db');
    const s = new FindingStore(path);
    await detect([V2_FLOWS], { store: s });
    const count = s.findings().length;
    s.close();
    const raw = new Database(path);
    raw.exec(`DROP TABLE interface_facts; UPDATE meta SET value = '4' WHERE key = 'schema_version'`);
    raw.close();
    const upgraded = new FindingStore(path);
    expect((upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('5');
    expect(upgraded.findings()).toHaveLength(count);
    expect(upgraded.interfaceFacts()).toEqual([]);
    await detect([RUN_INSTANCES], { store: upgraded });
    expect(upgraded.interfaceFacts().map((f) => [f.interfaceId, f.instanceId])).toEqual([['eni-0a1111111111111aa', 'i-0b2222222222222bb']]);
    upgraded.close();
  });
});
