import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { s3ThreatHit } from './malicious-ip-caller.js';

const TYPE = 'Discovery:S3/MaliciousIPCaller.Custom';

/** An S3 data event that lists or reads metadata (ListObjects, HeadObject, GetObjectAcl...) from a listed address. */
export const discoveryS3MaliciousIpCallerCustom: Detector = {
  meta: {
    id: 'discovery-s3-malicious-ip-caller-custom',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail S3 data events',
    summary: 'An S3 API used to discover objects was invoked from an IP address on a custom threat list.',
    aggregation: 'type, account, region, bucket, remote address',
  },
  evaluate: (e, ctx) => s3ThreatHit(e, ctx, 's3-discovery', TYPE, 8),
  cases: [
    {
      name: 'ListObjects on a bucket',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [
        ct({ eventSource: 's3', eventName: 'ListObjects', eventCategory: 'Data', managementEvent: false, requestParameters: { bucketName: 'finance' } }),
      ],
    },
    {
      name: 'old record without eventCategory is recognised by API name',
      expect: 1,
      threatList: ['198.51.100.7'],
      records: [
        ct({
          eventSource: 's3',
          eventName: 'HeadObject',
          eventCategory: undefined,
          managementEvent: undefined,
          requestParameters: { bucketName: 'finance', key: 'a' },
        }),
      ],
    },
    {
      name: 'GetObject reads data: not discovery',
      expect: 0,
      threatList: ['198.51.100.7'],
      records: [ct({ eventSource: 's3', eventName: 'GetObject', eventCategory: 'Data', requestParameters: { bucketName: 'b' } })],
    },
    { name: 'ListBuckets is a management event', expect: 0, threatList: ['198.51.100.7'], records: [ct({ eventSource: 's3', eventName: 'ListBuckets' })] },
  ],
};
