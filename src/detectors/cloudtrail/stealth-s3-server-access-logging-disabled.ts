import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { bucketHit, requestParams, succeeded } from './account-tampering.js';

const TYPE = 'Stealth:S3/ServerAccessLoggingDisabled';

/** `PutBucketLogging` with a status that has no `LoggingEnabled` block: server access logging turned off. */
export const stealthS3ServerAccessLoggingDisabled: Detector = {
  meta: {
    id: 'stealth-s3-server-access-logging-disabled',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management events',
    summary: 'S3 server access logging was disabled for a bucket.',
    aggregation: 'type, account, region, bucket',
    eventNames: ['PutBucketLogging'],
  },
  evaluate(e) {
    if (e.source !== 's3.amazonaws.com' || !succeeded(e)) return undefined;
    const status = requestParams(e).BucketLoggingStatus;
    if (status && typeof status === 'object' && 'LoggingEnabled' in status) return undefined;
    return bucketHit(e, TYPE, 2, 'S3 server access logging was disabled for a bucket.', (b) => `Server access logging was disabled for the S3 bucket ${b}.`);
  },
  cases: [
    {
      name: 'workshop: put-bucket-logging --bucket-logging-status {}',
      expect: 1,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketLogging',
          readOnly: false,
          requestParameters: { bucketName: 'finance', BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' }, logging: [''] },
        }),
      ],
    },
    {
      name: 'enabling logging',
      expect: 0,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketLogging',
          requestParameters: { bucketName: 'finance', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'finance/' } } },
        }),
      ],
    },
    {
      name: 'denied attempt',
      expect: 0,
      records: [
        ct({
          eventSource: 's3',
          eventName: 'PutBucketLogging',
          errorCode: 'AccessDenied',
          requestParameters: { bucketName: 'finance', BucketLoggingStatus: {} },
        }),
      ],
    },
  ],
};
