import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { bpaFlags, principalHit, requestParams, succeeded } from './account-tampering.js';

const TYPE = 'Policy:S3/AccountBlockPublicAccessDisabled';

/** Account-level S3 Block Public Access removed or weakened (S3 Control `Put/DeletePublicAccessBlock`). */
export const policyS3AccountBlockPublicAccessDisabled: Detector = {
  meta: {
    id: 'policy-s3-account-block-public-access-disabled',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management events',
    summary: 'S3 Block Public Access was disabled for the whole account.',
    aggregation: 'type, account, region',
    eventNames: ['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock', 'PutPublicAccessBlock', 'DeletePublicAccessBlock'],
  },
  evaluate(e) {
    if (e.source !== 's3.amazonaws.com' || !succeeded(e)) return undefined;
    const rp = requestParams(e);
    // Bucket-level calls name a bucket; account-level (S3 Control) calls name the account instead.
    if (typeof rp.bucketName === 'string' && !e.name.includes('Account')) return undefined;
    if (!e.name.includes('Account') && typeof rp.accountId !== 'string') return undefined;
    if (e.name.startsWith('Put')) {
      const flags = bpaFlags(rp.PublicAccessBlockConfiguration ?? rp.PublicAccessBlock);
      if (!flags || Object.values(flags).every(Boolean)) return undefined;
    }
    return principalHit(
      e,
      TYPE,
      2,
      'Amazon S3 Block Public Access was disabled for the account.',
      `S3 Block Public Access settings for account ${e.account} were ${e.name.startsWith('Delete') ? 'deleted' : 'weakened'}. Buckets in the account may now be made public.`,
      {},
      [],
    );
  },
  cases: [
    {
      name: 'DeleteAccountPublicAccessBlock',
      expect: 1,
      records: [ct({ eventSource: 's3', eventName: 'DeleteAccountPublicAccessBlock', requestParameters: { accountId: '111122223333' } })],
    },
    {
      name: 'S3 Control PutPublicAccessBlock with a flag off',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutPublicAccessBlock',
          requestParameters: {
            accountId: '111122223333',
            PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
          },
        }),
      ],
    },
    {
      name: 'bucket-level delete is the bucket finding',
      expect: 0,
      records: [ct({ eventSource: 's3', eventName: 'DeletePublicAccessBlock', requestParameters: { bucketName: 'finance' } })],
    },
    {
      name: 'denied',
      expect: 0,
      records: [
        ct({ eventSource: 's3', eventName: 'DeleteAccountPublicAccessBlock', errorCode: 'AccessDenied', requestParameters: { accountId: '111122223333' } }),
      ],
    },
  ],
};
