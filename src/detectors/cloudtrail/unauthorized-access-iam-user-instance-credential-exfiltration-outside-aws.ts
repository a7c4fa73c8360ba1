import { ct, instanceRole } from '../case-helpers.js';
import { accessKeyResource, apiCallAction, credentialKey, hitBase } from '../common.js';
import type { Detector } from '../types.js';
import { instanceCall, isConfiguredOwn, ownAddresses } from './instance-credentials.js';

const TYPE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

/**
 * Instance credentials used from an address outside AWS: not in AWS's published ranges, not private,
 * loopback or link-local, not an egress address configured for the account or instance (on-premises NAT or
 * VPN egress, the documented false positive), and not on the trusted list (handled by the engine).
 */
export const unauthorizedAccessIamUserInstanceCredentialExfiltrationOutsideAws: Detector = {
  meta: {
    id: 'unauthorized-access-iam-user-instance-credential-exfiltration-outside-aws',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail management and S3 data events',
    summary: 'Credentials created exclusively for an EC2 instance through an instance launch role were used from an IP address outside AWS.',
    aggregation: 'type, account, region, access key (one finding per stolen credential; the latest address is shown)',
  },
  evaluate(e, ctx) {
    const call = instanceCall(e);
    if (!call || !e.ip || ctx.intel.isAws(e.ip)) return undefined;
    if (isConfiguredOwn(ownAddresses(ctx), e.account, call.instanceId, call.address)) return undefined;
    return {
      type: TYPE,
      severity: 8,
      ...hitBase(e),
      key: [credentialKey(e)],
      resource: { ...accessKeyResource(e), instanceDetails: { instanceId: call.instanceId } },
      action: apiCallAction(e),
      resourceRole: 'TARGET',
      title: `Credentials for instance role ${call.role} used from external IP address.`,
      description: `Credentials created exclusively for an EC2 instance using instance role ${call.role} have been used from external IP address ${call.address}.`,
    };
  },
  cases: [
    {
      name: 'instance role used from a non-AWS address (IMDSv1)',
      expect: 1,
      records: [ct({ eventSource: 'dynamodb', eventName: 'ListTables', userIdentity: instanceRole(undefined, undefined, undefined, '1.0') })],
    },
    {
      name: 'record without ec2RoleDelivery still recognised by the instance-id session name; calls aggregate per key',
      expect: 1,
      records: [
        ct({ eventName: 'GetUser', userIdentity: instanceRole('AppRole', 'i-0abcdef1234567890', 'ASIAKEY1', undefined) }),
        ct({ eventName: 'CreateUser', userIdentity: instanceRole('AppRole', 'i-0abcdef1234567890', 'ASIAKEY1', undefined) }),
      ],
    },
    {
      name: 'from an AWS address (EC2 range) is not OutsideAWS',
      expect: 0,
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '18.236.253.47', userIdentity: instanceRole() })],
    },
    {
      name: 'from a private address (inside the VPC)',
      expect: 0,
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '10.0.1.50', userIdentity: instanceRole() })],
    },
    {
      name: 'AWS Internal',
      expect: 0,
      records: [ct({ eventName: 'SendHeartbeat', eventSource: 'ec2messages', sourceIPAddress: 'AWS Internal', userIdentity: instanceRole() })],
    },
    {
      name: 'service name as source',
      expect: 0,
      records: [ct({ eventName: 'Decrypt', eventSource: 'kms', sourceIPAddress: 'cloudformation.amazonaws.com', userIdentity: instanceRole() })],
    },
    {
      name: 'invoked by an AWS service',
      expect: 0,
      records: [ct({ eventName: 'DescribeInstances', eventSource: 'ec2', userIdentity: { ...instanceRole(), invokedBy: 'eks.amazonaws.com' } })],
    },
    {
      name: 'through a VPC endpoint',
      expect: 0,
      records: [ct({ eventName: 'GetObject', eventSource: 's3', vpcEndpointId: 'vpce-0123456789abcdef0', userIdentity: instanceRole() })],
    },
    {
      name: 'a role session that is not an instance',
      expect: 0,
      records: [
        ct({
          eventName: 'GetUser',
          userIdentity: { ...instanceRole(), arn: 'arn:aws:sts::111122223333:assumed-role/AppRole/alice', principalId: 'AROAEXAMPLEROLE00001:alice' },
        }),
      ],
    },
    { name: 'IAM user key', expect: 0, records: [ct({ eventName: 'GetUser' })] },
    {
      name: 'configured on-premises egress address',
      expect: 0,
      settings: { accounts: [{ id: '111122223333', egressAddresses: ['198.51.100.7'], affiliated: true }] },
      records: [ct({ eventName: 'GetUser', userIdentity: instanceRole() })],
    },
    { name: 'trusted address', expect: 0, trustedList: ['198.51.100.7'], records: [ct({ eventName: 'GetUser', userIdentity: instanceRole() })] },
  ],
};
