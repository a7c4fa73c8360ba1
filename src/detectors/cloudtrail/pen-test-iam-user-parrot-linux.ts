import { ct } from '../case-helpers.js';
import type { Detector } from '../types.js';
import { penTestHit } from './pen-test.js';

const TYPE = 'PenTest:IAMUser/ParrotLinux';
const PATTERN = /parrot/i;

/** An API call whose user agent shows a Parrot Linux machine. */
export const penTestIamUserParrotLinux: Detector = {
  meta: {
    id: 'pen-test-iam-user-parrot-linux',
    findingType: TYPE,
    severity: 5,
    dataSource: 'CloudTrail management and S3 data events',
    summary: 'An API was invoked from a Parrot Linux computer.',
    aggregation: 'type, account, region, access key (or principal)',
  },
  evaluate: (e) => penTestHit(e, PATTERN, 'Parrot', TYPE),
  cases: [
    {
      name: 'botocore user agent with a Parrot kernel',
      expect: 1,
      records: [ct({ eventName: 'ListBuckets', eventSource: 's3', userAgent: 'aws-cli/1.32.1 Python/3.11.8 Linux/6.6.9-amd64-parrot1 botocore/1.34.1' })],
    },
    {
      name: 'ordinary Linux',
      expect: 0,
      records: [ct({ eventName: 'ListBuckets', eventSource: 's3', userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22' })],
    },
  ],
};
