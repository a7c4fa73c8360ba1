import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { bpaFlags, bucketHit, requestParams, succeeded } from './account-tampering.js';

const TYPE = 'Policy:S3/BucketBlockPublicAccessDisabled';

/**
 * Bucket-level Block Public Access removed (`DeletePublicAccessBlock`) or weakened (`PutPublicAccessBlock`
 * with any of the four settings false).
 */
export const policyS3BucketBlockPublicAccessDisabled: Detector = {
  meta: {
    id: 'policy-s3-bucket-block-public-access-disabled',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management events',
    summary: 'Block Public Access was disabled for an S3 bucket.',
    aggregation: 'type, account, region, bucket',
    eventNames: ['DeletePublicAccessBlock', 'PutPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutBucketPublicAccessBlock'],
  },
  evaluate(e) {
    if (e.source !== 's3.amazonaws.com' || !succeeded(e)) return undefined;
    const rp = requestParams(e);
    if (e.name.startsWith('Put')) {
      const flags = bpaFlags(rp.PublicAccessBlockConfiguration ?? rp.PublicAccessBlock);
      if (!flags || Object.values(flags).every(Boolean)) return undefined;
      return bucketHit(
        e,
        TYPE,
        2,
        'Amazon S3 Block Public Access was disabled for an S3 bucket.',
        (b) =>
          `Block Public Access settings for the S3 bucket ${b} were weakened (${Object.entries(flags)
            .filter(([, v]) => !v)
            .map(([k]) => k)
            .join(', ')} turned off).`,
        { publicAccess: { permissionConfiguration: { bucketLevelPermissions: { blockPublicAccess: toBpa(flags) } } } },
      );
    }
    return bucketHit(
      e,
      TYPE,
      2,
      'Amazon S3 Block Public Access was disabled for an S3 bucket.',
      (b) => `Block Public Access settings for the S3 bucket ${b} were deleted.`,
      {
        publicAccess: { permissionConfiguration: { bucketLevelPermissions: { blockPublicAccess: toBpa({}) } } },
      },
    );
  },
  cases: [
    {
      name: 'workshop: delete-public-access-block',
      expect: 1,
      records: [
        ct({ eventSource: 's3', eventName: 'DeletePublicAccessBlock', readOnly: false, requestParameters: { bucketName: 'finance', publicAccessBlock: [''] } }),
      ],
    },
    {
      name: 'put with BlockPublicPolicy false',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutPublicAccessBlock',
          requestParameters: {
            bucketName: 'finance',
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true },
          },
        }),
      ],
    },
    {
      name: 'put with everything on',
      expect: 0,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutPublicAccessBlock',
          requestParameters: {
            bucketName: 'finance',
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
          },
        }),
      ],
    },
    {
      name: 'denied delete',
      expect: 0,
      records: [ct({ eventSource: 's3', eventName: 'DeletePublicAccessBlock', errorCode: 'AccessDenied', requestParameters: { bucketName: 'finance' } })],
    },
  ],
};

function toBpa(flags: Record<string, boolean>) {
  return {
    blockPublicAcls: flags.blockPublicAcls ?? false,
    ignorePublicAcls: flags.ignorePublicAcls ?? false,
    blockPublicPolicy: flags.blockPublicPolicy ?? false,
    restrictPublicBuckets: flags.restrictPublicBuckets ?? false,
  };
}
