import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { bucketHit } from './account-tampering.js';
import { publicAccessDetail, publicGrant } from './bucket-public-access.js';

const TYPE = 'Policy:S3/BucketAnonymousAccessGranted';

/** A bucket policy or ACL change that grants access to anyone on the internet. */
export const policyS3BucketAnonymousAccessGranted: Detector = {
  meta: {
    id: 'policy-s3-bucket-anonymous-access-granted',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail management events',
    summary: 'An S3 bucket was made accessible to anyone on the internet by a policy or ACL change.',
    aggregation: 'type, account, region, bucket',
    eventNames: ['PutBucketPolicy', 'PutBucketAcl', 'CreateBucket'],
  },
  evaluate(e) {
    const grant = publicGrant(e);
    if (grant?.scope !== 'anonymous') return undefined;
    return bucketHit(
      e,
      TYPE,
      8,
      'Amazon S3 public anonymous access was granted for the S3 bucket.',
      (b) => `The S3 bucket ${b} was made publicly accessible to anonymous users through its ${grant.via === 'bucketPolicy' ? 'bucket policy' : 'ACL'}.`,
      publicAccessDetail(grant),
    );
  },
  cases: [
    {
      name: 'policy with Principal "*"',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketPolicy',
          requestParameters: {
            bucketName: 'site',
            bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*' }] },
          },
        }),
      ],
    },
    {
      name: 'ACL grant to AllUsers',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketAcl',
          requestParameters: {
            bucketName: 'site',
            AccessControlPolicy: {
              AccessControlList: { Grant: [{ Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] },
            },
          },
        }),
      ],
    },
    {
      name: 'public principal limited to the organisation',
      expect: 0,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketPolicy',
          requestParameters: {
            bucketName: 'site',
            bucketPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: '*' },
                  Action: 's3:GetObject',
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
                },
              ],
            },
          },
        }),
      ],
    },
    {
      name: 'policy for one account',
      expect: 0,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketPolicy',
          requestParameters: {
            bucketName: 'site',
            bucketPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 's3:GetObject', Resource: '*' }] },
          },
        }),
      ],
    },
  ],
};
