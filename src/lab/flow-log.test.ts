import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flowLogPathHint, parseFlowLogDocument } from '../parsers/vpc-flow.js';
import { DEFAULT_FLOW_FORMAT, FlowLogWriter, flowLogIdFor, flowLogObjectKey, toFlowLogLine, WITH_INSTANCE_FLOW_FORMAT } from './flow-log.js';
import { LabLogError } from './log-delivery.js';
import type { LabFlow } from './types.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const START = new Date('2026-03-04T05:06:07.800Z');
const END = new Date('2026-03-04T05:07:01.200Z');

function flow(over: Partial<LabFlow> = {}): LabFlow {
  return {
    start: START,
    end: END,
    accountId: ACCOUNT,
    region: REGION,
    interfaceId: 'eni-0a1b2c3d4e5f60718',
    instanceId: 'i-0abc1234def567890',
    vpcId: 'vpc-0123456789abcdef0',
    subnetId: 'subnet-0123456789abcdef0',
    srcAddr: '10.0.1.25',
    dstAddr: '198.51.100.23',
    srcPort: 49152,
    dstPort: 443,
    protocol: 6,
    packets: 12,
    bytes: 3400,
    action: 'ACCEPT',
    ...over,
  };
}

let dir: string;
let bucket: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'th-flow-'));
  bucket = join(dir, 'flow-bucket');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

function read(key: string): string {
  const body = readFileSync(join(bucket, ...key.split('/')));
  expect(body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  return gunzipSync(body).toString('utf8');
}

const KEY =
  /^AWSLogs\/(\d{12})\/vpcflowlogs\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-f]{17})_(\d{8})T(\d{4})Z_([0-9a-f]{8})\.log\.gz$/;

describe('FlowLogWriter', () => {
  it("writes S3 delivery's layout and name, gzip, the default format's header line first", async () => {
    const delivery = new Date('2026-03-04T05:10:42Z');
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0, clock: () => delivery });
    w.record(flow());
    w.record(flow({ srcAddr: '198.51.100.23', dstAddr: '10.0.1.25', srcPort: 443, dstPort: 49152, action: 'REJECT' }));
    const keys = await w.flush();
    expect(keys).toHaveLength(1);
    expect(await listFiles(bucket)).toEqual(keys);
    const m = KEY.exec(keys[0] as string) as RegExpExecArray;
    expect(m).not.toBeNull();
    expect([m[1], m[2], `${m[3]}${m[4]}${m[5]}`, m[6], m[7], m[8], m[9], m[10]]).toEqual([
      ACCOUNT,
      REGION,
      '20260304',
      ACCOUNT,
      REGION,
      w.flowLogId,
      '20260304',
      '0510',
    ]);
    const lines = read(keys[0] as string).split('\n');
    expect(lines).toEqual([
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 10.0.1.25 198.51.100.23 49152 443 6 12 3400 1772600767 1772600821 ACCEPT OK`,
      `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 198.51.100.23 10.0.1.25 443 49152 6 12 3400 1772600767 1772600821 REJECT OK`,
      '',
    ]);
    expect(w.written).toBe(2);
  });

  it('with-instance writes a custom format (version 3 fields) with its header', async () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0, format: 'with-instance' });
    w.record(flow());
    w.record(flow({ instanceId: undefined, vpcId: undefined, subnetId: undefined }));
    const [key] = await w.flush();
    const lines = read(key as string)
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe(WITH_INSTANCE_FLOW_FORMAT.join(' '));
    expect(lines[0]).toContain('vpc-id subnet-id instance-id');
    expect(lines[1]).toBe(
      `3 ${ACCOUNT} eni-0a1b2c3d4e5f60718 10.0.1.25 198.51.100.23 49152 443 6 12 3400 1772600767 1772600821 ACCEPT OK vpc-0123456789abcdef0 subnet-0123456789abcdef0 i-0abc1234def567890 IPv4 10.0.1.25 198.51.100.23`,
    );
    expect(lines[2]?.split(' ').slice(14, 17)).toEqual(['-', '-', '-']);
  });

  it("every file parses with Trailhound's flow-log parser, IPv6 and ICMP included", async () => {
    for (const format of ['default', 'with-instance'] as const) {
      const b = join(dir, format);
      const w = new FlowLogWriter({ bucketDir: b, accountId: ACCOUNT, region: REGION, flushMs: 0, format });
      const flows = [
        flow(),
        flow({ srcAddr: '2001:db8:1234:a100::25', dstAddr: '2001:db8:ffff::23', srcPort: 50000, dstPort: 22 }),
        flow({ protocol: 1, srcPort: 8, dstPort: 0, dstAddr: '203.0.113.9', packets: 4, bytes: 336 }),
        flow({ protocol: 58, srcAddr: '2001:db8::1', dstAddr: '2001:db8::2', srcPort: 128, dstPort: 0 }),
        flow({ protocol: 17, dstPort: 53, dstAddr: '10.0.0.2', action: 'REJECT' }),
      ];
      for (const f of flows) w.record(f);
      const keys = await w.flush();
      expect(keys).toHaveLength(1);
      const key = keys[0] as string;
      const text = gunzipSync(readFileSync(join(b, key))).toString('utf8');
      const hint = flowLogPathHint(key);
      expect(hint).toEqual({ account: ACCOUNT, region: REGION });
      const parsed = parseFlowLogDocument(text, key, hint);
      expect(parsed.errors).toEqual([]);
      expect(parsed.records).toHaveLength(flows.length);
      for (const [i, r] of parsed.records.entries()) {
        const f = flows[i] as LabFlow;
        const icmp = f.protocol === 1 || f.protocol === 58;
        expect(r).toMatchObject({
          version: format === 'default' ? 2 : 3,
          account: ACCOUNT,
          region: REGION,
          interfaceId: f.interfaceId,
          srcText: f.srcAddr,
          dstText: f.dstAddr,
          srcport: icmp ? 0 : f.srcPort,
          dstport: icmp ? 0 : f.dstPort,
          protocol: f.protocol,
          packets: f.packets,
          bytes: f.bytes,
          action: f.action,
          start: Math.floor(START.getTime() / 1000) * 1000,
          end: Math.floor(END.getTime() / 1000) * 1000,
        });
        expect(r.srcaddr?.v).toBe(f.srcAddr.includes(':') ? 6 : 4);
        if (format === 'with-instance') {
          expect(r).toMatchObject({ instanceId: f.instanceId, vpcId: f.vpcId, subnetId: f.subnetId, trafficType: f.srcAddr.includes(':') ? 'IPv6' : 'IPv4' });
        } else {
          expect(r.instanceId).toBeUndefined();
        }
      }
    }
  });

  it('an empty flush writes nothing and creates nothing', async () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    expect(await w.flush()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes beside the bucket first, then renames into it', async () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0, tmpDir: join(dir, 'staging') });
    w.record(flow());
    const keys = await w.flush();
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    expect(await listFiles(bucket)).toEqual(keys);
  });

  it('flushes by itself flushMs after the first record', async () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 30 });
    await new Promise((r) => setTimeout(r, 80));
    expect(await listFiles(bucket)).toEqual([]);
    w.record(flow());
    const deadline = Date.now() + 3000;
    while (w.written === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(w.written).toBe(1);
    expect(await listFiles(bucket)).toHaveLength(1);
    await w.close();
  });

  it('close() flushes; record() afterwards throws', async () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 60_000 });
    w.record(flow());
    await w.close();
    expect(await listFiles(bucket)).toHaveLength(1);
    expect(() => w.record(flow())).toThrow(LabLogError);
  });

  it('uses a stable flow-log id per account and region, or the one given', () => {
    const a = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION });
    expect(a.flowLogId).toBe(flowLogIdFor(ACCOUNT, REGION));
    expect(a.flowLogId).toMatch(/^fl-[0-9a-f]{17}$/);
    expect(flowLogIdFor(ACCOUNT, 'us-east-1')).not.toBe(a.flowLogId);
    expect(new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flowLogId: 'fl-1234abcd' }).flowLogId).toBe('fl-1234abcd');
    expect(() => new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flowLogId: 'flow 1' })).toThrow(/flowLogId/);
    expect(flowLogObjectKey(ACCOUNT, REGION, 'fl-1234abcd', new Date('2018-06-20T16:20:00Z'), 'fe123456')).toBe(
      `AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/2018/06/20/${ACCOUNT}_vpcflowlogs_${REGION}_fl-1234abcd_20180620T1620Z_fe123456.log.gz`,
    );
  });

  it('refuses a flow of another account or region: one writer is one flow log', () => {
    const w = new FlowLogWriter({ bucketDir: bucket, accountId: ACCOUNT, region: REGION, flushMs: 0 });
    expect(() => w.record(flow({ region: 'us-east-1' }))).toThrow(/this flow log is/);
    expect(() => w.record(flow({ accountId: '999999999999' }))).toThrow(LabLogError);
    expect(w.pending).toBe(0);
  });
});

describe('toFlowLogLine', () => {
  it('writes 0 for the ports of ICMP, as AWS does', () => {
    const line = toFlowLogLine(flow({ protocol: 1, srcPort: 8, dstPort: 3 })).split(' ');
    expect(line.slice(5, 8)).toEqual(['0', '0', '1']);
  });

  it('rounds the capture window down to whole seconds', () => {
    const line = toFlowLogLine(flow()).split(' ');
    expect(line.slice(10, 12)).toEqual([String(Math.floor(START.getTime() / 1000)), String(Math.floor(END.getTime() / 1000))]);
  });

  it('has the default format for 14 fields', () => {
    expect(toFlowLogLine(flow()).split(' ')).toHaveLength(DEFAULT_FLOW_FORMAT.length);
    expect(toFlowLogLine(flow(), 'with-instance').split(' ')).toHaveLength(WITH_INSTANCE_FLOW_FORMAT.length);
  });

  it('rejects what a flow log cannot hold, naming the field', () => {
    expect(() => toFlowLogLine(flow({ srcAddr: '10.0.0.300' }))).toThrow(/srcAddr/);
    expect(() => toFlowLogLine(flow({ dstAddr: '2001:db8::1' }))).toThrow(/different IP versions/);
    expect(() => toFlowLogLine(flow({ dstPort: 70000 }))).toThrow(/dstPort/);
    expect(() => toFlowLogLine(flow({ protocol: -1 }))).toThrow(/protocol/);
    expect(() => toFlowLogLine(flow({ packets: 1.5 }))).toThrow(/packets/);
    expect(() => toFlowLogLine(flow({ start: END, end: START }))).toThrow(/start is after end/);
    expect(() => toFlowLogLine(flow({ action: 'DROP' as 'ACCEPT' }))).toThrow(/action/);
    expect(() => toFlowLogLine(flow({ interfaceId: 'eni 1' }))).toThrow(/interfaceId/);
    expect(() => toFlowLogLine(flow({ instanceId: 'i-1 2' }), 'with-instance')).toThrow(/instanceId/);
    expect(() => toFlowLogLine(flow({ start: new Date('x') }))).toThrow(LabLogError);
  });
});
