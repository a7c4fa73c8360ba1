/** The lab's EC2 API through the real SDK v3 client: instances, security groups and rules, profile associations, tags. */
import {
  AssociateIamInstanceProfileCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  DisassociateIamInstanceProfileCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance, SecurityGroup } from '../../src/lab/account.js';
import { type Creds, failure, startTestLab, type TestLab } from './server-helpers.js';

let lab: TestLab;
let admin: Creds;
let ec2: EC2Client;
let web: SecurityGroup;
let server: Instance;
let other: Instance;
const ACCOUNT = '123456789012';

beforeAll(async () => {
  lab = await startTestLab();
  const a = lab.account;
  a.createUser('admin');
  a.attachUserPolicy('admin', 'arn:aws:iam::aws:policy/AdministratorAccess');
  admin = a.createAccessKey('admin');
  a.createRole('web-role', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  a.createInstanceProfile('web-profile', 'web-role');
  a.createInstanceProfile('spare-profile', 'web-role');
  web = a.createSecurityGroup({ name: 'web', description: 'web servers', ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' }] });
  server = a.runInstance({
    name: 'web-1',
    profile: 'web-profile',
    publicIp: '54.1.2.3',
    privateIp: '172.31.5.10',
    securityGroupIds: [web.groupId],
    tags: { env: 'prod' },
  });
  other = a.runInstance({ name: 'batch-1', privateIp: '172.31.5.11' });
  ec2 = lab.clients(admin).ec2;
});
afterAll(async () => {
  await lab.close();
});

describe('EC2 instances', () => {
  it('DescribeInstances: reservations, network interfaces, groups, instance profile, addresses, tags', async () => {
    const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [server.instanceId] }));
    expect(res.Reservations).toHaveLength(1);
    expect(res.Reservations?.[0]?.OwnerId).toBe(ACCOUNT);
    const i = res.Reservations?.[0]?.Instances?.[0];
    expect(i).toMatchObject({
      InstanceId: server.instanceId,
      State: { Code: 16, Name: 'running' },
      PrivateIpAddress: '172.31.5.10',
      PublicIpAddress: '54.1.2.3',
      PublicDnsName: 'ec2-54-1-2-3.compute-1.amazonaws.com',
      VpcId: lab.account.defaultVpcId,
      SubnetId: lab.account.defaultSubnetId,
      Placement: { AvailabilityZone: 'us-east-1a' },
      SecurityGroups: [{ GroupId: web.groupId, GroupName: 'web' }],
      IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/web-profile` },
    });
    expect(i?.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(i?.LaunchTime).toBeInstanceOf(Date);
    expect(i?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'web-1' },
        { Key: 'env', Value: 'prod' },
      ]),
    );
    expect(i?.NetworkInterfaces).toEqual([
      expect.objectContaining({
        NetworkInterfaceId: server.networkInterfaceId,
        PrivateIpAddress: '172.31.5.10',
        Association: expect.objectContaining({ PublicIp: '54.1.2.3' }),
        Groups: [{ GroupId: web.groupId, GroupName: 'web' }],
        Attachment: expect.objectContaining({ DeviceIndex: 0, Status: 'attached' }),
      }),
    ]);
    expect(server.networkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
  });

  it('DescribeInstances filters: instance-id, tag:*, tag-key, none; unknown ids and filters refused', async () => {
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      (await ec2.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(await ids([])).toEqual([server.instanceId, other.instanceId]);
    expect(await ids([{ Name: 'instance-id', Values: [other.instanceId] }])).toEqual([other.instanceId]);
    expect(await ids([{ Name: 'tag:Name', Values: ['web-*'] }])).toEqual([server.instanceId]);
    expect(await ids([{ Name: 'tag-key', Values: ['env'] }])).toEqual([server.instanceId]);
    expect(await ids([{ Name: 'tag:Name', Values: ['nothing'] }])).toEqual([]);
    expect(await ids([{ Name: 'instance-state-name', Values: ['running'] }])).toHaveLength(2);
    expect((await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).name).toBe('InvalidInstanceID.NotFound');
    expect((await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] })))).name).toBe('InvalidInstanceID.Malformed');
    expect((await failure(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'flavour', Values: ['x'] }] })))).name).toBe('InvalidParameterValue');
    const elsewhere = lab.clients(admin, '198.51.100.7', 'eu-west-1').ec2;
    expect((await elsewhere.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });

  it('DescribeRegions', async () => {
    const regions = (await ec2.send(new DescribeRegionsCommand({}))).Regions ?? [];
    expect(regions.map((r) => r.RegionName)).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-2']));
    expect(regions.find((r) => r.RegionName === 'us-east-1')).toEqual({
      RegionName: 'us-east-1',
      Endpoint: 'ec2.us-east-1.amazonaws.com',
      OptInStatus: 'opt-in-not-required',
    });
    expect((await ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-3'] }))).Regions?.map((r) => r.RegionName)).toEqual(['eu-west-3']);
  });
});

describe('EC2 security groups', () => {
  it('CreateSecurityGroup with tags; DescribeSecurityGroups by id, name and vpc-id filters', async () => {
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'quarantine',
        Description: 'no traffic',
        VpcId: lab.account.defaultVpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'purpose', Value: 'quarantine' }] }],
      }),
    );
    expect(created.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(created.Tags).toEqual([{ Key: 'purpose', Value: 'quarantine' }]);
    const found = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [lab.account.defaultVpcId] },
          { Name: 'group-name', Values: ['quarantine'] },
        ],
      }),
    );
    expect(found.SecurityGroups).toHaveLength(1);
    const g = found.SecurityGroups![0]!;
    expect(g).toMatchObject({ GroupId: created.GroupId, GroupName: 'quarantine', Description: 'no traffic', OwnerId: ACCOUNT, IpPermissions: [] });
    expect(g.IpPermissionsEgress).toEqual([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web.groupId] }))).SecurityGroups?.[0]?.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    expect(
      (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [web.groupId] }] }))).SecurityGroups?.map((x) => x.GroupName),
    ).toEqual(['web']);
    expect((await failure(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'quarantine', Description: 'again' })))).name).toBe('InvalidGroup.Duplicate');
    expect((await failure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).name).toBe('InvalidGroup.NotFound');
  });

  it('authorizes and revokes ingress and egress rules (IpPermissions), as the quarantine playbook does', async () => {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'rules', Description: 'rules', VpcId: lab.account.defaultVpcId }));
    const ingress = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'admins' }] },
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: web.groupId }] },
    ];
    const auth = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: ingress }));
    expect(auth.Return).toBe(true);
    expect(auth.SecurityGroupRules?.map((r) => [r.IsEgress, r.FromPort, r.CidrIpv4 ?? r.ReferencedGroupInfo?.GroupId])).toEqual([
      [false, 22, '10.0.0.0/8'],
      [false, 80, web.groupId],
    ]);
    expect((await failure(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [ingress[0]!] })))).name).toBe(
      'InvalidPermission.Duplicate',
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] }],
      }),
    );

    const described = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))).SecurityGroups![0]!;
    expect(described.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges?.[0]?.Description, p.UserIdGroupPairs?.[0]?.GroupId])).toEqual([
      ['tcp', 22, 'admins', undefined],
      ['tcp', 80, undefined, web.groupId],
    ]);
    expect(described.IpPermissionsEgress).toHaveLength(2);

    // what the playbook sends: the described permissions, empty lists removed
    const clean = (ps: typeof described.IpPermissions) =>
      (ps ?? []).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => !(Array.isArray(v) && v.length === 0))));
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: clean(described.IpPermissions) }));
    const revoked = await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: clean(described.IpPermissionsEgress) }));
    expect(revoked.Return).toBe(true);
    const after = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))).SecurityGroups![0]!;
    expect(after.IpPermissions).toEqual([]);
    expect(after.IpPermissionsEgress).toEqual([]);
    const unknown = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [ingress[0]!] }));
    expect(unknown.UnknownIpPermissions?.[0]?.FromPort).toBe(22);
  });

  it('ModifyNetworkInterfaceAttribute and ModifyInstanceAttribute replace the groups', async () => {
    const q = lab.account.createSecurityGroup({ name: 'isolation' });
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: other.networkInterfaceId, Groups: [q.groupId] }));
    expect(lab.account.networkInterface(other.networkInterfaceId).groups).toEqual([q.groupId]);
    const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [other.instanceId] }))).Reservations?.[0]?.Instances?.[0];
    expect(i?.SecurityGroups).toEqual([{ GroupId: q.groupId, GroupName: 'isolation' }]);
    expect(i?.NetworkInterfaces?.[0]?.Groups).toEqual([{ GroupId: q.groupId, GroupName: 'isolation' }]);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: other.instanceId, Groups: [web.groupId, q.groupId] }));
    expect(lab.account.networkInterface(other.networkInterfaceId).groups).toEqual([web.groupId, q.groupId]);
    expect(
      (await failure(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: [q.groupId] })))).name,
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    expect((await failure(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: other.instanceId, Groups: ['sg-0123456789abcdef0'] })))).name).toBe(
      'InvalidGroup.NotFound',
    );
  });
});

describe('EC2 instance profiles and tags', () => {
  it('describes, disassociates and re-associates the instance profile', async () => {
    const described = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [server.instanceId] }] }));
    expect(described.IamInstanceProfileAssociations).toEqual([
      {
        AssociationId: expect.stringMatching(/^iip-assoc-[0-9a-f]{17}$/),
        InstanceId: server.instanceId,
        IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/web-profile`, Id: expect.stringMatching(/^AIPA/) },
        State: 'associated',
        Timestamp: expect.any(Date),
      },
    ]);
    const id = described.IamInstanceProfileAssociations![0]!.AssociationId!;
    const dis = await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: id }));
    expect(dis.IamInstanceProfileAssociation?.State).toBe('disassociating');
    expect(
      (await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [server.instanceId] }] })))
        .IamInstanceProfileAssociations,
    ).toEqual([]);
    expect(
      (
        await ec2.send(
          new DescribeIamInstanceProfileAssociationsCommand({
            Filters: [
              { Name: 'instance-id', Values: [server.instanceId] },
              { Name: 'state', Values: ['disassociated'] },
            ],
          }),
        )
      ).IamInstanceProfileAssociations?.map((a) => a.AssociationId),
    ).toEqual([id]);
    expect(() => lab.account.instanceCredentials(server.instanceId)).toThrow(/no instance profile/);
    expect((await failure(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: id })))).name).toBe('InvalidAssociationID.NotFound');

    const assoc = await ec2.send(
      new AssociateIamInstanceProfileCommand({
        InstanceId: server.instanceId,
        IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/web-profile` },
      }),
    );
    expect(assoc.IamInstanceProfileAssociation?.State).toBe('associating');
    expect(lab.account.instanceCredentials(server.instanceId).accessKeyId).toMatch(/^ASIA/);
    expect(
      (await failure(ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: server.instanceId, IamInstanceProfile: { Name: 'spare-profile' } })))).name,
    ).toBe('IncorrectState');
  });

  it('CreateTags, DescribeTags, DeleteTags', async () => {
    await ec2.send(
      new CreateTagsCommand({
        Resources: [other.instanceId, web.groupId],
        Tags: [
          { Key: 'TrailhoundQuarantine', Value: 'isolated' },
          { Key: 'owner', Value: 'ops' },
        ],
      }),
    );
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [other.instanceId] }] }));
    expect(tags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'batch-1', ResourceId: other.instanceId, ResourceType: 'instance' },
        { Key: 'TrailhoundQuarantine', Value: 'isolated', ResourceId: other.instanceId, ResourceType: 'instance' },
      ]),
    );
    await ec2.send(new DeleteTagsCommand({ Resources: [other.instanceId], Tags: [{ Key: 'TrailhoundQuarantine' }, { Key: 'owner', Value: 'someone-else' }] }));
    expect(lab.account.tagsOf(other.instanceId)).toEqual([
      { Key: 'Name', Value: 'batch-1' },
      { Key: 'owner', Value: 'ops' },
    ]);
    expect(lab.account.tagsOf(web.groupId).map((t) => t.Key)).toContain('TrailhoundQuarantine');
    expect((await failure(ec2.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })))).name).toBe(
      'InvalidInstanceID.NotFound',
    );
  });
});

describe('EC2 authorization and records', () => {
  it('UnauthorizedOperation on the instance ARN, DryRun, and CloudTrail-like records', async () => {
    lab.account.createUser('viewer');
    lab.account.attachUserPolicy('viewer', 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess');
    const viewer = lab.clients(lab.account.createAccessKey('viewer'), '203.0.113.50').ec2;
    const mark = lab.calls.length;
    expect((await viewer.send(new DescribeInstancesCommand({ InstanceIds: [server.instanceId] }))).Reservations).toHaveLength(1);
    const denied = await failure(viewer.send(new CreateTagsCommand({ Resources: [server.instanceId], Tags: [{ Key: 'a', Value: 'b' }] })));
    expect(denied).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    expect(denied.message).toContain(`on resource: arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${server.instanceId}`);
    expect((await failure(ec2.send(new DescribeInstancesCommand({ DryRun: true })))).name).toBe('DryRunOperation');
    const [describe, tag, dry] = lab.since(mark);
    expect(describe).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeInstances',
      awsRegion: 'us-east-1',
      readOnly: true,
      sourceIPAddress: '203.0.113.50',
      requestParameters: { instancesSet: { items: [{ instanceId: server.instanceId }] }, filterSet: {} },
      responseElements: null,
    });
    expect(tag).toMatchObject({
      eventName: 'CreateTags',
      errorCode: 'Client.UnauthorizedOperation',
      requestParameters: { resourcesSet: { items: [{ resourceId: server.instanceId }] }, tagSet: { items: [{ key: 'a', value: 'b' }] } },
    });
    expect(dry).toMatchObject({ eventName: 'DescribeInstances', errorCode: 'Client.DryRunOperation' });

    const m2 = lab.calls.length;
    const g = lab.account.createSecurityGroup({ name: 'recorded' });
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: other.networkInterfaceId, Groups: [g.groupId] }));
    expect(lab.since(m2)[0]).toMatchObject({
      eventName: 'ModifyNetworkInterfaceAttribute',
      readOnly: false,
      requestParameters: { networkInterfaceId: other.networkInterfaceId, groupSet: { items: [{ groupId: g.groupId }] } },
      responseElements: { requestId: lab.since(m2)[0]?.requestId, _return: true },
    });
  });
});
