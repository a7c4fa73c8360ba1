import { ct, iamUser } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { iamThreatHit } from './malicious-ip-caller.js';

const TYPE = 'Recon:IAMUser/MaliciousIPCaller.Custom';

/** A read-only List/Describe/Get (metadata) call from an address on a custom threat list. */
export const reconIamUserMaliciousIpCallerCustom: Detector = {
  meta: {
    id: 'recon-iam-user-malicious-ip-caller-custom',
    findingType: TYPE,
    severity: 5,
    dataSource: 'CloudTrail management events',
    summary: 'An API that lists or describes resources was invoked from an IP address on a custom threat list.',
    aggregation: 'type, account, region, access key (or principal), remote address',
  },
  evaluate: (e, ctx) => iamThreatHit(e, ctx, 'iam-recon', TYPE, 5),
  cases: [
    { name: 'GetUser from a listed address', expect: 1, threatList: ['198.51.100.7'], records: [ct({ eventName: 'GetUser' })] },
    {
      name: 'denied ListTables counts, repeated calls aggregate into one finding',
      expect: 1,
      threatList: ['198.51.100.0/24'],
      records: [
        ct({ eventSource: 'dynamodb', eventName: 'ListTables', errorCode: 'AccessDeniedException' }),
        ct({ eventSource: 'dynamodb', eventName: 'ListTables', errorCode: 'AccessDeniedException' }),
      ],
    },
    { name: 'DescribeParameters is recon', expect: 1, threatList: ['198.51.100.7'], records: [ct({ eventSource: 'ssm', eventName: 'DescribeParameters' })] },
    {
      name: 'GetParameters reads secrets: not recon',
      expect: 0,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 'ssm', eventName: 'GetParameters' })],
    },
    { name: 'address not listed', expect: 0, threatList: ['203.0.113.0/24'], records: [ct({ eventName: 'ListUsers' })] },
    {
      name: 'trusted list wins over the threat list',
      expect: 0,
      threatList: ['198.51.100.7'],
      trustedList: ['198.51.100.0/28'],
      records: [ct({ eventName: 'ListUsers' })],
    },
    {
      name: 'service name as source never matches',
      expect: 0,
      threatList: ['198.51.100.7'],
      records: [
        ct({
          eventName: 'ListUsers',
          sourceIPAddress: 'cloudformation.amazonaws.com',
          userIdentity: { ...iamUser(), invokedBy: 'cloudformation.amazonaws.com' },
        }),
      ],
    },
  ],
};
