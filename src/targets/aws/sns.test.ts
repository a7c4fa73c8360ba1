import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { createSnsTarget } from './sns.js';
import { awsError, eventOf, inputOf, workshopFinding } from './test-helpers.js';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:us-west-2:111122223333:GuardDuty-Example';
const ice = workshopFinding('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');

describe('sns target', () => {
  it('publishes the input text to the topic, with the subject', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const t = createSnsTarget('sns', { topicArn: TOPIC, subject: 'GuardDuty finding' });
    const text = 'GuardDuty Finding | ID:05020899fafca4ac9cb826407ee0956b: An EC2 instance IAM credentials may be compromised.';
    const out = await t.deliver(inputOf(eventOf(ice), text));
    expect(out).toEqual({ status: 'delivered', detail: 'sns MessageId m-1' });
    expect(sns.calls()).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({ TopicArn: TOPIC, Message: text, Subject: 'GuardDuty finding' });
  });

  it('omits Subject when none is configured, and sends the whole event when the rule gave no input', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const t = createSnsTarget('sns', { topicArn: TOPIC });
    const input = inputOf(eventOf(ice));
    await t.deliver(input);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({ TopicArn: TOPIC, Message: input.text });
  });

  it('takes its region from the topic ARN unless configured', async () => {
    const t = createSnsTarget('sns', { topicArn: TOPIC });
    expect(await (t as unknown as { client: SNSClient }).client.config.region()).toBe('us-west-2');
    const u = createSnsTarget('sns', { topicArn: TOPIC, region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' });
    const cfg = (u as unknown as { client: SNSClient }).client.config;
    expect(await cfg.region()).toBe('eu-west-1');
    const ep = await cfg.endpoint!();
    expect(`${ep.protocol}//${ep.hostname}:${ep.port}`).toBe('http://127.0.0.1:4566');
  });

  it('uses the event id as deduplication id on a FIFO topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    const t = createSnsTarget('sns', { topicArn: `${TOPIC}.fifo`, messageGroupId: 'findings' });
    await t.deliver(inputOf(eventOf(ice, 'ev-1'), 'x'));
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: `${TOPIC}.fifo`,
      Message: 'x',
      MessageGroupId: 'findings',
      MessageDeduplicationId: 'ev-1',
    });
  });

  it.each([
    ['ThrottlingException', 400, 'retry'],
    ['InternalErrorException', 500, 'retry'],
    ['ServiceUnavailable', 503, 'retry'],
    ['AuthorizationErrorException', 403, 'failed'],
    ['InvalidParameterException', 400, 'failed'],
    ['NotFoundException', 404, 'failed'],
  ])('classifies %s (HTTP %d) as %s', async (name, status, expected) => {
    sns.on(PublishCommand).rejects(awsError(name, status));
    const t = createSnsTarget('sns', { topicArn: TOPIC });
    const out = await t.deliver(inputOf(eventOf(ice), 'x'));
    expect(out.status).toBe(expected);
    expect((out as { error: string }).error).toContain(name);
  });

  it('retries on a network error', async () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    sns.on(PublishCommand).rejects(err);
    const out = await createSnsTarget('sns', { topicArn: TOPIC }).deliver(inputOf(eventOf(ice), 'x'));
    expect(out.status).toBe('retry');
  });

  it('refuses an oversized or empty message without calling SNS', async () => {
    const t = createSnsTarget('sns', { topicArn: TOPIC });
    expect((await t.deliver(inputOf(eventOf(ice), 'x'.repeat(256 * 1024 + 1)))).status).toBe('failed');
    expect((await t.deliver(inputOf(eventOf(ice), ''))).status).toBe('failed');
    expect(sns.calls()).toHaveLength(0);
  });

  it('rejects bad options with every issue', () => {
    expect(() => createSnsTarget('sns', { topicArn: 'nope', subject: 'a\nb', extra: 1 })).toThrow(ConfigError);
    try {
      createSnsTarget('sns', { topicArn: 'nope', subject: 'a\nb', extra: 1 });
    } catch (err) {
      const paths = (err as ConfigError).issues.map((i) => i.path).sort();
      expect(paths).toEqual(['', 'subject', 'topicArn']);
    }
    expect(() => createSnsTarget('sns', { topicArn: `${TOPIC}.fifo` })).toThrow(/messageGroupId/);
  });
});
