import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { bucketHit } from './account-tampering.js';
import { publicAccessDetail, publicGrant } from './bucket-public-access.js';

const TYPE = 'Policy:S3/BucketPublicAccessGranted';

/** A bucket ACL change that grants access to every authenticated AWS user (any account). */
export const policyS3BucketPublicAccessGranted: Detector = {
  meta: {
    id: 'policy-s3-bucket-public-access-granted',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail management events',
    summary: 'An S3 bucket was made accessible to all authenticated AWS users.',
    aggregation: 'type, account, region, bucket',
    eventNames: ['PutBucketAcl', 'CreateBucket'],
  },
  evaluate(e) {
    const grant = publicGrant(e);
    if (grant?.scope !== 'authenticated') return undefined;
    return bucketHit(
      e,
      TYPE,
      8,
      'Amazon S3 public access was granted for the S3 bucket.',
      (b) => `The S3 bucket ${b} was made accessible to all authenticated AWS users through its ACL.`,
      publicAccessDetail(grant),
    );
  },
  cases: [
    {
      name: 'ACL grant to AuthenticatedUsers',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketAcl',
          requestParameters: {
            bucketName: 'site',
            AccessControlPolicy: {
              AccessControlList: { Grant: [{ Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, Permission: 'READ' }] },
            },
          },
        }),
      ],
    },
    {
      name: 'canned authenticated-read',
      expect: 1,
      records: [ct({ eventSource: 's3', eventName: 'PutBucketAcl', requestParameters: { bucketName: 'site', 'x-amz-acl': ['authenticated-read'] } })],
    },
    {
      name: 'canned private',
      expect: 0,
      records: [ct({ eventSource: 's3', eventName: 'PutBucketAcl', requestParameters: { bucketName: 'site', 'x-amz-acl': ['private'] } })],
    },
  ],
};
