import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, main } from '../src/cli/main.js';
import type { Finding } from '../src/core/finding.js';
import { tempDir, tempFile } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const WORKSHOP = join(ROOT, 'examples', 'workshop');

/** Runs the CLI in-process, capturing its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}, isTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTTY,
    env,
  };
  const code = await main(['node', 'trailhound', ...args], io);
  return { code, stdout, stderr };
}

/** Runs the built binary, as a user would (`npm test` builds first). */
function bin(args: string[], input?: string) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'trailhound.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

describe('trailhound CLI', () => {
  it('answers --help through the package bin', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin.trailhound).toBe('bin/trailhound.js');
    const r = bin(['--help']);
    expect(r.status).toBe(0);
    const viaNpx = spawnSync('npx', ['--no-install', 'trailhound', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(viaNpx.status).toBe(0);
    expect(viaNpx.stdout).toContain('Usage: trailhound');
    expect(r.stdout).toContain('detect');
    expect(r.stdout).toContain('events');
  });

  it('detect --format json writes exactly one JSON array to stdout and nothing else', () => {
    const r = bin(['detect', '--format', 'json', '--config', join(WORKSHOP, 'trailhound.yaml'), join(WORKSHOP, 'logs')]);
    expect(r.status).toBe(0);
    const findings = JSON.parse(r.stdout) as Finding[];
    expect(Array.isArray(findings)).toBe(true);
    expect(findings.map((f) => f.type)).toContain('Recon:IAMUser/MaliciousIPCaller.Custom');
    expect(r.stdout.trim().startsWith('[')).toBe(true);
    expect(r.stdout.trim().endsWith(']')).toBe(true);
  });

  it('reads standard input with -', () => {
    const records = {
      Records: [
        {
          eventVersion: '1.08',
          eventTime: '2024-01-01T00:00:00Z',
          eventSource: 'iam.amazonaws.com',
          eventName: 'CreateUser',
          awsRegion: 'us-east-1',
          sourceIPAddress: '203.0.113.10',
          eventID: 'x1',
          userIdentity: { type: 'IAMUser', userName: 'u', accessKeyId: 'AKIA1', arn: 'arn:aws:iam::111122223333:user/u', accountId: '111122223333' },
        },
      ],
    };
    const r = bin(['detect', '--format', 'json', '--threat-list', `Bad=${join(WORKSHOP, 'threat-list.txt')}`, '-'], JSON.stringify(records));
    expect(r.status).toBe(0);
    const [f] = JSON.parse(r.stdout) as Finding[];
    expect(f?.type).toBe('UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
    expect(f?.service.evidence?.threatIntelligenceDetails[0]?.threatListName).toBe('Bad');
  });

  it('the list name defaults to the file base name', async () => {
    const list = tempFile('my-intel.txt', '203.0.113.10\n');
    const r = await cli(['detect', '--format', 'json', '--threat-list', list, join(WORKSHOP, 'logs')]);
    const f = (JSON.parse(r.stdout) as Finding[]).find((x) => x.type === 'Recon:IAMUser/MaliciousIPCaller.Custom');
    expect(f?.service.evidence?.threatIntelligenceDetails[0]?.threatListName).toBe('my-intel');
  });

  it('table output on a non-terminal has no colour codes and prints a summary on stderr', async () => {
    const r = await cli(['detect', '--config', join(WORKSHOP, 'trailhound.yaml'), join(WORKSHOP, 'logs')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SEVERITY');
    expect(r.stdout).toContain('Recon:IAMUser/MaliciousIPCaller.Custom');
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toMatch(/247 events \(10 duplicates skipped\), 7 findings, of which 123 VPC flow records \(3 NODATA, 0 SKIPDATA not counted\)/);
    expect(r.stderr).toContain('2026-08-22');
  });

  it('on a terminal: severity colours in the table, progress (files, events, events/s) on stderr', async () => {
    const r = await cli(['detect', '--config', join(WORKSHOP, 'trailhound.yaml'), join(WORKSHOP, 'logs')], {}, true);
    expect(r.stderr).toMatch(/files 24\/24 {2}events 247 {2}\d+ events\/s/);
    expect(r.stdout).toContain('\u001b[');
  });

  it('an invalid threat-list line stops the run with file:line and exit 2', async () => {
    const list = tempFile('bad.txt', '# ok\n203.0.113.10\nnot-an-ip\n10.0.0.0/33\n');
    const r = await cli(['detect', '--threat-list', list, join(WORKSHOP, 'logs')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${list}:3: not an IPv4 or IPv6 address`);
    expect(r.stderr).toContain(`${list}:4: prefix length /33 out of range`);
    expect(r.stdout).toBe('');
  });

  it('a bad config file lists every error with its path, exit 2', async () => {
    const config = tempFile(
      'c.yaml',
      'threatLists: 5\nbogus: true\ndetectors:\n  accounts:\n    - id: "12"\n      egressAddresses: ["1.2.3.999"]\n  maxTrackedInstances: -1\n',
    );
    const r = await cli(['detect', '--config', config, join(WORKSHOP, 'logs')]);
    expect(r.code).toBe(2);
    for (const path of ['threatLists', '(root)', 'detectors.accounts.0.id', 'detectors.accounts.0.egressAddresses.0', 'detectors.maxTrackedInstances'])
      expect(r.stderr).toContain(path);
    expect(r.stderr).toContain('bogus');
  });

  it('findings and events read what detect --db stored', async () => {
    const db = join(tempDir(), 'th.db');
    expect((await cli(['detect', '--db', db, '--config', join(WORKSHOP, 'trailhound.yaml'), join(WORKSHOP, 'logs')])).code).toBe(0);

    const all = JSON.parse((await cli(['findings', '--db', db, '--format', 'json'])).stdout) as Finding[];
    expect(all).toHaveLength(7);
    const high = JSON.parse((await cli(['findings', '--db', db, '--format', 'json', '--min-severity', 'high'])).stdout) as Finding[];
    expect(high.every((f) => f.severity >= 7)).toBe(true);
    expect(high).toHaveLength(2);
    const typed = JSON.parse((await cli(['findings', '--db', db, '--format', 'json', '--type', 'Stealth:S3/ServerAccessLoggingDisabled'])).stdout) as Finding[];
    expect(typed.map((f) => f.type)).toEqual(['Stealth:S3/ServerAccessLoggingDisabled']);
    expect((await cli(['findings', '--db', db, '--min-severity', 'urgent'])).code).toBe(2);

    // "What else did this user do in the last hour?" (relative to --until, for historical logs)
    const user = 'GuardDuty-Example-Compromised-Simulated';
    const byUser = JSON.parse(
      (await cli(['events', '--db', db, '--principal', user, '--until', '2021-03-08T18:30:00Z', '--since', '1h', '--format', 'json'])).stdout,
    );
    expect(byUser).toHaveLength(70);
    expect(new Set(byUser.map((e: { api: string }) => e.api))).toEqual(
      new Set(['GetUser', 'CreateUser', 'ListTables', 'ListBuckets', 'DescribeParameters', 'GetParameters', 'ListObjects']),
    );
    expect(byUser[0]).toMatchObject({ sourceAddress: '203.0.113.10', accessKeyId: 'AKIAEXAMPLESIMUSER01' });
    const byKey = JSON.parse(
      (
        await cli([
          'events',
          '--db',
          db,
          '--principal',
          'AKIAEXAMPLESIMUSER01',
          '--since',
          '2021-03-08T18:00:00Z',
          '--until',
          '2021-03-08T18:05:00Z',
          '--format',
          'json',
        ])
      ).stdout,
    );
    expect(byKey.length).toBeGreaterThan(0);
    expect(byKey.length).toBeLessThan(70);
    const byRole = JSON.parse(
      (
        await cli([
          'events',
          '--db',
          db,
          '--principal',
          'GuardDuty-Example-EC2-Compromised',
          '--until',
          '2021-03-08T19:00:00Z',
          '--since',
          '1d',
          '--format',
          'json',
        ])
      ).stdout,
    );
    expect(byRole.filter((e: { sourceAddress: string }) => e.sourceAddress === '198.51.100.23')).toHaveLength(8);
    expect(byRole.filter((e: { sourceAddress: string }) => e.sourceAddress === '54.214.10.20')).toHaveLength(6);
    const byArn = JSON.parse(
      (await cli(['events', '--db', db, '--principal', `arn:aws:iam::111122223333:user/${user}`, '--until', '2021-03-09T00:00:00Z', '--format', 'json']))
        .stdout,
    );
    expect(byArn).toHaveLength(70);
    const table = await cli(['events', '--db', db, '--principal', user, '--until', '2021-03-09T00:00:00Z']);
    expect(table.stdout).toContain('AccessDenied');
    expect((await cli(['events', '--db', db, '--principal', user, '--since', 'yesterday'])).code).toBe(2);
  });

  it('lists detectors with their metadata', async () => {
    const r = await cli(['detectors', '--format', 'json']);
    const metas = JSON.parse(r.stdout) as Array<{ findingType: string; aggregation: string }>;
    expect(metas.map((m) => m.findingType)).toContain('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(metas.every((m) => m.aggregation.length > 0)).toBe(true);
  });

  it('intel show names the ranges date; update-aws-ranges installs a newer copy that detect then uses', async () => {
    const home = tempDir();
    const shown = await cli(['intel', 'show'], { TRAILHOUND_HOME: home });
    expect(shown.stdout).toContain('2026-08-22-21-17-05');
    expect(shown.stdout).toContain('(bundled)');
    // The address databases, with their licence and the attribution it asks for.
    expect(shown.stdout).toMatch(/Address database \(asn\): .*CC BY 4\.0.*db-ip\.com/);
    const newer = JSON.parse(readFileSync(join(ROOT, 'data', 'aws-ip-ranges.json'), 'utf8'));
    newer.createDate = '2026-11-01-00-00-00';
    const src = tempFile('ip-ranges.json', JSON.stringify(newer));
    const up = await cli(['intel', 'update-aws-ranges', '--from', src], { TRAILHOUND_HOME: home });
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('2026-11-01-00-00-00');
    expect((await cli(['intel', 'show'], { TRAILHOUND_HOME: home })).stdout).toContain(join(home, 'aws-ip-ranges.json'));
    writeFileSync(src, '{"prefixes": 1}');
    const bad = await cli(['intel', 'update-aws-ranges', '--from', src], { TRAILHOUND_HOME: home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not an AWS ip-ranges.json document');
  });
});

describe('trailhound events test-pattern (the contract other tools depend on)', () => {
  const ICE_RULE = '{"source":["aws.guardduty"],"detail":{"type":[{"prefix":"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration"}]}}';
  const event = (type: string) => JSON.stringify({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: { type } });

  it('prints true or false and exits 0', () => {
    const yes = bin([
      'events',
      'test-pattern',
      '--pattern',
      ICE_RULE,
      '--event',
      event('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'),
    ]);
    expect([yes.status, yes.stdout]).toEqual([0, 'true\n']);
    const no = bin(['events', 'test-pattern', '--pattern', ICE_RULE, '--event', event('Recon:IAMUser/MaliciousIPCaller.Custom')]);
    expect([no.status, no.stdout]).toEqual([0, 'false\n']);
  });

  it('reads @FILE arguments', () => {
    const p = tempFile('p.json', ICE_RULE);
    const e = tempFile('e.json', event('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'));
    const r = bin(['events', 'test-pattern', '--pattern', `@${p}`, '--event', `@${e}`]);
    expect([r.status, r.stdout]).toEqual([0, 'true\n']);
  });

  it('an invalid pattern exits 2 with AWS exception text on stderr', () => {
    const r = bin(['events', 'test-pattern', '--pattern', '{"detail":{"type":[{"prefix":5}]}}', '--event', event('x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^InvalidEventPatternException: Event pattern is not valid\. Reason: /);
    expect(r.stdout).toBe('');
  });

  it('--cases FILE.jsonl writes one verdict line per input line, in order', () => {
    const cases = tempFile(
      'cases.jsonl',
      [
        JSON.stringify({ pattern: { a: ['1'] }, event: { a: '1' } }),
        JSON.stringify({ raw_pattern: '{"n":[1.0]}', raw_event: '{"n":1}' }),
        JSON.stringify({ pattern: { a: [{ prefix: 1 }] }, event: { a: 'x' } }),
        JSON.stringify({ pattern: { a: ['1'] }, event: { a: '2' } }),
      ].join('\n'),
    );
    const r = bin(['events', 'test-pattern', '--cases', cases]);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({ match: true });
    expect(lines[1]).toEqual({ match: true });
    expect(lines[2]?.error).toMatch(/Event pattern is not valid/);
    expect(lines[3]).toEqual({ match: false });
  });
});

describe('configuration of rules and targets', () => {
  it('reports every problem with its path before anything runs', async () => {
    const config = tempFile(
      'c.yaml',
      [
        'targets:',
        '  mail: { type: email, host: localhost, from: a@example.com, to: [], bogus: 1 }',
        '  pager: { type: carrier-pigeon }',
        'rules:',
        '  - name: bad-pattern',
        '    eventPattern: { source: aws.guardduty }',
        '    targets: [{ id: t1, target: nowhere }]',
        '  - name: two-inputs',
        '    eventPattern: { source: [aws.guardduty] }',
        '    targets: [{ id: t1, target: mail, input: "x", inputPath: "$.detail" }]',
        '  - name: same-target-twice',
        '    eventPattern: { source: [aws.guardduty] }',
        '    targets: [{ id: t1, target: mail }, { id: t2, target: mail, input: "x" }]',
        '  - name: bad-template',
        '    eventPattern: { source: [aws.guardduty] }',
        '    targets: [{ id: t1, target: mail, inputTransformer: { inputPathsMap: { a: $.detail }, inputTemplate: "<b>" } }]',
      ].join('\n'),
    );
    const r = await cli(['detect', '--config', config, join(WORKSHOP, 'logs')]);
    expect(r.code).toBe(2);
    for (const want of [
      'targets.mail.to',
      'targets.mail',
      'bogus',
      'targets.pager.type',
      'rules.0.eventPattern: Event pattern is not valid. Reason:',
      'rules.0.targets.0.target: no target named "nowhere"',
      'rules.1.targets.0',
      'give at most one of input, inputPath and inputTransformer',
      'rules.2.targets.1.target: this rule already sends to "mail"',
      'rules.3.targets.0',
    ])
      expect(r.stderr).toContain(want);
  });
});

describe('detect with rules', () => {
  it('without a database, deliveries it could not make are reported and the exit status is 1', async () => {
    const config = tempFile(
      'c.yaml',
      [
        `threatLists: [{ name: Example-Threat-List, path: ${JSON.stringify(join(WORKSHOP, 'threat-list.txt'))} }]`,
        'targets:',
        '  mail: { type: email, host: 127.0.0.1, port: 1, requireTLS: false, pool: false, connectionTimeoutMs: 500, from: a@example.com, to: [b@example.com] }',
        'rules:',
        '  - name: any-finding',
        '    eventPattern: { source: [aws.guardduty] }',
        '    targets: [{ id: m, target: mail }]',
      ].join('\n'),
    );
    const r = await cli(['detect', '--config', config, '--format', 'json', join(WORKSHOP, 'logs')]);
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/finding events published; deliveries: 0 delivered, \d+ retried, \d+ pending/);
    expect(r.stderr).toMatch(/deliveries still pending and 0 dead-lettered are lost with this run: use --db/);
    expect(r.code).toBe(1);
  });
});
