import { ct, iamUser, root } from '../case-helpers.js';
import { madeByAwsService } from '../common.js';
import type { Detector } from '../types.js';
import { principalHit } from './account-tampering.js';

const TYPE = 'Policy:IAMUser/RootCredentialUsage';

/**
 * A request made with the root user's credentials (API calls and console sign-ins, successful or not).
 * Calls an AWS service makes for the root user (`invokedBy` naming a service) and service events are not counted;
 * console calls (`invokedBy: signin.amazonaws.com`) are the root user's own and count.
 */
export const policyIamUserRootCredentialUsage: Detector = {
  meta: {
    id: 'policy-iam-user-root-credential-usage',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management and S3 data events',
    summary: 'A request was made using the root user credentials.',
    aggregation: 'type, account, region',
  },
  evaluate(e) {
    const p = e.principal;
    if (p.type !== 'Root' || madeByAwsService(e) || e.record.eventType === 'AwsServiceEvent') return undefined;
    return principalHit(
      e,
      TYPE,
      2,
      `API ${e.name} was invoked using root credentials.`,
      `API ${e.name} was invoked using root credentials${e.errorCode ? ` (it failed with ${e.errorCode})` : ''}. Root credentials should not be used for everyday work.`,
      {},
      [],
    );
  },
  cases: [
    { name: 'root API call', expect: 1, records: [ct({ eventName: 'CreateAccessKey', readOnly: false, userIdentity: root() })] },
    {
      name: 'root console sign-in',
      expect: 1,
      records: [
        ct({
          eventSource: 'signin',
          eventName: 'ConsoleLogin',
          eventType: 'AwsConsoleSignIn',
          userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
        }),
      ],
    },
    {
      name: 'root creating a key in the console',
      expect: 1,
      records: [ct({ eventName: 'CreateAccessKey', readOnly: false, userIdentity: { ...root(), invokedBy: 'signin.amazonaws.com' } })],
    },
    { name: 'IAM user', expect: 0, records: [ct({ eventName: 'CreateAccessKey', userIdentity: iamUser() })] },
    {
      name: 'invoked by a service for root',
      expect: 0,
      records: [ct({ eventName: 'PutObject', eventSource: 's3', userIdentity: { ...root(), invokedBy: 'cloudtrail.amazonaws.com' } })],
    },
  ],
};
