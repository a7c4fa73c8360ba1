import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from '../types.js';
import { arnRegion, ClientOptionsSchema, clientConfig, errorOutcome, parseTargetConfig } from './common.js';

/** SNS's limit on a message body (bytes, UTF-8). */
export const SNS_MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * `sns` target options. `subject` follows SNS's rules for e-mail subjects: 1-100 printable ASCII characters, no line
 * breaks. FIFO topics (`.fifo`) need `messageGroupId`; the event id is the deduplication id. The region defaults to
 * the topic ARN's region.
 */
export const SnsTargetConfigSchema = z
  .strictObject({
    type: z.literal('sns').optional(),
    topicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'expected an SNS topic ARN'),
    subject: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[\x20-\x7e]+$/, 'printable ASCII only, no line breaks')
      .optional(),
    messageGroupId: z.string().min(1).max(128).optional(),
    ...ClientOptionsSchema,
  })
  .refine((c) => !c.topicArn.endsWith('.fifo') || c.messageGroupId !== undefined, {
    message: 'a FIFO topic needs messageGroupId',
    path: ['messageGroupId'],
  });

export type SnsTargetConfig = z.infer<typeof SnsTargetConfigSchema>;

/** Publishes the target's input text to an SNS topic. */
export class SnsTarget implements Target {
  readonly kind = 'sns';

  constructor(
    readonly id: string,
    private readonly config: SnsTargetConfig,
    private readonly client: SNSClient,
  ) {}

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    if (input.text.length === 0) return { status: 'failed', error: 'sns: the message is empty (SNS rejects empty messages)' };
    const bytes = Buffer.byteLength(input.text, 'utf8');
    if (bytes > SNS_MAX_MESSAGE_BYTES) return { status: 'failed', error: `sns: the message is ${bytes} bytes, over SNS's limit of ${SNS_MAX_MESSAGE_BYTES}` };
    const params: PublishCommandInput = { TopicArn: this.config.topicArn, Message: input.text };
    if (this.config.subject !== undefined) params.Subject = this.config.subject;
    if (this.config.messageGroupId !== undefined) {
      params.MessageGroupId = this.config.messageGroupId;
      params.MessageDeduplicationId = input.event.id.slice(0, 128);
    }
    try {
      const out = await this.client.send(new PublishCommand(params));
      return { status: 'delivered', detail: `sns MessageId ${out.MessageId ?? '(none)'}` };
    } catch (err) {
      return errorOutcome(`sns Publish to ${this.config.topicArn}`, err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** Validates the options (throws `ConfigError`) and builds the target. `client` replaces the SDK client (tests). */
export function createSnsTarget(id: string, config: unknown, _deps?: TargetDeps, client?: SNSClient): SnsTarget {
  const c = parseTargetConfig(SnsTargetConfigSchema, id, config);
  return new SnsTarget(id, c, client ?? new SNSClient(clientConfig(c, arnRegion(c.topicArn))));
}
