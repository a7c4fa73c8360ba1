import {
  AssociateIamInstanceProfileCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { awsError } from '../aws/test-helpers.js';
import { build, deliverInput, INSTANCE, ice, NOW, noSuchEntity, ROLE, revokeDocument, SCOPE } from './test-setup.js';

const iam = mockClient(IAMClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  iam.reset();
  ec2.reset();
});

const VPC = 'vpc-0a1b2c3d';
const Q = 'sg-0quarantine0000';
const T = 'sg-0aaaaaaaaaaaaaaaa';
const PROFILE_ARN = 'arn:aws:iam::111122223333:instance-profile/GuardDuty-Example-Compromised-Profile';
const ENIS = [
  { NetworkInterfaceId: 'eni-0000000000000001', Groups: [{ GroupId: 'sg-0target00000001', GroupName: 'TargetSecurityGroup' }] },
  { NetworkInterfaceId: 'eni-0000000000000002', Groups: [{ GroupId: 'sg-0target00000001' }, { GroupId: 'sg-0other000000002' }] },
];
const ISOLATE_TAGS = (finding: Finding) => [
  { Key: 'TrailhoundQuarantine', Value: 'isolated' },
  { Key: 'TrailhoundQuarantinedBy', Value: 'trailhound' },
  { Key: 'TrailhoundQuarantineReason', Value: finding.type },
  { Key: 'TrailhoundQuarantinedAt', Value: NOW },
  { Key: 'TrailhoundFindingId', Value: finding.id },
];

function mockInstance(opts: { enis?: typeof ENIS; tags?: Array<{ Key: string; Value: string }>; associated?: boolean } = {}) {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [{ InstanceId: INSTANCE, VpcId: VPC, NetworkInterfaces: opts.enis ?? ENIS, Tags: opts.tags ?? [{ Key: 'Environment', Value: 'workshop' }] }],
      },
    ],
  });
  ec2.on(DescribeIamInstanceProfileAssociationsCommand).resolves({
    IamInstanceProfileAssociations:
      opts.associated === false
        ? []
        : [{ AssociationId: 'iip-assoc-0001', InstanceId: INSTANCE, State: 'associated', IamInstanceProfile: { Arn: PROFILE_ARN, Id: 'AIPA1' } }],
  });
  iam.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: 'GuardDuty-Example-Compromised-Profile',
      Path: '/',
      InstanceProfileId: 'AIPA1',
      Arn: PROFILE_ARN,
      CreateDate: new Date(0),
      Roles: [{ RoleName: ROLE, Path: '/', RoleId: 'AROA1', Arn: `arn:aws:iam::111122223333:role/${ROLE}`, CreateDate: new Date(0) }],
    },
  });
  iam
    .on(GetRoleCommand)
    .resolves({ Role: { Path: '/', RoleName: ROLE, RoleId: 'AROA1', Arn: `arn:aws:iam::111122223333:role/${ROLE}`, CreateDate: new Date(0) } });
  iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
}

function mockNewQuarantineGroup() {
  ec2
    .on(DescribeSecurityGroupsCommand, {
      Filters: [
        { Name: 'vpc-id', Values: [VPC] },
        { Name: 'group-name', Values: ['trailhound-quarantine'] },
      ],
    })
    .resolves({ SecurityGroups: [] });
  ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: Q });
  ec2.on(DescribeSecurityGroupsCommand, { GroupIds: [Q] }).resolves({
    SecurityGroups: [
      {
        GroupId: Q,
        IpPermissions: [],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
      },
    ],
  });
}

function ec2Sent() {
  return ec2.calls().map((c) => {
    const cmd = c.args[0] as { constructor: { name: string }; input: unknown };
    return [cmd.constructor.name.replace(/Command$/, ''), cmd.input];
  });
}

function iamSent() {
  return iam.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
}

const CREATE = { playbook: 'isolate-instance', mode: 'execute', isolation: { createQuarantineGroup: true, transitionGroupId: T } };

describe('isolate-instance', () => {
  it('dry run (the default) plans every call with placeholders and sends nothing', async () => {
    const { target, audit } = build({ playbook: 'isolate-instance', isolation: { createQuarantineGroup: true } });
    const out = await target.deliver(deliverInput(ice()));
    expect(ec2.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    expect(out.status).toBe('delivered');
    const [entry] = audit.list();
    expect(entry!.status).toBe('planned');
    expect(entry!.calls.map((c) => `${c.service}:${c.command}`)).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeSecurityGroups',
      'ec2:CreateSecurityGroup',
      'ec2:DescribeSecurityGroups',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:DescribeIamInstanceProfileAssociations',
      'iam:GetInstanceProfile',
      'ec2:DisassociateIamInstanceProfile',
      'ec2:CreateTags',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
    ]);
    expect(entry!.calls[5]!.input).toEqual({
      NetworkInterfaceId: `<each network interface of ${INSTANCE}>`,
      Groups: ['<GroupId of the new trailhound-quarantine>'],
    });
    expect(entry!.calls[12]!.input).toMatchObject({ RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' });
    expect(entry!.result.notes.join()).toMatch(/tags are checked against the scope when executed/);
  });

  it('executes: quarantine group created and emptied, two-step swap per interface, profile disassociated, tags, role revoked', async () => {
    mockInstance();
    mockNewQuarantineGroup();
    const f = ice();
    const { target, audit } = build(CREATE);
    const out = await target.deliver(deliverInput(f));
    expect(out).toEqual({
      status: 'delivered',
      detail: `GuardDuty Remediation | ID:${f.id}: GuardDuty finding ${f.type} involves an EC2 instance (Instance ID: ${INSTANCE}).  All security groups have been removed and it has been isolated. Please follow up with any additional remediation actions.`,
    });
    expect(ec2Sent()).toEqual([
      ['DescribeInstances', { InstanceIds: [INSTANCE] }],
      [
        'DescribeSecurityGroups',
        {
          Filters: [
            { Name: 'vpc-id', Values: [VPC] },
            { Name: 'group-name', Values: ['trailhound-quarantine'] },
          ],
        },
      ],
      [
        'CreateSecurityGroup',
        {
          GroupName: 'trailhound-quarantine',
          Description: 'Trailhound quarantine: allows no traffic',
          VpcId: VPC,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: [
                { Key: 'Name', Value: 'trailhound-quarantine' },
                { Key: 'TrailhoundPurpose', Value: 'quarantine' },
              ],
            },
          ],
        },
      ],
      ['DescribeSecurityGroups', { GroupIds: [Q] }],
      ['RevokeSecurityGroupEgress', { GroupId: Q, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }],
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000001', Groups: [T] }],
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000001', Groups: [Q] }],
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000002', Groups: [T] }],
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000002', Groups: [Q] }],
      ['DescribeIamInstanceProfileAssociations', { Filters: [{ Name: 'instance-id', Values: [INSTANCE] }] }],
      ['DisassociateIamInstanceProfile', { AssociationId: 'iip-assoc-0001' }],
      ['CreateTags', { Resources: [INSTANCE], Tags: ISOLATE_TAGS(f) }],
    ]);
    expect(iamSent()).toEqual(['GetInstanceProfile', 'GetRole', 'GetRolePolicy', 'PutRolePolicy']);
    expect(iam.commandCalls(GetInstanceProfileCommand)[0]!.args[0].input).toEqual({ InstanceProfileName: 'GuardDuty-Example-Compromised-Profile' });
    const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ RoleName: ROLE, PolicyName: 'AWSRevokeOlderSessions' });
    expect(JSON.parse(put.PolicyDocument!)).toEqual(revokeDocument());
    expect(audit.list()[0]!.rollback).toEqual({
      instanceId: INSTANCE,
      quarantineGroupId: Q,
      transitionGroupId: T,
      networkInterfaces: [
        { networkInterfaceId: 'eni-0000000000000001', groups: ['sg-0target00000001'] },
        { networkInterfaceId: 'eni-0000000000000002', groups: ['sg-0target00000001', 'sg-0other000000002'] },
      ],
      instanceProfiles: [{ arn: PROFILE_ARN, associationId: 'iip-assoc-0001' }],
      tagKeys: ISOLATE_TAGS(f).map((t) => t.Key),
      revocations: [{ roleName: ROLE, policyName: 'AWSRevokeOlderSessions', document: put.PolicyDocument, priorDocument: null }],
    });
  });

  it('gives the workshop EC2 message for UnauthorizedAccess:EC2/MaliciousIPCaller.Custom, with a configured group (single step)', async () => {
    mockInstance();
    const f: Finding = {
      ...ice(),
      id: 'a1b2c3',
      type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: INSTANCE } },
    };
    const { remediator } = build({ playbook: 'isolate-instance', mode: 'execute', isolation: { quarantineGroupId: 'sg-0f0e0d0c0b0a0908' } });
    const r = await remediator.remediate(f);
    expect(r.notification).toBe(
      `GuardDuty Remediation | ID:a1b2c3: GuardDuty discovered an EC2 instance (Instance ID: ${INSTANCE}) that is communicating outbound with an IP Address on a threat list that you uploaded.  All security groups have been removed and it has been isolated. Please follow up with any additional remediation actions.`,
    );
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkInterfaceId: 'eni-0000000000000001', Groups: ['sg-0f0e0d0c0b0a0908'] },
      { NetworkInterfaceId: 'eni-0000000000000002', Groups: ['sg-0f0e0d0c0b0a0908'] },
    ]);
  });

  it('refuses an instance whose tags are out of scope (checked on DescribeInstances) before changing anything', async () => {
    mockInstance({ tags: [{ Key: 'Environment', Value: 'production' }] });
    const { remediator, audit } = build(CREATE);
    const r = await remediator.remediate(ice());
    expect(r.status).toBe('refused');
    expect(r.reason).toBe(`refused: instance ${INSTANCE} carries none of the tags the remediation scope allows`);
    expect(ec2Sent().map((c) => c[0])).toEqual(['DescribeInstances']);
    expect(iam.calls()).toHaveLength(0);
    expect(audit.list()[0]!.status).toBe('refused');
  });

  it('refuses without any call when neither ids nor tags are in scope', async () => {
    const { remediator } = build({ ...CREATE, scope: { ...SCOPE, instanceTags: [] } });
    const r = await remediator.remediate(ice());
    expect(r.reason).toMatch(/is not in the remediation scope/);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('does not revoke a role outside the scope, and notes it', async () => {
    mockInstance();
    mockNewQuarantineGroup();
    const { remediator } = build({ ...CREATE, scope: { ...SCOPE, roles: [] } });
    const r = await remediator.remediate(ice());
    expect(r.status).toBe('succeeded');
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(r.notes.join()).toMatch(/sessions of role GuardDuty-Example-EC2-Compromised not revoked: role .* matches no role pattern/);
  });

  it('is idempotent: a second run finds the instance quarantined, carries the prior state forward; rollback restores it', async () => {
    mockInstance();
    mockNewQuarantineGroup();
    const { remediator, audit } = build(CREATE);
    const first = await remediator.remediate(ice());
    // Second run: interfaces already in quarantine, the group exists and is empty, no profile associated.
    ec2.reset();
    mockInstance({
      enis: [
        { NetworkInterfaceId: 'eni-0000000000000001', Groups: [{ GroupId: Q }] },
        { NetworkInterfaceId: 'eni-0000000000000002', Groups: [{ GroupId: Q }] },
      ],
      associated: false,
    });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: Q, IpPermissions: [], IpPermissionsEgress: [] }] });
    const second = await remediator.remediate(ice());
    expect(second.status).toBe('succeeded');
    expect(ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
    expect(second.rollback).toMatchObject({
      networkInterfaces: (first.rollback as { networkInterfaces: unknown }).networkInterfaces,
      instanceProfiles: [{ arn: PROFILE_ARN, associationId: 'iip-assoc-0001' }],
    });
    expect(audit.list().map((e) => e.status)).toEqual(['succeeded', 'succeeded']);

    ec2.reset();
    ec2.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
    const rb = await remediator.rollback(second.auditSeq, 'execute');
    expect(rb.status).toBe('succeeded');
    expect(ec2Sent()).toEqual([
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000001', Groups: ['sg-0target00000001'] }],
      ['ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0000000000000002', Groups: ['sg-0target00000001', 'sg-0other000000002'] }],
      ['DescribeIamInstanceProfileAssociations', { Filters: [{ Name: 'instance-id', Values: [INSTANCE] }] }],
      ['AssociateIamInstanceProfile', { IamInstanceProfile: { Arn: PROFILE_ARN }, InstanceId: INSTANCE }],
      ['DeleteTags', { Resources: [INSTANCE], Tags: ISOLATE_TAGS(ice()).map(({ Key }) => ({ Key })) }],
    ]);
    expect(rb.notes.join()).toMatch(/left in place: AWSRevokeOlderSessions on role GuardDuty-Example-EC2-Compromised/);
    expect(ec2.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DeleteTagsCommand)).toHaveLength(1);
    expect(audit.get(rb.auditSeq)).toMatchObject({ action: 'rollback', rollsBack: second.auditSeq });
  });

  it('records the prior state of a run that fails part way, and a retry carries it forward', async () => {
    mockInstance();
    mockNewQuarantineGroup();
    ec2.on(CreateTagsCommand).rejectsOnce(awsError('RequestLimitExceeded', 503));
    const { target, audit } = build(CREATE);
    const out = await target.deliver(deliverInput(ice()));
    expect(out.status).toBe('retry');
    const failed = audit.list()[0]!;
    expect(failed.status).toBe('failed');
    expect(failed.rollback).toMatchObject({
      networkInterfaces: [
        { networkInterfaceId: 'eni-0000000000000001', groups: ['sg-0target00000001'] },
        { networkInterfaceId: 'eni-0000000000000002', groups: ['sg-0target00000001', 'sg-0other000000002'] },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: INSTANCE,
              VpcId: VPC,
              Tags: [{ Key: 'Environment', Value: 'workshop' }],
              NetworkInterfaces: [
                { NetworkInterfaceId: 'eni-0000000000000001', Groups: [{ GroupId: Q }] },
                { NetworkInterfaceId: 'eni-0000000000000002', Groups: [{ GroupId: Q }] },
              ],
            },
          ],
        },
      ],
    });
    ec2.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
    const retry = await target.deliver(deliverInput(ice()));
    expect(retry.status).toBe('delivered');
    expect(audit.list()[1]!.rollback).toMatchObject({
      networkInterfaces: failed.rollback && (failed.rollback as { networkInterfaces: unknown }).networkInterfaces,
      instanceProfiles: [{ arn: PROFILE_ARN, associationId: 'iip-assoc-0001' }],
    });
  });

  it('refuses a finding without an instance', async () => {
    const { remediator } = build(CREATE);
    const f = ice();
    delete f.resource.instanceDetails;
    expect((await remediator.remediate(f)).reason).toMatch(/names no EC2 instance/);
  });
});
