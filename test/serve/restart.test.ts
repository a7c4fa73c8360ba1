import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenSha256 } from '../../src/api/passwords.js';
import type { Finding } from '../../src/core/finding.js';
import { localHttpServer, tempDir } from '../helpers.js';
import { startTestServe, type TestServe, WORKSHOP } from '../serve-helpers.js';

/**
 * Restarting `serve` in the middle of a folder of logs loses nothing and doubles nothing: the findings' counts, the
 * event history and the notifications after an interrupted run plus a restart equal those of the logs' known content.
 */

const FILES = 60;
const PER_FILE = 20;
const THREAT_IP = '203.0.113.10'; // in examples/workshop/threat-list.txt
const USERS = ['user-0', 'user-1', 'user-2', 'user-3', 'user-4'];

interface Expected {
  /** Threat-listed calls per user: each user's finding count. */
  perUser: Map<string, number>;
  events: number;
}

/**
 * Writes FILES CloudTrail files in the S3 layout: every event unique; a third from the threat-listed address (one
 * finding per user, count = that user's calls), the rest from a benign one. The last ten files add `user-late`,
 * whose finding is created after any restart.
 */
function writeLogs(root: string): Expected {
  const dir = join(root, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2026', '11', '20');
  mkdirSync(dir, { recursive: true });
  const perUser = new Map<string, number>();
  let events = 0;
  for (let f = 0; f < FILES; f++) {
    const records = [];
    for (let i = 0; i < PER_FILE; i++) {
      const n = f * PER_FILE + i;
      const user = f >= FILES - 10 && i % 2 === 0 ? 'user-late' : (USERS[n % USERS.length] as string);
      const threat = n % 3 === 0 || user === 'user-late';
      if (threat) perUser.set(user, (perUser.get(user) ?? 0) + 1);
      records.push(event(n, user, threat ? THREAT_IP : '198.18.0.1'));
      events++;
    }
    const minute = String(f % 60).padStart(2, '0');
    writeFileSync(
      join(dir, `111122223333_CloudTrail_us-east-1_20261120T10${minute}Z_${String(f).padStart(8, '0')}.json.gz`),
      gzipSync(JSON.stringify({ Records: records })),
    );
  }
  return { perUser, events };
}

function event(n: number, user: string, ip: string) {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${user.toUpperCase().replace(/-/g, '')}`,
      arn: `arn:aws:iam::111122223333:user/${user}`,
      accountId: '111122223333',
      accessKeyId: `AKIA${user.toUpperCase().replace(/-/g, '').padEnd(16, 'X')}`,
      userName: user,
    },
    eventTime: new Date(Date.UTC(2026, 10, 20, 10, 0, 0) + n * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${n}`,
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
  };
}

function countsByUser(findings: Finding[]): Map<string, number> {
  return new Map(findings.map((f) => [f.resource.accessKeyDetails?.userName as string, f.service.count]));
}

async function findings(s: TestServe): Promise<Finding[]> {
  const r = await s.api('/api/v1/findings?limit=1000&archived=all');
  return ((await r.json()) as { findings: Finding[] }).findings;
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

describe('serve restarted in the middle of a folder', () => {
  it('after a graceful stop part-way, the restart reads the rest: counts, history and notifications are exact', async () => {
    const dir = tempDir();
    const expected = writeLogs(join(dir, 'logs'));
    const hooks: string[] = [];
    const hook = await localHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        hooks.push((JSON.parse(body) as { detail: { id: string } }).detail.id);
        res.end('ok');
      });
    });
    open.push(hook);
    const config = {
      targets: { hook: { type: 'webhook', url: `${hook.base}/hook` } },
      rules: [{ name: 'all-findings', eventPattern: { source: ['aws.guardduty'] }, targets: [{ id: 'hook', target: 'hook' }] }],
    };
    let batches = 0;
    let first: TestServe | undefined;
    let stopAsked = false;
    first = await startTestServe({
      dir,
      copyLogs: false,
      config,
      serve: { batchObjects: 1 },
      options: {
        onBatch: () => {
          batches++;
          if (batches === 10 && first) {
            stopAsked = true;
            void first.close();
          }
        },
      },
    });
    while (!stopAsked) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    const doneAtStop = doneObjects(first.db);
    expect(doneAtStop).toBeGreaterThanOrEqual(10);
    expect(doneAtStop).toBeLessThan(FILES); // really stopped part-way

    const second = await startTestServe({ dir, copyLogs: false, config });
    open.push(second);
    await second.idle();
    expect(doneObjects(second.db)).toBe(FILES);
    const all = await findings(second);
    expect(countsByUser(all)).toEqual(expected.perUser);
    expect(eventRows(second.db)).toBe(expected.events);
    // Every finding announced exactly once across both runs.
    expect([...hooks].sort()).toEqual(all.map((f) => f.id).sort());
  });

  it('after the process is killed (SIGKILL) mid-way, a restart makes the counts exact', async () => {
    const dir = tempDir();
    const expected = writeLogs(join(dir, 'logs'));
    const token = 'th_restart-test-token-0123456789abcdef';
    const db = join(dir, 'trailhound.db');
    const configPath = join(dir, 'serve.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        threatLists: [{ name: 'Example-Threat-List', path: join(WORKSHOP, 'threat-list.txt') }],
        db,
        serve: {
          port: 0,
          batchObjects: 1,
          tokens: [{ name: 'ci', role: 'viewer', sha256: tokenSha256(token) }],
          sources: [{ type: 'folder', name: 'logs', paths: [join(dir, 'logs')], intervalSeconds: 0.1, settleMs: 0 }],
        },
      }),
    );
    const child = serveProcess(configPath);
    // Kill it as soon as some objects are committed (wherever it is then: mid-transaction, between batches).
    const deadline = Date.now() + 30_000;
    let done = 0;
    while (done < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
      done = doneObjects(db);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const killedAt = doneObjects(db);
    expect(killedAt).toBeGreaterThanOrEqual(5);
    expect(killedAt).toBeLessThan(FILES);

    const again = serveProcess(configPath, ['--once']);
    const code = await new Promise((r) => again.once('exit', r));
    expect(code).toBe(0);
    expect(doneObjects(db)).toBe(FILES);
    expect(eventRows(db)).toBe(expected.events);
    const conn = new Database(db, { readonly: true });
    try {
      const rows = conn.prepare('SELECT body, count FROM findings').all() as Array<{ body: string; count: number }>;
      const perUser = new Map(rows.map((r) => [(JSON.parse(r.body) as Finding).resource.accessKeyDetails?.userName as string, r.count]));
      expect(perUser).toEqual(expected.perUser);
    } finally {
      conn.close();
    }
  });
});

function serveProcess(configPath: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, ['bin/trailhound.js', 'serve', '--config', configPath, ...extra], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: 'ignore',
  });
}

function doneObjects(db: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare('SELECT count(*) AS n FROM source_objects').get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

function eventRows(db: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return (conn.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    conn.close();
  }
}
