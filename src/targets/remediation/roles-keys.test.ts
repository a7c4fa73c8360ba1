import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { awsError, workshopFinding } from '../aws/test-helpers.js';
import { build, CUTOFF, deliverInput, ice, noSuchEntity, ROLE, revokeDocument, SCOPE, USER } from './test-setup.js';

const iam = mockClient(IAMClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  iam.reset();
  ec2.reset();
});
afterEach(() => {
  iam.reset();
  ec2.reset();
});

const ICE_NOTIFICATION =
  'GuardDuty Remediation | ID:05020899fafca4ac9cb826407ee0956b: GuardDuty discovered EC2 IAM credentials (Role: GuardDuty-Example-EC2-Compromised) being used outside of the EC2 service.  All sessions have been revoked.  Please follow up with any additional remediation actions.';

function mockRole(path = '/') {
  iam.on(GetRoleCommand).resolves({
    Role: { Path: path, RoleName: ROLE, RoleId: 'AROAEXAMPLEROLEID0001', Arn: `arn:aws:iam::111122223333:role${path}${ROLE}`, CreateDate: new Date(0) },
  });
}

function sentCalls() {
  return iam.calls().map((c) => {
    const cmd = c.args[0] as { constructor: { name: string }; input: unknown };
    return [cmd.constructor.name.replace(/Command$/, ''), cmd.input];
  });
}

describe('revoke-role-sessions', () => {
  it('is a dry run by default: plans the exact calls, sends none, audits the plan', async () => {
    const { target, audit } = build({ playbook: 'revoke-role-sessions' });
    const out = await target.deliver(deliverInput(ice()));
    expect(iam.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
    expect(out.status).toBe('delivered');
    expect((out as { detail: string }).detail).toMatch(
      /^dry run of revoke-role-sessions on role\/GuardDuty-Example-EC2-Compromised: 3 call\(s\) planned, none sent/,
    );
    const [entry] = audit.list();
    expect(entry).toMatchObject({ status: 'planned', mode: 'dry-run', action: 'remediate', findingId: ice().id, target: `role/${ROLE}`, rollback: null });
    expect(entry!.calls.map((c) => [c.command, c.sent])).toEqual([
      ['GetRole', false],
      ['GetRolePolicy', false],
      ['PutRolePolicy', false],
    ]);
    const put = entry!.calls[2]!;
    expect(put.input).toMatchObject({ RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' });
    expect(JSON.parse(put.input.PolicyDocument as string)).toEqual(revokeDocument());
  });

  it('executes: GetRole, GetRolePolicy, PutRolePolicy of the console document; returns the workshop notification', async () => {
    mockRole();
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(PutRolePolicyCommand).resolves({});
    const { target, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const out = await target.deliver(deliverInput(ice()));
    expect(out).toEqual({ status: 'delivered', detail: ICE_NOTIFICATION });
    expect(sentCalls()).toEqual([
      ['GetRole', { RoleName: ROLE }],
      ['GetRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' }],
      ['PutRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: expect.any(String) }],
    ]);
    const doc = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!;
    expect(JSON.parse(doc)).toEqual({
      Version: '2012-10-17',
      Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:34:57Z' } } },
    });
    expect(doc).not.toMatch(/\s/);
    const [entry] = audit.list();
    expect(entry).toMatchObject({ status: 'succeeded', mode: 'execute', result: { notification: ICE_NOTIFICATION } });
    expect(entry!.rollback).toEqual({ roleName: ROLE, policyName: 'AWSRevokeOlderSessions', document: doc, priorDocument: null });
    expect(entry!.calls.every((c) => c.sent)).toBe(true);
  });

  it('gives the exact workshop message for the golden ICE finding', async () => {
    const { remediator } = build({ playbook: 'revoke-role-sessions' });
    mockRole();
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    const r = await remediator.remediate(ice(), 'execute');
    expect(r.notification).toBe(
      'GuardDuty Remediation | ID:05020899fafca4ac9cb826407ee0956b: GuardDuty discovered EC2 IAM credentials (Role: GuardDuty-Example-EC2-Compromised) being used outside of the EC2 service.  All sessions have been revoked.  Please follow up with any additional remediation actions.',
    );
  });

  it('refuses a service-linked role found by GetRole (path /aws-service-role/): nothing is written', async () => {
    mockRole('/aws-service-role/ec2.amazonaws.com/');
    const { target, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const out = await target.deliver(deliverInput(ice()));
    expect(out.status).toBe('failed');
    expect((out as { error: string }).error).toMatch(
      /refused: role GuardDuty-Example-EC2-Compromised is a service-linked role \(path \/aws-service-role\/ec2.amazonaws.com\/\)/,
    );
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(sentCalls().map((c) => c[0])).toEqual(['GetRole']);
    expect(audit.list()[0]).toMatchObject({ status: 'refused', reason: expect.stringMatching(/^refused: .*service-linked/) });
  });

  it('refuses a service-linked role by name without any call', async () => {
    const f = ice();
    f.resource.accessKeyDetails!.userName = 'AWSServiceRoleForAmazonGuardDuty';
    const { remediator } = build({ playbook: 'revoke-role-sessions', mode: 'execute', scope: { ...SCOPE, roles: ['*'] } });
    const r = await remediator.remediate(f);
    expect(r.status).toBe('refused');
    expect(r.reason).toMatch(/service-linked/);
    expect(iam.calls()).toHaveLength(0);
  });

  it.each([
    ['account', { ...SCOPE, accounts: ['999999999999'] }, 'refused: account 111122223333 is not in the remediation scope'],
    ['region', { ...SCOPE, regions: ['eu-west-1'] }, 'refused: region us-west-2 is not in the remediation scope'],
    ['role', { ...SCOPE, roles: ['Prod-*'] }, 'refused: role GuardDuty-Example-EC2-Compromised matches no role pattern in the remediation scope'],
  ])('refuses a finding out of scope (%s) with the reason, sending nothing', async (_what, scope, reason) => {
    const { target, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute', scope });
    const out = await target.deliver(deliverInput(ice()));
    expect(out).toEqual({ status: 'failed', error: `remediation revoke-role-sessions ${reason} (audit #1)` });
    expect(iam.calls()).toHaveLength(0);
    expect(audit.list()[0]).toMatchObject({ status: 'refused', reason, calls: [] });
  });

  it('refuses a finding that is not about an assumed role', async () => {
    const { remediator } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const r = await remediator.remediate(workshopFinding('UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom'));
    expect(r.status).toBe('refused');
    expect(r.reason).toMatch(/userType is IAMUser/);
  });

  it('is idempotent: running twice makes the same calls and the audit shows both', async () => {
    mockRole();
    const { remediator, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    iam.on(GetRolePolicyCommand).rejectsOnce(noSuchEntity());
    const first = await remediator.remediate(ice());
    const doc = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!;
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: encodeURIComponent(doc) });
    const second = await remediator.remediate(ice());
    const calls = sentCalls();
    expect(calls.slice(0, 3)).toEqual(calls.slice(3));
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    const entries = audit.list();
    expect(entries.map((e) => [e.seq, e.status])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    // the second run's prior state is the first run's (no policy), not its own revocation
    expect((entries[1]!.rollback as { priorDocument: unknown }).priorDocument).toBeNull();
    expect(entries[1]!.result.notes.join()).toMatch(/carried forward/);
  });

  it('rolls back from the audit record: the policy is still ours, so it is deleted', async () => {
    mockRole();
    iam.on(GetRolePolicyCommand).rejectsOnce(noSuchEntity());
    const { remediator, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const done = await remediator.remediate(ice());
    const doc = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!;
    iam.reset();
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(doc) });
    iam.on(DeleteRolePolicyCommand).resolves({});
    const planned = await remediator.rollback(done.auditSeq);
    expect(planned.status).toBe('planned');
    expect(iam.calls()).toHaveLength(0);
    expect(planned.calls.map((c) => [c.command, c.input])).toEqual([
      ['GetRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' }],
      ['DeleteRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' }],
    ]);
    const r = await remediator.rollback(done.auditSeq, 'execute');
    expect(r.status).toBe('succeeded');
    expect(sentCalls()).toEqual([
      ['GetRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' }],
      ['DeleteRolePolicy', { RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' }],
    ]);
    expect(audit.get(r.auditSeq)).toMatchObject({ action: 'rollback', status: 'succeeded', rollsBack: done.auditSeq, target: `role/${ROLE}` });
  });

  it('rollback restores a prior policy of the same name instead of deleting it', async () => {
    mockRole();
    const older = JSON.stringify(revokeDocument('2025-01-01T00:00:00Z'));
    iam.on(GetRolePolicyCommand).resolvesOnce({ PolicyDocument: encodeURIComponent(older) });
    const { remediator } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const done = await remediator.remediate(ice());
    const doc = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!;
    iam.reset();
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(doc) });
    await remediator.rollback(done.auditSeq, 'execute');
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: older });
  });

  it('refuses to roll back a policy changed since, a dry-run record, or a missing record', async () => {
    mockRole();
    iam.on(GetRolePolicyCommand).rejectsOnce(noSuchEntity());
    const { remediator } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const done = await remediator.remediate(ice());
    iam.reset();
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(revokeDocument('2026-04-01T00:00:00Z'))) });
    const changed = await remediator.rollback(done.auditSeq, 'execute');
    expect(changed.status).toBe('refused');
    expect(changed.reason).toMatch(/was changed after this remediation/);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    const dry = await remediator.remediate(ice(), 'dry-run');
    expect((await remediator.rollback(dry.auditSeq, 'execute')).reason).toBe(`refused: audit record #${dry.auditSeq} is a dry run: nothing was changed`);
    expect((await remediator.rollback(999, 'execute')).reason).toBe('refused: no audit record #999');
  });

  it('classifies AWS errors: throttling -> retry, access denied -> failed; both audited', async () => {
    mockRole();
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam
      .on(PutRolePolicyCommand)
      .rejectsOnce(awsError('Throttling', 400))
      .rejectsOnce(awsError('AccessDenied', 403, 'not authorized to perform iam:PutRolePolicy'));
    const { target, audit } = build({ playbook: 'revoke-role-sessions', mode: 'execute' });
    const a = await target.deliver(deliverInput(ice()));
    const b = await target.deliver(deliverInput(ice()));
    expect(a.status).toBe('retry');
    expect(b).toEqual({
      status: 'failed',
      error: 'remediation revoke-role-sessions failed (audit #2): AccessDenied, HTTP 403: not authorized to perform iam:PutRolePolicy',
    });
    expect(audit.list().map((e) => e.status)).toEqual(['failed', 'failed']);
    expect(audit.list()[1]!.calls.at(-1)).toMatchObject({ command: 'PutRolePolicy', sent: true, error: expect.stringMatching(/AccessDenied/) });
  });

  it('refuses an event that carries no finding', async () => {
    const { target } = build({ playbook: 'revoke-role-sessions' });
    const input = deliverInput(ice());
    const out = await target.deliver({ ...input, event: { ...input.event, detail: { nope: 1 } } });
    expect(out.status).toBe('failed');
  });
});

describe('deactivate-access-key', () => {
  const finding = () => workshopFinding('UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
  const KEY = 'AKIAEXAMPLESIMUSER01';

  function mockKey(status: 'Active' | 'Inactive' = 'Active') {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: USER, AccessKeyId: KEY, Status: status, CreateDate: new Date(0) }] });
  }

  it('dry run sends nothing', async () => {
    const { remediator } = build({ playbook: 'deactivate-access-key' });
    const r = await remediator.remediate(finding());
    expect(r.status).toBe('planned');
    expect(iam.calls()).toHaveLength(0);
    expect(r.calls.map((c) => c.command)).toEqual(['ListAccessKeys', 'GetUserPolicy', 'UpdateAccessKey', 'PutUserPolicy']);
  });

  it('executes: UpdateAccessKey Inactive and PutUserPolicy of the token-issue-time deny', async () => {
    mockKey();
    iam.on(GetUserPolicyCommand).rejects(noSuchEntity());
    const { target } = build({ playbook: 'deactivate-access-key', mode: 'execute' });
    const out = await target.deliver(deliverInput(finding()));
    expect(out).toEqual({
      status: 'delivered',
      detail:
        'GuardDuty Remediation | ID:99d76ff4d672073aec675faec9b00212: GuardDuty finding UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom involves IAM user credentials (User: GuardDuty-Example-Compromised-Simulated, Access key: AKIAEXAMPLESIMUSER01).  The access key has been deactivated and all older sessions have been revoked.  Please follow up with any additional remediation actions.',
    });
    expect(sentCalls()).toEqual([
      ['ListAccessKeys', { UserName: USER }],
      ['GetUserPolicy', { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions' }],
      ['UpdateAccessKey', { UserName: USER, AccessKeyId: KEY, Status: 'Inactive' }],
      ['PutUserPolicy', { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions', PolicyDocument: expect.any(String) }],
    ]);
    expect(JSON.parse(iam.commandCalls(PutUserPolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(revokeDocument(CUTOFF));
  });

  it('refuses a temporary (ASIA) key, a user out of scope, and a key that is not the user’s', async () => {
    const { remediator } = build({ playbook: 'deactivate-access-key', mode: 'execute' });
    const asia = finding();
    asia.resource.accessKeyDetails!.accessKeyId = 'ASIAEXAMPLETEMP00001';
    expect((await remediator.remediate(asia)).reason).toMatch(/not a long-term \(AKIA\) key/);
    const other = finding();
    other.resource.accessKeyDetails!.userName = 'admin';
    expect((await remediator.remediate(other)).reason).toBe('refused: user admin matches no user pattern in the remediation scope');
    expect(iam.calls()).toHaveLength(0);
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    const r = await remediator.remediate(finding());
    expect(r.reason).toBe(`refused: access key ${KEY} does not belong to user ${USER}`);
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('is idempotent and rolls back: reactivate the key, delete the user policy', async () => {
    mockKey();
    iam.on(GetUserPolicyCommand).rejectsOnce(noSuchEntity());
    const { remediator, audit } = build({ playbook: 'deactivate-access-key', mode: 'execute' });
    const first = await remediator.remediate(finding());
    const doc = iam.commandCalls(PutUserPolicyCommand)[0]!.args[0].input.PolicyDocument!;
    mockKey('Inactive');
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(doc) });
    const second = await remediator.remediate(finding());
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: USER, AccessKeyId: KEY, Status: 'Inactive' },
      { UserName: USER, AccessKeyId: KEY, Status: 'Inactive' },
    ]);
    expect(iam.commandCalls(PutUserPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions', PolicyDocument: doc },
      { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions', PolicyDocument: doc },
    ]);
    expect(audit.list().map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    expect(second.rollback).toMatchObject({ priorStatus: 'Active', policy: { priorDocument: null } });
    expect(first.rollback).toEqual(second.rollback);

    iam.reset();
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(doc) });
    const r = await remediator.rollback(second.auditSeq, 'execute');
    expect(r.status).toBe('succeeded');
    expect(sentCalls()).toEqual([
      ['UpdateAccessKey', { UserName: USER, AccessKeyId: KEY, Status: 'Active' }],
      ['GetUserPolicy', { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions' }],
      ['DeleteUserPolicy', { UserName: USER, PolicyName: 'TrailhoundRevokeOlderSessions' }],
    ]);
    expect(iam.commandCalls(DeleteUserPolicyCommand)).toHaveLength(1);
  });
});

describe('remediation target configuration', () => {
  it('defaults to dry-run and rejects unknown keys, bad scope and missing options', () => {
    const { target } = build({ playbook: 'revoke-role-sessions' });
    expect(target.kind).toBe('remediation');
    expect(target.remediator.settings.mode).toBe('dry-run');
    expect(() => build({ playbook: 'revoke-role-sessions', extra: true })).toThrow(ConfigError);
    expect(() => build({ playbook: 'nuke-account' })).toThrow(/playbook/);
    expect(() => build({ playbook: 'revoke-role-sessions', scope: { accounts: [], regions: ['us-west-2'] } })).toThrow(/accounts/);
    expect(() => build({ playbook: 'isolate-instance' })).toThrow(/isolation/);
    expect(() => build({ playbook: 'isolate-instance', isolation: { quarantineGroupId: 'sg-0123456789abcdef0', createQuarantineGroup: true } })).toThrow(
      /exactly one/,
    );
    expect(() => build({ playbook: 'revoke-role-sessions', mode: 'yolo' })).toThrow(/mode/);
  });
});
