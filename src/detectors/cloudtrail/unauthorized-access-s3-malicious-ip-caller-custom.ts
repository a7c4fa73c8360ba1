import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { s3ThreatHit } from './malicious-ip-caller.js';

const TYPE = 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom';

/** An S3 data event that reads, writes or deletes objects from a threat-listed address. */
export const unauthorizedAccessS3MaliciousIpCallerCustom: Detector = {
  meta: {
    id: 'unauthorized-access-s3-malicious-ip-caller-custom',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail S3 data events',
    summary: 'An S3 API that reads, writes or deletes objects was invoked from an IP address on a custom threat list.',
    aggregation: 'type, account, region, bucket, remote address',
  },
  evaluate: (e, ctx) => s3ThreatHit(e, ctx, 's3-unauthorized', TYPE, 8),
  cases: [
    {
      name: 'GetObject from a listed address',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 's3', eventName: 'GetObject', eventCategory: 'Data', requestParameters: { bucketName: 'finance', key: 'q3.csv' } })],
    },
    {
      name: 'ListObjects is discovery, not this type',
      expect: 0,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 's3', eventName: 'ListObjects', eventCategory: 'Data', requestParameters: { bucketName: 'finance' } })],
    },
    {
      name: 'unlisted address',
      expect: 0,
      threatList: ['203.0.113.9'],
      records: [ct({ eventSource: 's3', eventName: 'PutObject', eventCategory: 'Data', requestParameters: { bucketName: 'finance' } })],
    },
  ],
};
