/**
 * Bad and hostile input, end to end: in-process through `detectPaths`, and through the real CLI
 * (`node bin/trailhound.js`, which runs `dist/`: `npm test` builds first).
 *
 * The log directory holds one good file with a GetParameters call from a threat-listed address, and next to it:
 * a truncated gzip, a non-JSON file, a wrong-shape JSON document, a Panther-style (lower-case keys) record, a file
 * with two 10 MB strings (one in userAgent: rejected; one in requestParameters: fine) and a file with hostile
 * unicode in userAgent, userName and requestParameters (accepted; it must come out escaped on a terminal).
 * The big and binary files are generated here, not committed.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/core/finding.js';
import type { DetectResult } from '../src/pipeline/detect.js';
import { detectPaths, tempDir } from './helpers.js';

const repoRoot = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'bad-input');
const THREATS = join(FIXTURES, 'threats.txt');
const THREAT_ENTRIES = ['203.0.113.66', '203.0.113.99', '198.51.100.0/24'];
const TYPE = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom';
const TEN_MB = 10 * 1024 * 1024;

const hostileRecord = JSON.parse(readFileSync(join(FIXTURES, 'hostile.json'), 'utf8')).Records[0] as {
  userAgent: string;
  userIdentity: { userName: string };
};
const goodRecord = JSON.parse(readFileSync(join(FIXTURES, 'good.json'), 'utf8')).Records[0] as Record<string, unknown>;

/** Where each bad file or record must be reported, and what its reason must say. */
let expectedRejections: Array<{ location: string; reason: RegExp }>;
let logs: string;
let goodOnly: string;
let home: string;

function call(user: string, ip: string, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...goodRecord,
    userIdentity: { ...(goodRecord.userIdentity as object), userName: user, accessKeyId: `AKIAEXAMPLE${user.toUpperCase()}01`.slice(0, 20) },
    sourceIPAddress: ip,
    eventID: id,
    ...extra,
  };
}

beforeAll(() => {
  const root = tempDir();
  home = join(root, 'home');
  mkdirSync(home);
  logs = join(root, 'logs');
  mkdirSync(logs);
  for (const f of ['good.json', 'not-json.json', 'wrong-shape.json', 'panther.json', 'hostile.json']) copyFileSync(join(FIXTURES, f), join(logs, f));

  // A CloudTrail file cut short in the middle of its deflate stream.
  const gz = gzipSync(
    JSON.stringify({ Records: Array.from({ length: 200 }, (_, i) => call('trunc', '203.0.113.66', `d0000000-0000-4000-8000-${String(i).padStart(12, '0')}`)) }),
  );
  writeFileSync(join(logs, 'truncated.json.gz'), gz.subarray(0, Math.floor(gz.length / 2)));

  // Two 10 MB strings: in userAgent (the record is refused) and inside requestParameters (harmless, kept).
  writeFileSync(
    join(logs, 'big-field.json'),
    JSON.stringify({
      Records: [
        call('huge', '203.0.113.66', 'e0000000-0000-4000-8000-000000000001', { userAgent: 'U'.repeat(TEN_MB) }),
        call('carol', '198.51.100.20', 'e0000000-0000-4000-8000-000000000002', { requestParameters: { names: ['P'.repeat(TEN_MB)] } }),
      ],
    }),
  );

  expectedRejections = [
    { location: join(logs, 'big-field.json#0'), reason: new RegExp(`"userAgent" is ${TEN_MB} characters long; the limit is 8192`) },
    { location: join(logs, 'not-json.json'), reason: /not JSON: starts with "<html>/ },
    { location: join(logs, 'panther.json#0'), reason: /keys are lower-case \(eventname/ },
    { location: join(logs, 'truncated.json.gz'), reason: /gzip data is truncated/ },
    { location: join(logs, 'wrong-shape.json'), reason: /"Records" is a.? object, expected an array/ },
  ];

  goodOnly = join(root, 'good-only');
  mkdirSync(goodOnly);
  copyFileSync(join(FIXTURES, 'good.json'), join(goodOnly, 'good.json'));
});

function findingOf(findings: Finding[], user: string): Finding | undefined {
  return findings.find((f) => f.type === TYPE && f.resource.accessKeyDetails?.userName === user);
}

function cli(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['bin/trailhound.js', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TRAILHOUND_HOME: home },
    ...(input !== undefined ? { input } : {}),
  });
}

/** Fails with the whole output when the process crashed rather than exited. */
function expectNoCrash(r: SpawnSyncReturns<string>): void {
  expect(r.error, String(r.error)).toBeUndefined();
  expect(r.signal).toBeNull();
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  expect(r.stderr).not.toMatch(/TypeError|RangeError|ReferenceError|SyntaxError|Unhandled|FATAL|heap out of memory/);
}

describe('in-process (detectPaths)', () => {
  let result: DetectResult;
  beforeAll(async () => {
    result = await detectPaths([logs], { threatList: THREAT_ENTRIES });
  });

  it("still produces the good file's finding", () => {
    const f = findingOf(result.findings, 'bob');
    expect(f).toBeDefined();
    expect(f?.service.action.awsApiCallAction?.api).toBe('GetParameters');
    expect(f?.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4).toBe('203.0.113.66');
  });

  it('keeps the record whose 10 MB string is inside requestParameters', () => {
    expect(findingOf(result.findings, 'carol')?.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4).toBe('198.51.100.20');
  });

  it('keeps the hostile record, its user agent unchanged', () => {
    const f = result.findings.find((x) => x.resource.accessKeyDetails?.accessKeyId === 'AKIAEXAMPLEMALLORY01');
    expect(f?.type).toBe(TYPE);
    expect(f?.service.action.awsApiCallAction?.userAgent).toBe(hostileRecord.userAgent);
    expect(f?.resource.accessKeyDetails?.userName).toBe(hostileRecord.userIdentity.userName);
  });

  it('names every bad file and record with its reason, and nothing else', () => {
    const got = result.rejected.map((r) => ({ location: r.location, reason: r.reason })).sort((a, b) => (a.location < b.location ? -1 : 1));
    expect(got.map((r) => r.location)).toEqual(expectedRejections.map((r) => r.location));
    for (const [i, want] of expectedRejections.entries()) expect(got[i]?.reason).toMatch(want.reason);
    for (const r of result.rejected) expect(r.message).toBe(`${r.location}: ${r.reason}`);
  });

  it('counts rejected files and records apart', () => {
    expect(result.stats.rejectedFiles).toBe(3); // truncated, not JSON, wrong shape
    expect(result.stats.rejectedRecords).toBe(2); // the 10 MB userAgent, the lower-case record
    expect(result.stats.files).toBe(6); // every file that could be read, the truncated gzip excepted
    expect(result.stats.events).toBe(3); // bob, carol, mallory
  });

  it('has nothing to reject in good input', async () => {
    const r = await detectPaths([goodOnly], { threatList: THREAT_ENTRIES });
    expect(r.rejected).toEqual([]);
    expect(findingOf(r.findings, 'bob')).toBeDefined();
  });
});

describe('the CLI (node bin/trailhound.js, built dist/)', () => {
  let json: SpawnSyncReturns<string>;
  beforeAll(() => {
    json = cli(['detect', '--format', 'json', '--threat-list', `evil=${THREATS}`, logs]);
  });

  it('exits 1 when some input was rejected, without crashing', () => {
    expectNoCrash(json);
    expect(json.status, json.stderr).toBe(1);
  });

  it('prints exactly one JSON array on stdout, holding the good finding', () => {
    const findings = JSON.parse(json.stdout) as Finding[];
    expect(Array.isArray(findings)).toBe(true);
    const bob = findingOf(findings, 'bob');
    expect(bob?.service.action.awsApiCallAction?.api).toBe('GetParameters');
    expect(bob?.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4).toBe('203.0.113.66');
    expect(bob?.service.evidence?.threatIntelligenceDetails?.[0]?.threatListName).toBe('evil');
    expect(findingOf(findings, 'carol')).toBeDefined();
    // The hostile user agent survives the trip through JSON exactly, lone surrogates included.
    const mallory = findings.find((x) => x.resource.accessKeyDetails?.accessKeyId === 'AKIAEXAMPLEMALLORY01');
    expect(mallory?.service.action.awsApiCallAction?.userAgent).toBe(hostileRecord.userAgent);
    // Nothing but the array: rejections go to stderr.
    expect(json.stdout.trimStart().startsWith('[')).toBe(true);
    expect(json.stdout.trimEnd().endsWith(']')).toBe(true);
    expect(json.stdout).not.toContain('rejected');
  });

  it('names every bad file and record on stderr, with its reason', () => {
    const lines = json.stderr.split('\n').filter((l) => l.startsWith('trailhound: rejected '));
    expect(lines).toHaveLength(expectedRejections.length);
    for (const want of expectedRejections) {
      const line = lines.find((l) => l.startsWith(`trailhound: rejected ${want.location}: `));
      expect(line, `no stderr line for ${want.location} in:\n${json.stderr}`).toBeDefined();
      expect(line).toMatch(want.reason);
    }
    // The good and the hostile file are not reported.
    expect(json.stderr).not.toContain('good.json');
    expect(json.stderr).not.toContain('hostile.json');
  });

  it('exits 0 with only good input, and prints nothing on stderr', () => {
    const r = cli(['detect', '--format', 'json', '--threat-list', `evil=${THREATS}`, goodOnly]);
    expectNoCrash(r);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const findings = JSON.parse(r.stdout) as Finding[];
    expect(findings).toHaveLength(1);
    expect(findingOf(findings, 'bob')).toBeDefined();
  });

  it('reads standard input with -', () => {
    const r = cli(['detect', '--format', 'json', '--threat-list', `evil=${THREATS}`, '-'], readFileSync(join(FIXTURES, 'good.json'), 'utf8'));
    expectNoCrash(r);
    expect(r.status, r.stderr).toBe(0);
    expect(findingOf(JSON.parse(r.stdout) as Finding[], 'bob')).toBeDefined();
  });

  it('exits 1 and names a missing path, still reading the rest', () => {
    const missing = join(goodOnly, 'no-such-file.json.gz');
    const r = cli(['detect', '--format', 'json', '--threat-list', `evil=${THREATS}`, missing, goodOnly]);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`trailhound: rejected ${missing}: no such file or directory`);
    expect(findingOf(JSON.parse(r.stdout) as Finding[], 'bob')).toBeDefined();
  });

  describe('table format on a non-terminal', () => {
    let table: SpawnSyncReturns<string>;
    let db: string;
    beforeAll(() => {
      db = join(tempDir(), 'th.db');
      table = cli(['detect', '--format', 'table', '--db', db, '--threat-list', `evil=${THREATS}`, logs]);
    });

    it('prints the findings, hostile text escaped: no raw ESC or U+202E', () => {
      expectNoCrash(table);
      expect(table.status, table.stderr).toBe(1);
      expect(table.stdout).toContain(TYPE);
      expect(table.stdout).toContain('bob');
      expect(table.stdout).not.toContain('\u001b');
      expect(table.stdout).not.toContain('\u202e');
      expect(table.stdout).not.toContain('\u0000');
      // The hostile user name is in the RESOURCE column, escaped.
      expect(table.stdout).toContain('mallory\\u{202e}\\u{1b}[1mevil');
    });

    it('reports the rejections and a summary on stderr', () => {
      for (const want of expectedRejections) expect(table.stderr).toContain(`trailhound: rejected ${want.location}: `);
      expect(table.stderr).toContain('3 files and 2 records rejected');
    });

    it("shows the hostile user agent escaped in the principal's event history", () => {
      const r = cli([
        'events',
        '--db',
        db,
        '--principal',
        'AKIAEXAMPLEMALLORY01',
        '--since',
        '2024-01-01T00:00:00Z',
        '--until',
        '2025-01-01T00:00:00Z',
        '--format',
        'table',
      ]);
      expectNoCrash(r);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('GetParameters');
      expect(r.stdout).not.toContain('\u001b');
      expect(r.stdout).not.toContain('\u202e');
      expect(r.stdout).not.toContain('\u200b');
      expect(r.stdout).not.toContain('\u0000');
      expect(r.stdout).toContain('\\u{1b}[31mRED\\u{1b}[0m');
      expect(r.stdout).toContain('\\u{202e}gpj.exe\\u{202c}');
      expect(r.stdout).toContain('\\u{200b}');
    });

    it('keeps the raw user agent in the JSON history', () => {
      const r = cli([
        'events',
        '--db',
        db,
        '--principal',
        'AKIAEXAMPLEMALLORY01',
        '--since',
        '2024-01-01T00:00:00Z',
        '--until',
        '2025-01-01T00:00:00Z',
        '--format',
        'json',
      ]);
      expectNoCrash(r);
      const events = JSON.parse(r.stdout) as Array<{ userAgent: string }>;
      expect(events).toHaveLength(1);
      expect(events[0]?.userAgent).toContain('\u001b[31mRED');
      expect(events[0]?.userAgent).toContain('\u202egpj.exe');
    });
  });

  it('writes no ANSI colour codes to a non-terminal stderr, even with CI or FORCE_COLOR set', () => {
    const r = spawnSync(process.execPath, ['bin/trailhound.js', 'detect', '--format', 'table', '--threat-list', `evil=${THREATS}`, goodOnly], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, TRAILHOUND_HOME: home, CI: 'true', FORCE_COLOR: '1' },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u001b');
  });
});
