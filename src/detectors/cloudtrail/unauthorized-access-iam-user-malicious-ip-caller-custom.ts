import { ct, instanceRole, root } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { iamThreatHit } from './malicious-ip-caller.js';

const TYPE = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom';

/** Any non-recon API call (changes, and reads that return secrets or credentials) from a threat-listed address. */
export const unauthorizedAccessIamUserMaliciousIpCallerCustom: Detector = {
  meta: {
    id: 'unauthorized-access-iam-user-malicious-ip-caller-custom',
    findingType: TYPE,
    severity: 5,
    dataSource: 'CloudTrail management events',
    summary: 'An API that changes resources or reads secrets was invoked from an IP address on a custom threat list.',
    aggregation: 'type, account, region, access key (or principal), remote address',
  },
  evaluate: (e, ctx) => iamThreatHit(e, ctx, 'iam-unauthorized', TYPE, 5),
  cases: [
    {
      name: 'ssm:GetParameters from a listed address',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 'ssm', eventName: 'GetParameters' })],
    },
    {
      name: 'denied CreateUser keeps counting',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [ct({ eventName: 'CreateUser', readOnly: false, errorCode: 'AccessDenied' })],
    },
    {
      name: 'secretsmanager:GetSecretValue',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 'secretsmanager', eventName: 'GetSecretValue' })],
    },
    {
      name: 'root and roles are covered too',
      expect: 2,
      threatList: ['198.51.100.7'],
      records: [
        ct({ eventName: 'CreateUser', readOnly: false, userIdentity: root() }),
        ct({ eventSource: 'ec2', eventName: 'RunInstances', readOnly: false, userIdentity: instanceRole() }),
      ],
    },
    { name: 'IPv6 threat entry', expect: 1, threatList: ['2001:db8::/32'], records: [ct({ eventName: 'CreateUser', sourceIPAddress: '2001:db8::17' })] },
    {
      name: 'GetCommandInvocation returns command output',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 'ssm', eventName: 'GetCommandInvocation' })],
    },
    {
      name: 'DescribeInstanceAttribute of userData reads user data',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [
        ct({ eventSource: 'ec2', eventName: 'DescribeInstanceAttribute', requestParameters: { instanceId: 'i-0a1b2c3d4e5f67890', attribute: 'userData' } }),
      ],
    },
    { name: 'ListUsers is recon, not this type', expect: 0, threatList: ['198.51.100.7'], records: [ct({ eventName: 'ListUsers' })] },
    {
      name: 'private address on a list never matches',
      expect: 0,
      threatList: ['10.0.0.0/8'],
      records: [ct({ eventName: 'CreateUser', sourceIPAddress: '10.1.2.3' })],
    },
  ],
};
