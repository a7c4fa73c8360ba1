import { describe, expect, it } from 'vitest';
import { parseEventTime } from './cloudtrail.js';

describe('parseEventTime', () => {
  it('reads CloudTrail times and other exports, always as UTC when no zone is given', () => {
    expect(parseEventTime('2021-03-08T17:41:02Z')).toBe(Date.UTC(2021, 2, 8, 17, 41, 2));
    expect(parseEventTime('2024-11-25 17:51:21.000000000')).toBe(Date.UTC(2024, 10, 25, 17, 51, 21));
    expect(parseEventTime('2024-11-25T17:51:21.123456Z')).toBe(Date.UTC(2024, 10, 25, 17, 51, 21, 123));
    expect(parseEventTime('2024-11-25T19:51:21+02:00')).toBe(Date.UTC(2024, 10, 25, 17, 51, 21));
    expect(parseEventTime('2024-11-25T19:51:21+0200')).toBe(Date.UTC(2024, 10, 25, 17, 51, 21));
  });

  it('rejects what is not an ISO-8601 time', () => {
    for (const bad of ['redacted', '', '2024-13-45T99:00:00Z', 'Mon, 25 Nov 2024 17:51:21 GMT', '1732557081']) expect(parseEventTime(bad), bad).toBeUndefined();
  });
});

describe('NDJSON recognition', () => {
  it('a bad first line and a last line without a newline: only the bad line is rejected', async () => {
    const { parseCloudTrailDocument } = await import('./cloudtrail.js');
    const good = JSON.stringify({
      eventTime: '2024-01-01T00:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'GetUser',
      userIdentity: { type: 'IAMUser' },
    });
    const r = parseCloudTrailDocument(`{"truncated\n${good}`, 'f.json');
    expect(r.events).toHaveLength(1);
    expect(r.errors.map((e) => e.location)).toEqual(['f.json:1']);
  });

  it('a broken pretty-printed document is rejected whole, not read line by line', async () => {
    const { parseCloudTrailDocument } = await import('./cloudtrail.js');
    const r = parseCloudTrailDocument('{\n  "Records": [\n    {"eventName": "x",\n', 'f.json');
    expect(r.events).toEqual([]);
    expect(r.errors.map((e) => e.location)).toEqual(['f.json']);
  });
});
