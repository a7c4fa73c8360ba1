import { ct } from '../case-helpers.js';
import { actorText } from '../common.js';
import type { Detector } from '../types.js';
import { principalHit, requestParams, succeeded } from './account-tampering.js';

const TYPE = 'Stealth:IAMUser/CloudTrailLoggingDisabled';

/**
 * A trail stopped (`StopLogging`), deleted (`DeleteTrail`), or made to log no management events
 * (`PutEventSelectors` / `PutInsightSelectors`-free: every selector excludes management events and names no
 * data resources, or advanced selectors that exclude the Management category).
 */
export const stealthIamUserCloudTrailLoggingDisabled: Detector = {
  meta: {
    id: 'stealth-iam-user-cloud-trail-logging-disabled',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management events',
    summary: 'A CloudTrail trail was disabled, deleted, or stopped logging management events.',
    aggregation: 'type, account, region, trail',
    eventNames: ['StopLogging', 'DeleteTrail', 'PutEventSelectors'],
  },
  evaluate(e) {
    if (e.source !== 'cloudtrail.amazonaws.com' || !succeeded(e)) return undefined;
    const rp = requestParams(e);
    const trail = String(rp.name ?? rp.trailName ?? '');
    if (e.name === 'PutEventSelectors' && !selectorsDropManagement(rp)) return undefined;
    const what = e.name === 'StopLogging' ? 'stopped' : e.name === 'DeleteTrail' ? 'deleted' : 'changed to stop logging management events';
    return principalHit(
      e,
      TYPE,
      2,
      'AWS CloudTrail trail was disabled.',
      `The CloudTrail trail ${trail || '(unnamed)'} was ${what} by ${actorText(e)}.`,
      trail ? { 'AWS::CloudTrail::Trail': trail } : {},
      [trail],
    );
  },
  cases: [
    {
      name: 'StopLogging',
      expect: 1,
      records: [
        ct({ eventSource: 'cloudtrail', eventName: 'StopLogging', requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' } }),
      ],
    },
    { name: 'DeleteTrail', expect: 1, records: [ct({ eventSource: 'cloudtrail', eventName: 'DeleteTrail', requestParameters: { name: 'main' } })] },
    {
      name: 'event selectors excluding management events',
      expect: 1,
      records: [
        ct({
          eventSource: 'cloudtrail',
          eventName: 'PutEventSelectors',
          requestParameters: { trailName: 'main', eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false, dataResources: [] }] },
        }),
      ],
    },
    {
      name: 'event selectors keeping management events',
      expect: 0,
      records: [
        ct({
          eventSource: 'cloudtrail',
          eventName: 'PutEventSelectors',
          requestParameters: { trailName: 'main', eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, dataResources: [] }] },
        }),
      ],
    },
    { name: 'StartLogging', expect: 0, records: [ct({ eventSource: 'cloudtrail', eventName: 'StartLogging', requestParameters: { name: 'main' } })] },
    {
      name: 'denied StopLogging',
      expect: 0,
      records: [ct({ eventSource: 'cloudtrail', eventName: 'StopLogging', errorCode: 'AccessDenied', requestParameters: { name: 'main' } })],
    },
  ],
};

function selectorsDropManagement(rp: Record<string, unknown>): boolean {
  const basic = rp.eventSelectors;
  if (Array.isArray(basic)) {
    return basic.every((s) => s && typeof s === 'object' && (s as Record<string, unknown>).includeManagementEvents === false);
  }
  const advanced = rp.advancedEventSelectors;
  if (Array.isArray(advanced)) {
    return !advanced.some((s) => JSON.stringify(s).includes('"Management"'));
  }
  return false;
}
