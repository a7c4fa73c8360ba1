import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../src/bus/outbox.js';
import { main } from '../src/cli/main.js';
import { fixedClock } from '../src/core/clock.js';
import { FindingStore } from '../src/findings/store.js';
import { WatchStore } from '../src/findings/watches.js';
import { buildBus } from '../src/pipeline/bus.js';
import { type Config, loadConfig } from '../src/pipeline/config.js';
import { buildContext } from '../src/pipeline/context.js';
import { runDetect } from '../src/pipeline/detect.js';
import { tempDir, tempFile } from './helpers.js';

/**
 * Workshop scenario 3 end to end, from log files: the stolen instance credentials give the finding, the workshop's
 * rule matches, the e-mail arrives with the workshop's text, the revoke playbook plans (dry run) and, when enabled,
 * sends the right PutRolePolicy; the attacker's calls in later logs are denied, which marks the containment verified.
 */
const ROOT = join(import.meta.dirname, '..');
const LOGS = join(ROOT, 'examples', 'workshop', 'logs');
const ROLE = 'GuardDuty-Example-EC2-Compromised';

let server: SMTPServer;
let port: number;
const mails: ParsedMail[] = [];
const iam = mockClient(IAMClient);

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  iam.restore();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  mails.length = 0;
  iam.reset();
  iam
    .on(GetRoleCommand)
    .resolves({ Role: { RoleName: ROLE, Path: '/', Arn: `arn:aws:iam::111122223333:role/${ROLE}`, RoleId: 'AROAEXAMPLEROLEID0001', CreateDate: new Date() } });
  iam.on(GetRolePolicyCommand).rejects(Object.assign(new Error('not found'), { name: 'NoSuchEntityException', $fault: 'client' }));
  iam.on(PutRolePolicyCommand).resolves({});
  iam.on(DeleteRolePolicyCommand).resolves({});
});

/** The workshop logs split at `cut`: what the first detect run sees, and the "later logs". */
function splitLogs(cut: string): { before: string; after: string } {
  const before = tempDir();
  const after = tempDir();
  const all: Array<Record<string, unknown>> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'vpcflowlogs') walk(p); // scenario 1's flow logs: not CloudTrail records
      } else all.push(...JSON.parse(gunzipSync(readFileSync(p)).toString()).Records);
    }
  };
  walk(LOGS);
  const t = Date.parse(cut);
  writeFileSync(join(before, 'early.json'), JSON.stringify({ Records: all.filter((r) => Date.parse(String(r.eventTime)) < t) }));
  mkdirSync(join(after, 'later'));
  writeFileSync(join(after, 'later', 'late.json'), JSON.stringify({ Records: all.filter((r) => Date.parse(String(r.eventTime)) >= t) }));
  return { before, after };
}

async function workshopConfig(mode: 'dry-run' | 'execute'): Promise<Config> {
  const config = await loadConfig(join(ROOT, 'examples', 'workshop', 'response.yaml'));
  const dir = tempDir();
  config.db = join(dir, 'th.db');
  Object.assign(config.targets['workshop-mail'] as object, { host: '127.0.0.1', port, pool: false });
  Object.assign(config.targets['revoke-sessions'] as object, { mode, audit: join(dir, 'audit.db') });
  Object.assign(config.targets['isolate-instance'] as object, { audit: join(dir, 'audit.db') });
  return config;
}

async function detect(config: Config, paths: string[], at: string) {
  const clock = fixedClock(at);
  const store = new FindingStore(config.db as string);
  try {
    const result = await runDetect({ paths, ctx: await buildContext(config, {}), clock, store, bus: (s) => buildBus(config, s, { clock, env: {} }) });
    return { result, watches: new WatchStore(store.db).all(), outbox: new Outbox(store.db).list() };
  } finally {
    store.close();
  }
}

const textOf = (m: ParsedMail) => (m.text ?? '').trim();

describe('workshop scenario 3, end to end', () => {
  it('dry run: finding, rule match, the workshop e-mail; the revocation is planned and nothing is sent to AWS', async () => {
    const config = await workshopConfig('dry-run');
    const { before } = splitLogs('2021-03-08T18:30:00Z');
    const { result, outbox } = await detect(config, [before], '2021-03-08T18:30:00Z');
    const ice = result.findings.find((f) => f.type === 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(ice).toBeDefined();
    expect(result.deliveries.dead).toBe(0);
    const iceMail = mails.find((m) => textOf(m).includes('EC2 instance IAM credentials'));
    expect(iceMail && textOf(iceMail)).toBe(
      `"GuardDuty Finding | ID:${ice?.id}: An EC2 instance IAM credentials (Role: ${ROLE}) may be compromised and should be investigated. Go to https://console.aws.amazon.com/guardduty"`,
    );
    // The other workshop rules fired too (scenario 2's threat-list finding and scenario 4's S3 findings).
    expect(mails.some((m) => textOf(m).includes('included on your threat list'))).toBe(true);
    expect(
      mails.some((m) => textOf(m).includes('An AWS S3 related API operation was invoked by user (userName: GuardDuty-Example-Compromised2-Simulated)')),
    ).toBe(true);
    // Dry run: planned and audited, no AWS call, no "GuardDuty Remediation" mail, nothing under watch.
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    expect(outbox.find((d) => d.target === 'revoke-sessions')?.status).toBe('delivered');
    expect(mails.some((m) => textOf(m).includes('GuardDuty Remediation'))).toBe(false);
  });

  it('execute: the exact PutRolePolicy, the remediation e-mail, and the later denied calls verify the containment', async () => {
    const config = await workshopConfig('execute');
    const { before, after } = splitLogs('2021-03-08T18:30:00Z');
    const first = await detect(config, [before], '2021-03-08T18:30:00Z');
    const ice = first.result.findings.find((f) => f.type.startsWith('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration'));
    const puts = iam.commandCalls(PutRolePolicyCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input.RoleName).toBe(ROLE);
    expect(puts[0]?.args[0].input.PolicyName).toBe('AWSRevokeOlderSessions');
    expect(JSON.parse(puts[0]?.args[0].input.PolicyDocument as string)).toEqual({
      Version: '2012-10-17',
      Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2021-03-08T18:30:00Z' } } },
    });
    // Delivered through `inputPath: $.detail.message`: a string comes as a JSON string, quotes included, as AWS does.
    const remediationMail = mails.find((m) => textOf(m).startsWith('"GuardDuty Remediation'));
    expect(remediationMail && textOf(remediationMail)).toBe(
      `"GuardDuty Remediation | ID:${ice?.id}: GuardDuty discovered EC2 IAM credentials (Role: ${ROLE}) being used outside of the EC2 service.  All sessions have been revoked.  Please follow up with any additional remediation actions."`,
    );
    expect(first.watches).toMatchObject([{ kind: 'role-sessions', principalName: ROLE, status: 'watching' }]);

    // Later logs: the attacker's ListTables at 18:31:40 with the old session is denied.
    const second = await detect(config, [after], '2021-03-08T18:40:00Z');
    expect(second.watches).toMatchObject([{ status: 'verified', deniedCalls: 1 }]);
    // The finding itself says so (GuardDuty's free-form additionalInfo), for every reader of findings.
    const stored = new FindingStore(config.db as string);
    const verdict = stored.findings({ ids: [ice?.id as string] })[0]?.service.additionalInfo;
    stored.close();
    expect(verdict?.containment).toMatchObject({ status: 'contained', remediation: 'role-sessions', deniedCalls: 1, decidedAt: '2021-03-08T18:31:40.000Z' });
    expect(JSON.parse(verdict?.value as string).containment.status).toBe('contained');
    expect(second.result.findings.map((f) => f.type)).not.toContain('UnauthorizedAccess:IAMUser/ContainmentFailed');

    // The operator's view: the outbox, the audit log, and a (dry-run) rollback of the revocation.
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: () => {}, isTTY: false, env: {} };
    expect(await main(['node', 'trailhound', 'deliveries', '--db', config.db as string, '--format', 'json'], io)).toBe(0);
    const deliveries = JSON.parse(out.join(''));
    expect(deliveries.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    expect(deliveries.map((d: { rule: string }) => d.rule)).toContain('Trailhound-Remediation-Notifications');
    const file = tempFile('config.json', JSON.stringify(config));
    out.length = 0;
    expect(await main(['node', 'trailhound', 'remediation', 'audit', '--config', file, '--target', 'revoke-sessions'], io)).toBe(0);
    const audit = JSON.parse(out.join(''));
    const executed = audit.find((a: { status: string; action: string }) => a.status === 'succeeded' && a.action === 'remediate');
    expect(executed).toMatchObject({ playbook: 'revoke-role-sessions', mode: 'execute', findingId: ice?.id });
    out.length = 0;
    const callsBefore = iam.calls().length;
    expect(
      await main(['node', 'trailhound', 'remediation', 'rollback', '--config', file, '--target', 'revoke-sessions', '--audit-seq', String(executed.seq)], io),
    ).toBe(0);
    const rollback = JSON.parse(out.join(''));
    expect(rollback).toMatchObject({ action: 'rollback', mode: 'dry-run', status: 'planned' });
    expect(rollback.calls.map((c: { command: string }) => c.command)).toContain('DeleteRolePolicy');
    expect(iam.calls().length).toBe(callsBefore);
  });
});
