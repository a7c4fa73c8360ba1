import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBridgeTarget, forwardedSource } from './eventbridge.js';
import { awsError, eventOf, inputOf, workshopFinding } from './test-helpers.js';

const eb = mockClient(EventBridgeClient);
afterEach(() => eb.reset());

const ice = workshopFinding('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');

describe('eventbridge target', () => {
  it('puts the event on the bus: detail, detail-type, time, resources, source renamed from aws.*', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const t = createEventBridgeTarget('bus', { eventBusName: 'security' });
    const event = eventOf(ice);
    const out = await t.deliver(inputOf(event));
    expect(out).toEqual({ status: 'delivered', detail: 'eventbridge EventId e-1' });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
    const input = eb.commandCalls(PutEventsCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Entries: [
        {
          EventBusName: 'security',
          Source: 'trailhound.guardduty',
          DetailType: 'GuardDuty Finding',
          Detail: JSON.stringify(ice),
          Resources: [],
          Time: new Date('2026-03-01T12:34:56Z'),
        },
      ],
    });
    expect(JSON.parse(input.Entries![0]!.Detail!)).toEqual(ice);
  });

  it('uses the configured source and detail type, the default bus, and a custom JSON input as Detail', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    const t = createEventBridgeTarget('bus', { source: 'corp.security', detailType: 'Trailhound Finding' });
    await t.deliver(inputOf(eventOf(ice), '{"id":"x"}'));
    const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'default', Source: 'corp.security', DetailType: 'Trailhound Finding', Detail: '{"id":"x"}' });
  });

  it('refuses a custom input that is not a JSON object, without calling', async () => {
    const t = createEventBridgeTarget('bus', {});
    expect((await t.deliver(inputOf(eventOf(ice), '"a string"'))).status).toBe('failed');
    expect((await t.deliver(inputOf(eventOf(ice), 'plain text'))).status).toBe('failed');
    expect(eb.calls()).toHaveLength(0);
  });

  it.each([
    ['ThrottlingException', 'retry'],
    ['InternalFailure', 'retry'],
    ['AccessDeniedException', 'failed'],
    ['MalformedDetail', 'failed'],
    ['NotAuthorizedForSourceException', 'failed'],
  ])('FailedEntryCount with entry error %s -> %s', async (code, expected) => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: 'why' }] });
    const out = await createEventBridgeTarget('bus', {}).deliver(inputOf(eventOf(ice)));
    expect(out).toEqual({ status: expected, error: `eventbridge PutEvents to default: ${code}: why` });
  });

  it.each([
    ['ThrottlingException', 400, 'retry'],
    ['InternalException', 500, 'retry'],
    ['AccessDeniedException', 400, 'failed'],
    ['ValidationException', 400, 'failed'],
    ['ResourceNotFoundException', 400, 'failed'],
  ])('thrown %s (HTTP %d) -> %s', async (name, status, expected) => {
    eb.on(PutEventsCommand).rejects(awsError(name, status));
    const out = await createEventBridgeTarget('bus', {}).deliver(inputOf(eventOf(ice)));
    expect(out.status).toBe(expected);
  });

  it('names the forwarded source', () => {
    expect(forwardedSource('aws.guardduty')).toBe('trailhound.guardduty');
    expect(forwardedSource('custom.app')).toBe('custom.app');
    expect(forwardedSource('aws.guardduty', 'x.y')).toBe('x.y');
  });

  it('rejects bad options', () => {
    expect(() => createEventBridgeTarget('bus', { source: 'aws.guardduty' })).toThrow(/reserved/);
    expect(() => createEventBridgeTarget('bus', { eventBusName: 'bad bus' })).toThrow(/event bus/);
    expect(() => createEventBridgeTarget('bus', { bus: 'x' })).toThrow(/bus/);
  });
});
