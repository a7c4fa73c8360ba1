/**
 * EC2 (its Query dialect): instances with their network interface, security groups and rules, instance profile
 * associations, tags, regions. Everything lives in the account's home region; other regions are empty.
 */

import { wildcardMatch } from '../../core/glob.js';
import type { Instance, NetworkInterface, SecurityGroup, SgRule } from '../account.js';
import {
  type CallContext,
  type Input,
  LabServiceError,
  type Operation,
  objList,
  optInt,
  optStr,
  type ServiceDef,
  state,
  strList,
} from '../protocols/common.js';
import { items } from '../protocols/xml.js';

type Op = Operation<Input, Record<string, unknown>>;

const REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'me-south-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];
const OPT_IN = new Set(['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1']);
const STATE_CODES: Record<Instance['state'], number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

const err = (code: string, message: string) => new LabServiceError(code, message, 400);

function need(input: Input, name: string): string {
  const v = optStr(input[name]);
  if (v === undefined || v === '') throw err('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
}

const home = (ctx: CallContext) => ctx.region === ctx.account.region;
const arn = (ctx: CallContext, type: string, id: string) => `arn:aws:ec2:${ctx.region}:${ctx.account.accountId}:${type}/${id}`;

function resourceType(id: string): string {
  const prefix = id.slice(0, id.indexOf('-'));
  return (
    { i: 'instance', sg: 'security-group', eni: 'network-interface', vpc: 'vpc', subnet: 'subnet', ami: 'image', vol: 'volume', snap: 'snapshot' }[prefix] ??
    'resource'
  );
}

function resourceArn(ctx: CallContext, id: string): string {
  const type = resourceType(id);
  if (type === 'image' || type === 'snapshot') return `arn:aws:ec2:${ctx.region}::${type}/${id}`;
  return arn(ctx, type, id);
}

// ---------------------------------------------------------------- filters

interface Filter {
  name: string;
  values: string[];
}

function filters(input: Input): Filter[] {
  return objList(input.Filter).map((f) => ({ name: optStr(f.Name) ?? '', values: strList(f.Value) }));
}

/**
 * Applies filters: values with `*` and `?` wildcards, matched by `wildcardMatch` (no RegExp, so no pattern can make it
 * backtrack for minutes). `fields(name)` gives the resource's values for a filter name, undefined for an unknown filter.
 */
function matchFilters(fs: Filter[], fields: (name: string) => string[] | undefined): boolean {
  for (const f of fs) {
    const have = fields(f.name);
    if (have === undefined) throw err('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    if (!f.values.some((p) => have.some((v) => wildcardMatch(p, v)))) return false;
  }
  return true;
}

function tagFields(ctx: CallContext, id: string, name: string): string[] | undefined {
  const tags = ctx.account.tags.get(id);
  if (name.startsWith('tag:')) {
    const v = tags?.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return [...(tags?.keys() ?? [])];
  if (name === 'tag-value') return [...(tags?.values() ?? [])];
  return undefined;
}

function filterParams(fs: Filter[]) {
  return fs.length ? { items: fs.map((f) => ({ name: f.name, valueSet: { items: f.values.map((value) => ({ value })) } })) } : {};
}

function idSet(ids: string[], field: string) {
  return ids.length ? { items: ids.map((id) => ({ [field]: id })) } : {};
}

// ---------------------------------------------------------------- XML shapes

function tagSet(ctx: CallContext, id: string) {
  return items(ctx.account.tagsOf(id).map((t) => ({ key: t.Key, value: t.Value })));
}

function groupSet(ctx: CallContext, groupIds: string[]) {
  return items(groupIds.map((g) => ({ groupId: g, groupName: ctx.account.securityGroups.get(g)?.groupName ?? '' })));
}

function privateDns(ctx: CallContext, ip: string): string {
  return `ip-${ip.replace(/\./g, '-')}.${ctx.account.region === 'us-east-1' ? 'ec2.internal' : `${ctx.account.region}.compute.internal`}`;
}

function publicDns(ctx: CallContext, ip: string | undefined): string {
  if (!ip) return '';
  const r = ctx.account.region;
  return `ec2-${ip.replace(/\./g, '-')}.${r === 'us-east-1' ? 'compute-1' : `${r}.compute`}.amazonaws.com`;
}

function eniXml(ctx: CallContext, n: NetworkInterface) {
  const association = n.publicIp ? { publicIp: n.publicIp, publicDnsName: publicDns(ctx, n.publicIp), ipOwnerId: 'amazon' } : undefined;
  return {
    networkInterfaceId: n.networkInterfaceId,
    subnetId: n.subnetId,
    vpcId: n.vpcId,
    description: '',
    ownerId: ctx.account.accountId,
    status: 'in-use',
    macAddress: n.macAddress,
    privateIpAddress: n.privateIp,
    privateDnsName: privateDns(ctx, n.privateIp),
    sourceDestCheck: true,
    groupSet: groupSet(ctx, n.groups),
    attachment: {
      attachmentId: n.attachmentId,
      deviceIndex: 0,
      networkCardIndex: 0,
      status: 'attached',
      attachTime: n.attachTime.toISOString(),
      deleteOnTermination: true,
    },
    ...(association ? { association } : {}),
    privateIpAddressesSet: items([
      { privateIpAddress: n.privateIp, privateDnsName: privateDns(ctx, n.privateIp), primary: true, ...(association ? { association } : {}) },
    ]),
    interfaceType: 'interface',
  };
}

function instanceXml(ctx: CallContext, i: Instance) {
  const enis = ctx.account.instanceInterfaces(i.instanceId);
  const primary = enis.find((n) => n.networkInterfaceId === i.networkInterfaceId);
  const assoc = ctx.account.liveAssociation(i.instanceId);
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: privateDns(ctx, i.privateIp),
    dnsName: publicDns(ctx, i.publicIp),
    reason: '',
    ...(i.keyName ? { keyName: i.keyName } : {}),
    amiLaunchIndex: 0,
    productCodes: '',
    instanceType: i.instanceType,
    launchTime: i.launchTime.toISOString(),
    placement: { availabilityZone: i.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    ...(i.publicIp ? { ipAddress: i.publicIp } : {}),
    sourceDestCheck: true,
    groupSet: groupSet(ctx, primary?.groups ?? []),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: '',
    virtualizationType: 'hvm',
    clientToken: '',
    tagSet: tagSet(ctx, i.instanceId),
    hypervisor: 'xen',
    networkInterfaceSet: items(enis.map((n) => eniXml(ctx, n))),
    ...(assoc ? { iamInstanceProfile: { arn: assoc.profileArn, id: assoc.profileId } } : {}),
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: { state: 'applied', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
    platformDetails: 'Linux/UNIX',
  };
}

function groupXml(ctx: CallContext, g: SecurityGroup) {
  return {
    ownerId: ctx.account.accountId,
    groupId: g.groupId,
    groupName: g.groupName,
    groupDescription: g.description,
    vpcId: g.vpcId,
    securityGroupArn: arn(ctx, 'security-group', g.groupId),
    ipPermissions: items(
      permissions(
        ctx,
        g.rules.filter((r) => !r.isEgress),
      ),
    ),
    ipPermissionsEgress: items(
      permissions(
        ctx,
        g.rules.filter((r) => r.isEgress),
      ),
    ),
    tagSet: tagSet(ctx, g.groupId),
  };
}

/** Rules grouped back into IpPermissions by (protocol, ports). */
function permissions(ctx: CallContext, rules: SgRule[]) {
  const byKey = new Map<string, SgRule[]>();
  for (const r of rules) {
    const k = `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  return [...byKey.values()].map((rs) => {
    const r0 = rs[0]!;
    const desc = (r: SgRule) => (r.description ? { description: r.description } : {});
    return {
      ipProtocol: r0.protocol,
      ...(r0.fromPort === undefined ? {} : { fromPort: r0.fromPort }),
      ...(r0.toPort === undefined ? {} : { toPort: r0.toPort }),
      groups: items(rs.filter((r) => r.groupId).map((r) => ({ userId: r.userId ?? ctx.account.accountId, groupId: r.groupId, ...desc(r) }))),
      ipRanges: items(rs.filter((r) => r.cidrIp).map((r) => ({ cidrIp: r.cidrIp, ...desc(r) }))),
      ipv6Ranges: items(rs.filter((r) => r.cidrIpv6).map((r) => ({ cidrIpv6: r.cidrIpv6, ...desc(r) }))),
      prefixListIds: items(rs.filter((r) => r.prefixListId).map((r) => ({ prefixListId: r.prefixListId, ...desc(r) }))),
    };
  });
}

function ruleXml(ctx: CallContext, g: SecurityGroup, r: SgRule) {
  return {
    securityGroupRuleId: r.ruleId,
    groupId: g.groupId,
    groupOwnerId: ctx.account.accountId,
    isEgress: r.isEgress,
    ipProtocol: r.protocol,
    fromPort: r.fromPort ?? -1,
    toPort: r.toPort ?? -1,
    ...(r.cidrIp ? { cidrIpv4: r.cidrIp } : {}),
    ...(r.cidrIpv6 ? { cidrIpv6: r.cidrIpv6 } : {}),
    ...(r.prefixListId ? { prefixListId: r.prefixListId } : {}),
    ...(r.groupId ? { referencedGroupInfo: { groupId: r.groupId, userId: r.userId ?? ctx.account.accountId } } : {}),
    ...(r.description ? { description: r.description } : {}),
    securityGroupRuleArn: arn(ctx, 'security-group-rule', r.ruleId),
  };
}

function associationXml(a: { associationId: string; instanceId: string; profileArn: string; profileId: string; state: string; timestamp: Date }) {
  return {
    associationId: a.associationId,
    instanceId: a.instanceId,
    iamInstanceProfile: { arn: a.profileArn, id: a.profileId },
    state: a.state,
    timestamp: a.timestamp.toISOString(),
  };
}

// ---------------------------------------------------------------- security group rules from IpPermissions

const PROTOCOLS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };

type RuleSpec = Omit<SgRule, 'ruleId' | 'isEgress'>;

/** IpPermissions (and the legacy flat CidrIp/IpProtocol/FromPort/ToPort form) → one rule per source. */
function rulesFrom(input: Input): RuleSpec[] {
  const perms = objList(input.IpPermissions);
  if (perms.length === 0 && optStr(input.IpProtocol)) {
    perms.push({ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: [{ CidrIp: input.CidrIp }] });
  }
  const out: RuleSpec[] = [];
  for (const p of perms) {
    const raw = (optStr(p.IpProtocol) ?? '').toLowerCase();
    if (!raw) throw err('MissingParameter', 'The request must contain the parameter ipPermissions.ipProtocol');
    const protocol = PROTOCOLS[raw] ?? raw;
    const ports =
      protocol === '-1'
        ? {}
        : { fromPort: optInt(p.FromPort, 'InvalidParameterValue', 'fromPort'), toPort: optInt(p.ToPort, 'InvalidParameterValue', 'toPort') };
    const base = { protocol, ...ports };
    const description = (x: Input) => (optStr(x.Description) ? { description: optStr(x.Description) } : {});
    for (const r of objList(p.IpRanges)) if (optStr(r.CidrIp)) out.push({ ...base, cidrIp: optStr(r.CidrIp), ...description(r) });
    for (const r of objList(p.Ipv6Ranges)) if (optStr(r.CidrIpv6)) out.push({ ...base, cidrIpv6: optStr(r.CidrIpv6), ...description(r) });
    for (const r of objList(p.Groups)) if (optStr(r.GroupId)) out.push({ ...base, groupId: optStr(r.GroupId), userId: optStr(r.UserId), ...description(r) });
    for (const r of objList(p.PrefixListIds)) if (optStr(r.PrefixListId)) out.push({ ...base, prefixListId: optStr(r.PrefixListId), ...description(r) });
  }
  return out;
}

function sameRule(a: RuleSpec, b: RuleSpec): boolean {
  return (
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidrIp === b.cidrIp &&
    a.cidrIpv6 === b.cidrIpv6 &&
    a.groupId === b.groupId &&
    a.prefixListId === b.prefixListId
  );
}

function permissionParams(input: Input) {
  const perms = objList(input.IpPermissions);
  const set = (list: Input[], f: (x: Input) => Record<string, unknown>) => (list.length ? { items: list.map(f) } : {});
  return {
    items: perms.map((p) => ({
      ipProtocol: optStr(p.IpProtocol),
      fromPort: optInt(p.FromPort, 'InvalidParameterValue', 'fromPort'),
      toPort: optInt(p.ToPort, 'InvalidParameterValue', 'toPort'),
      groups: set(objList(p.Groups), (g) => ({ groupId: optStr(g.GroupId) })),
      ipRanges: set(objList(p.IpRanges), (r) => ({ cidrIp: optStr(r.CidrIp) })),
      ipv6Ranges: set(objList(p.Ipv6Ranges), (r) => ({ cidrIpv6: optStr(r.CidrIpv6) })),
      prefixListIds: set(objList(p.PrefixListIds), (r) => ({ prefixListId: optStr(r.PrefixListId) })),
    })),
  };
}

function group(ctx: CallContext, id: string): SecurityGroup {
  if (!/^sg-[0-9a-f]{8,17}$/.test(id)) throw err('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
  const g = home(ctx) ? ctx.account.securityGroups.get(id) : undefined;
  if (!g) throw err('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  return g;
}

function instance(ctx: CallContext, id: string): Instance {
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw err('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  const i = home(ctx) ? ctx.account.instances.get(id) : undefined;
  if (!i) throw err('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return i;
}

function authorize(egress: boolean): Op {
  return {
    action: egress ? 'ec2:AuthorizeSecurityGroupEgress' : 'ec2:AuthorizeSecurityGroupIngress',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'security-group', optStr(i.GroupId) ?? '*')],
    params: (i) => ({ groupId: optStr(i.GroupId), ipPermissions: permissionParams(i) }),
    run(i, ctx) {
      const g = group(ctx, need(i, 'GroupId'));
      const specs = rulesFrom(i);
      if (specs.length === 0) throw err('MissingParameter', 'No source was given for the rule (IpRanges, Ipv6Ranges, Groups or PrefixListIds).');
      for (const s of specs) {
        if (g.rules.some((r) => r.isEgress === egress && sameRule(r, s)))
          throw err(
            'InvalidPermission.Duplicate',
            `the specified rule "peer: ${s.cidrIp ?? s.cidrIpv6 ?? s.groupId ?? s.prefixListId}, ${s.protocol.toUpperCase()}" already exists`,
          );
        if (s.groupId) group(ctx, s.groupId);
      }
      const added = specs.map((s) => ({ ...s, ruleId: ctx.account.ids.ec2Id('sgr'), isEgress: egress }));
      g.rules.push(...added);
      const rules = added.map((r) => ruleXml(ctx, g, r));
      return {
        result: { return: true, securityGroupRuleSet: items(rules) },
        responseElements: { requestId: ctx.requestId, _return: true, securityGroupRuleSet: { items: rules } },
      };
    },
  };
}

function revoke(egress: boolean): Op {
  return {
    action: egress ? 'ec2:RevokeSecurityGroupEgress' : 'ec2:RevokeSecurityGroupIngress',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'security-group', optStr(i.GroupId) ?? '*')],
    params: (i) => ({ groupId: optStr(i.GroupId), ipPermissions: permissionParams(i) }),
    run(i, ctx) {
      const g = group(ctx, need(i, 'GroupId'));
      const specs = rulesFrom(i);
      const unknown: RuleSpec[] = [];
      const revoked: SgRule[] = [];
      for (const s of specs) {
        const idx = g.rules.findIndex((r) => r.isEgress === egress && sameRule(r, s));
        if (idx < 0) unknown.push(s);
        else revoked.push(...g.rules.splice(idx, 1));
      }
      const unknownXml = permissions(
        ctx,
        unknown.map((s) => ({ ...s, ruleId: '', isEgress: egress })),
      );
      return {
        result: {
          return: true,
          ...(unknownXml.length ? { unknownIpPermissionSet: items(unknownXml) } : {}),
          revokedSecurityGroupRuleSet: items(
            revoked.map((r) => {
              const { securityGroupRuleArn: _a, groupOwnerId: _o, referencedGroupInfo: _g, ...x } = ruleXml(ctx, g, r);
              return { ...x, ...(r.groupId ? { referencedGroupId: r.groupId } : {}) };
            }),
          ),
        },
        responseElements: { requestId: ctx.requestId, _return: true },
      };
    },
  };
}

function tagsInput(i: Input): { key: string; value?: string }[] {
  return objList(i.Tag).map((t) => ({ key: optStr(t.Key) ?? '', value: optStr(t.Value) }));
}

function checkResources(ctx: CallContext, ids: string[]): void {
  if (ids.length === 0) throw err('MissingParameter', 'The request must contain the parameter resourceIdSet');
  for (const id of ids) {
    if (!/^[a-z]+(-[a-z]+)?-[0-9a-f]{8,17}$/.test(id)) throw err('InvalidID', `The ID '${id}' is not valid`);
    if (!home(ctx) || !ctx.account.ec2ResourceExists(id)) {
      const t = resourceType(id);
      if (t === 'instance') throw err('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      if (t === 'security-group') throw err('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      throw err('InvalidID', `The ID '${id}' is not valid`);
    }
  }
}

const operations: Record<string, Op> = {
  DescribeInstances: {
    action: 'ec2:DescribeInstances',
    readOnly: true,
    params: (i) => ({ instancesSet: idSet(strList(i.InstanceId), 'instanceId'), filterSet: filterParams(filters(i)) }),
    run(i, ctx) {
      const ids = strList(i.InstanceId);
      for (const id of ids) instance(ctx, id);
      const fs = filters(i);
      const all = home(ctx) ? [...ctx.account.instances.values()] : [];
      const selected = all.filter(
        (inst) =>
          (ids.length === 0 || ids.includes(inst.instanceId)) &&
          matchFilters(fs, (name) => {
            const enis = ctx.account.instanceInterfaces(inst.instanceId);
            switch (name) {
              case 'instance-id':
                return [inst.instanceId];
              case 'instance-state-name':
                return [inst.state];
              case 'vpc-id':
                return [inst.vpcId];
              case 'subnet-id':
                return [inst.subnetId];
              case 'private-ip-address':
                return [inst.privateIp];
              case 'ip-address':
                return inst.publicIp ? [inst.publicIp] : [];
              case 'network-interface.network-interface-id':
                return enis.map((n) => n.networkInterfaceId);
              case 'instance.group-id':
                return enis.flatMap((n) => n.groups);
              case 'iam-instance-profile.arn': {
                const a = ctx.account.liveAssociation(inst.instanceId);
                return a ? [a.profileArn] : [];
              }
              default:
                return tagFields(ctx, inst.instanceId, name);
            }
          }),
      );
      return {
        result: {
          reservationSet: items(
            selected.map((inst) => ({
              reservationId: inst.reservationId,
              ownerId: ctx.account.accountId,
              groupSet: items([]),
              instancesSet: items([instanceXml(ctx, inst)]),
            })),
          ),
        },
      };
    },
  },
  DescribeRegions: {
    action: 'ec2:DescribeRegions',
    readOnly: true,
    params: (i) => ({ regionSet: idSet(strList(i.RegionName), 'regionName') }),
    run(i) {
      const names = strList(i.RegionName);
      const all = i.AllRegions === 'true';
      const fs = filters(i);
      const regions = REGIONS.filter(
        (r) =>
          (names.length === 0 || names.includes(r)) &&
          (all || names.length > 0 || !OPT_IN.has(r)) &&
          matchFilters(fs, (n) =>
            n === 'region-name'
              ? [r]
              : n === 'endpoint'
                ? [`ec2.${r}.amazonaws.com`]
                : n === 'opt-in-status'
                  ? [OPT_IN.has(r) ? 'not-opted-in' : 'opt-in-not-required']
                  : undefined,
          ),
      );
      for (const n of names) if (!REGIONS.includes(n)) throw err('InvalidParameterValue', `Invalid region: ${n}`);
      return {
        result: {
          regionInfo: items(
            regions.map((r) => ({
              regionName: r,
              regionEndpoint: `ec2.${r}.amazonaws.com`,
              optInStatus: OPT_IN.has(r) ? 'not-opted-in' : 'opt-in-not-required',
            })),
          ),
        },
      };
    },
  },
  DescribeSecurityGroups: {
    action: 'ec2:DescribeSecurityGroups',
    readOnly: true,
    params: (i) => ({
      securityGroupSet: idSet(strList(i.GroupName), 'groupName'),
      securityGroupIdSet: idSet(strList(i.GroupId), 'groupId'),
      filterSet: filterParams(filters(i)),
    }),
    run(i, ctx) {
      const ids = strList(i.GroupId);
      const names = strList(i.GroupName);
      for (const id of ids) group(ctx, id);
      const fs = filters(i);
      const all = home(ctx) ? [...ctx.account.securityGroups.values()] : [];
      for (const n of names)
        if (!all.some((g) => g.groupName === n && g.vpcId === ctx.account.defaultVpcId))
          throw err('InvalidGroup.NotFound', `The security group '${n}' does not exist in default VPC '${ctx.account.defaultVpcId}'`);
      const selected = all.filter(
        (g) =>
          (ids.length === 0 || ids.includes(g.groupId)) &&
          (names.length === 0 || names.includes(g.groupName)) &&
          matchFilters(fs, (name) => {
            switch (name) {
              case 'group-id':
                return [g.groupId];
              case 'group-name':
                return [g.groupName];
              case 'vpc-id':
                return [g.vpcId];
              case 'description':
                return [g.description];
              case 'owner-id':
                return [ctx.account.accountId];
              default:
                return tagFields(ctx, g.groupId, name);
            }
          }),
      );
      return { result: { securityGroupInfo: items(selected.map((g) => groupXml(ctx, g))) } };
    },
  },
  CreateSecurityGroup: {
    action: 'ec2:CreateSecurityGroup',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'vpc', optStr(i.VpcId) ?? ctx.account.defaultVpcId), arn(ctx, 'security-group', '*')],
    params: (i) => ({
      groupName: optStr(i.GroupName),
      groupDescription: optStr(i.GroupDescription),
      vpcId: optStr(i.VpcId),
      ...(objList(i.TagSpecification).length
        ? {
            tagSpecificationSet: {
              items: objList(i.TagSpecification).map((t) => ({
                resourceType: optStr(t.ResourceType),
                tags: objList(t.Tag).map((x) => ({ key: optStr(x.Key), value: optStr(x.Value) })),
              })),
            },
          }
        : {}),
    }),
    run(i, ctx) {
      if (!home(ctx)) throw err('InvalidVpcID.NotFound', `The vpc ID '${optStr(i.VpcId) ?? ''}' does not exist`);
      const vpcId = optStr(i.VpcId);
      if (vpcId && !ctx.account.vpcs.has(vpcId)) throw err('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      const tags: Record<string, string> = {};
      for (const spec of objList(i.TagSpecification)) for (const t of objList(spec.Tag)) tags[optStr(t.Key) ?? ''] = optStr(t.Value) ?? '';
      const g = state(
        () =>
          ctx.account.createSecurityGroup({
            name: need(i, 'GroupName'),
            description: need(i, 'GroupDescription'),
            vpcId,
            tags: Object.keys(tags).length ? tags : undefined,
          }),
        { Exists: ['InvalidGroup.Duplicate', 400], NotFound: ['InvalidVpcID.NotFound', 400] },
      );
      const groupArn = arn(ctx, 'security-group', g.groupId);
      return {
        result: { return: true, groupId: g.groupId, securityGroupArn: groupArn, tagSet: tagSet(ctx, g.groupId) },
        responseElements: { requestId: ctx.requestId, _return: true, groupId: g.groupId, securityGroupArn: groupArn },
      };
    },
  },
  AuthorizeSecurityGroupIngress: authorize(false),
  AuthorizeSecurityGroupEgress: authorize(true),
  RevokeSecurityGroupIngress: revoke(false),
  RevokeSecurityGroupEgress: revoke(true),
  ModifyInstanceAttribute: {
    action: 'ec2:ModifyInstanceAttribute',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'instance', optStr(i.InstanceId) ?? '*')],
    params: (i) => ({ instanceId: optStr(i.InstanceId), ...(strList(i.GroupId).length ? { groupSet: idSet(strList(i.GroupId), 'groupId') } : {}) }),
    run(i, ctx) {
      const inst = instance(ctx, need(i, 'InstanceId'));
      const groups = strList(i.GroupId);
      if (groups.length === 0)
        throw err('InvalidParameterCombination', 'The lab supports only the security groups attribute (GroupId.N) of ModifyInstanceAttribute.');
      for (const g of groups) group(ctx, g);
      state(() => ctx.account.setNetworkInterfaceGroups(inst.networkInterfaceId, groups), { Invalid: ['InvalidGroup.NotFound', 400] });
      return { result: { return: true }, responseElements: { requestId: ctx.requestId, _return: true } };
    },
  },
  ModifyNetworkInterfaceAttribute: {
    action: 'ec2:ModifyNetworkInterfaceAttribute',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'network-interface', optStr(i.NetworkInterfaceId) ?? '*')],
    params: (i) => ({
      networkInterfaceId: optStr(i.NetworkInterfaceId),
      ...(strList(i.SecurityGroupId).length ? { groupSet: idSet(strList(i.SecurityGroupId), 'groupId') } : {}),
    }),
    run(i, ctx) {
      const id = need(i, 'NetworkInterfaceId');
      if (!home(ctx) || !ctx.account.networkInterfaces.has(id))
        throw err('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
      const groups = strList(i.SecurityGroupId);
      if (groups.length === 0)
        throw err('InvalidParameterCombination', 'The lab supports only the security groups attribute (SecurityGroupId.N) of ModifyNetworkInterfaceAttribute.');
      for (const g of groups) group(ctx, g);
      state(() => ctx.account.setNetworkInterfaceGroups(id, groups), { Invalid: ['InvalidParameterValue', 400] });
      return { result: { return: true }, responseElements: { requestId: ctx.requestId, _return: true } };
    },
  },
  DescribeIamInstanceProfileAssociations: {
    action: 'ec2:DescribeIamInstanceProfileAssociations',
    readOnly: true,
    params: (i) => ({ associationIds: strList(i.AssociationId), filterSet: filterParams(filters(i)) }),
    run(i, ctx) {
      const ids = strList(i.AssociationId);
      const fs = filters(i);
      const askState = fs.some((f) => f.name === 'state');
      const all = home(ctx) ? [...ctx.account.associations.values()] : [];
      for (const id of ids)
        if (!all.some((a) => a.associationId === id)) throw err('InvalidAssociationID.NotFound', `An association ID '${id}' does not exist`);
      const selected = all.filter(
        (a) =>
          (ids.length === 0 || ids.includes(a.associationId)) &&
          (askState || ids.length > 0 || a.state !== 'disassociated') &&
          matchFilters(fs, (name) => (name === 'instance-id' ? [a.instanceId] : name === 'state' ? [a.state] : undefined)),
      );
      return { result: { iamInstanceProfileAssociationSet: items(selected.map(associationXml)) } };
    },
  },
  AssociateIamInstanceProfile: {
    action: 'ec2:AssociateIamInstanceProfile',
    readOnly: false,
    resources: (i, ctx) => [arn(ctx, 'instance', optStr(i.InstanceId) ?? '*')],
    params: (i) => {
      const p = (i.IamInstanceProfile ?? {}) as Input;
      return { instanceId: optStr(i.InstanceId), iamInstanceProfile: { arn: optStr(p.Arn), name: optStr(p.Name) } };
    },
    run(i, ctx) {
      const inst = instance(ctx, need(i, 'InstanceId'));
      const p = (i.IamInstanceProfile ?? {}) as Input;
      const name = optStr(p.Name);
      const profileArn = optStr(p.Arn) ?? (name ? ctx.account.instanceProfiles.get(name)?.arn : undefined);
      if (!profileArn)
        throw err(
          'InvalidParameterValue',
          `Value (${name ?? optStr(p.Arn) ?? ''}) for parameter iamInstanceProfile is invalid. Invalid IAM Instance Profile name`,
        );
      const a = state(() => ctx.account.associateInstanceProfile(inst.instanceId, profileArn), {
        Conflict: ['IncorrectState', 400],
        Invalid: ['InvalidParameterValue', 400],
      });
      const x = associationXml({ ...a, state: 'associating' });
      return {
        result: { iamInstanceProfileAssociation: x },
        responseElements: { requestId: ctx.requestId, iamInstanceProfileAssociation: { ...x, timestamp: a.timestamp.getTime() } },
      };
    },
  },
  DisassociateIamInstanceProfile: {
    action: 'ec2:DisassociateIamInstanceProfile',
    readOnly: false,
    resources: (i, ctx) => {
      const a = ctx.account.associations.get(optStr(i.AssociationId) ?? '');
      return [arn(ctx, 'instance', a?.instanceId ?? '*')];
    },
    params: (i) => ({ associationId: optStr(i.AssociationId) }),
    run(i, ctx) {
      const id = need(i, 'AssociationId');
      if (!home(ctx)) throw err('InvalidAssociationID.NotFound', `An association ID '${id}' does not exist`);
      const a = state(() => ctx.account.disassociateInstanceProfile(id), { NotFound: ['InvalidAssociationID.NotFound', 400] });
      const x = associationXml({ ...a, state: 'disassociating' });
      return {
        result: { iamInstanceProfileAssociation: x },
        responseElements: { requestId: ctx.requestId, iamInstanceProfileAssociation: { ...x, timestamp: a.timestamp.getTime() } },
      };
    },
  },
  CreateTags: {
    action: 'ec2:CreateTags',
    readOnly: false,
    resources: (i, ctx) => strList(i.ResourceId).map((id) => resourceArn(ctx, id)),
    params: (i) => ({
      resourcesSet: idSet(strList(i.ResourceId), 'resourceId'),
      tagSet: { items: tagsInput(i).map((t) => ({ key: t.key, value: t.value ?? '' })) },
    }),
    run(i, ctx) {
      const ids = strList(i.ResourceId);
      checkResources(ctx, ids);
      const tags = tagsInput(i);
      for (const t of tags) {
        if (!t.key || t.key.length > 128) throw err('InvalidParameterValue', `Tag key must be 1-128 characters: '${t.key}'`);
        if (t.key.startsWith('aws:')) throw err('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
        if ((t.value ?? '').length > 256) throw err('InvalidParameterValue', 'Tag value exceeds the maximum length of 256 characters');
      }
      for (const id of ids) ctx.account.setTags(id, Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])));
      return { result: { return: true }, responseElements: { requestId: ctx.requestId, _return: true } };
    },
  },
  DeleteTags: {
    action: 'ec2:DeleteTags',
    readOnly: false,
    resources: (i, ctx) => strList(i.ResourceId).map((id) => resourceArn(ctx, id)),
    params: (i) => ({
      resourcesSet: idSet(strList(i.ResourceId), 'resourceId'),
      tagSet: { items: tagsInput(i).map((t) => ({ key: t.key, ...(t.value === undefined ? {} : { value: t.value }) })) },
    }),
    run(i, ctx) {
      const ids = strList(i.ResourceId);
      checkResources(ctx, ids);
      const tags = tagsInput(i);
      for (const id of ids) {
        if (tags.length === 0) ctx.account.tags.delete(id);
        else ctx.account.deleteTags(id, tags);
      }
      return { result: { return: true }, responseElements: { requestId: ctx.requestId, _return: true } };
    },
  },
  DescribeTags: {
    action: 'ec2:DescribeTags',
    readOnly: true,
    params: (i) => ({ filterSet: filterParams(filters(i)) }),
    run(i, ctx) {
      const fs = filters(i);
      const rows: { resourceId: string; resourceType: string; key: string; value: string }[] = [];
      if (home(ctx))
        for (const [id, tags] of ctx.account.tags)
          for (const [key, value] of tags) {
            const row = { resourceId: id, resourceType: resourceType(id), key, value };
            const ok = matchFilters(fs, (n) =>
              n === 'resource-id' ? [id] : n === 'resource-type' ? [row.resourceType] : n === 'key' ? [key] : n === 'value' ? [value] : undefined,
            );
            if (ok) rows.push(row);
          }
      return { result: { tagSet: items(rows) } };
    },
  },
};

export const ec2Service: ServiceDef<Input> = { name: 'ec2', eventSource: 'ec2.amazonaws.com', protocol: 'ec2', operations };
