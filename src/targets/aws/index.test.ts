import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { awsTargetFactories, classifyAwsError } from './index.js';
import { awsError } from './test-helpers.js';

describe('aws target factories', () => {
  const deps = { clock: fixedClock(0), env: {} };

  it('builds each kind from its options (including an optional matching type field)', async () => {
    const sns = awsTargetFactories.sns('a', { type: 'sns', topicArn: 'arn:aws:sns:us-west-2:111122223333:t' }, deps);
    const eb = awsTargetFactories.eventbridge('b', { eventBusName: 'arn:aws:events:eu-west-1:111122223333:event-bus/sec' }, deps);
    const hub = awsTargetFactories.securityhub('c', { region: 'us-east-1' }, deps);
    expect([sns.kind, eb.kind, hub.kind]).toEqual(['sns', 'eventbridge', 'securityhub']);
    expect(await (eb as unknown as { client: { config: { region(): Promise<string> } } }).client.config.region()).toBe('eu-west-1');
    await Promise.all([sns.close?.(), eb.close?.(), hub.close?.()]);
    expect(() => awsTargetFactories.sns('a', { type: 'email', topicArn: 'arn:aws:sns:us-west-2:111122223333:t' }, deps)).toThrow(/type/);
  });

  it.each([
    [awsError('LimitExceededException', 409), 'failed'],
    [awsError('ConcurrentModificationException', 409), 'retry'],
    [awsError('NoSuchEntityException', 404), 'failed'],
    [awsError('UnrecognizedClientException', 400), 'failed'],
    [awsError('SomethingNew', 502), 'retry'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'retry'],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'failed'],
    ['a string', 'failed'],
  ])('classifies %o as %s', (err, expected) => {
    expect(classifyAwsError(err)).toBe(expected);
  });
});
