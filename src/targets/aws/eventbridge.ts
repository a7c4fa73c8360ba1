import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from '../types.js';
import { arnRegion, ClientOptionsSchema, clientConfig, entryErrorOutcome, errorOutcome, parseTargetConfig } from './common.js';

/** PutEvents' limit on one entry (bytes, as EventBridge counts them: Source, DetailType, Detail, Resources, Time). */
export const PUT_EVENTS_MAX_ENTRY_BYTES = 256 * 1024;

/**
 * `eventbridge` target options. `eventBusName`: a bus name or ARN (`default` when omitted). `source`: the Source of
 * the forwarded entry; PutEvents refuses sources that begin with `aws.`, so by default an `aws.x` source becomes
 * `trailhound.x` and any other source is kept. `detailType` overrides the event's `detail-type`.
 */
export const EventBridgeTargetConfigSchema = z.strictObject({
  type: z.literal('eventbridge').optional(),
  eventBusName: z
    .string()
    .min(1)
    .max(1600)
    .regex(/^(arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/, 'expected an event bus name or ARN')
    .default('default'),
  source: z
    .string()
    .min(1)
    .max(256)
    .refine((s) => !s.startsWith('aws.'), 'sources beginning with "aws." are reserved for AWS services')
    .optional(),
  detailType: z.string().min(1).max(128).optional(),
  ...ClientOptionsSchema,
});

export type EventBridgeTargetConfig = z.infer<typeof EventBridgeTargetConfigSchema>;

/** The source a forwarded event carries: the configured one, else the event's own with `aws.` replaced by `trailhound.`. */
export function forwardedSource(source: string, configured?: string): string {
  if (configured) return configured;
  return source.startsWith('aws.') ? `trailhound.${source.slice(4)}` : source;
}

/**
 * Sends the matched event to an event bus with PutEvents (one entry per delivery). The entry's Detail is the event's
 * `detail`, or, when the rule gave the target its own input, that input (which must then be a JSON object, as
 * PutEvents requires). PutEvents reports failures per entry inside a successful response (`FailedEntryCount`,
 * `Entries[].ErrorCode`): those are classified like thrown errors.
 */
export class EventBridgeTarget implements Target {
  readonly kind = 'eventbridge';

  constructor(
    readonly id: string,
    private readonly config: EventBridgeTargetConfig,
    private readonly client: EventBridgeClient,
  ) {}

  /** The exact PutEvents entry for a delivery, or an error text. */
  entry(input: DeliveryInput): PutEventsRequestEntry | { error: string } {
    const event = input.event;
    let detail: string;
    if (input.custom) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(input.text);
      } catch {
        return { error: 'the rule input is not JSON; PutEvents needs a JSON object as Detail' };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return { error: 'the rule input is not a JSON object; PutEvents needs one as Detail' };
      detail = input.text;
    } else {
      detail = JSON.stringify(event.detail ?? {});
    }
    const entry: PutEventsRequestEntry = {
      EventBusName: this.config.eventBusName,
      Source: forwardedSource(event.source, this.config.source),
      DetailType: this.config.detailType ?? event['detail-type'],
      Detail: detail,
      Resources: [...event.resources],
    };
    const time = Date.parse(event.time);
    if (!Number.isNaN(time)) entry.Time = new Date(time);
    return entry;
  }

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const entry = this.entry(input);
    if ('error' in entry) return { status: 'failed', error: `eventbridge: ${entry.error}` };
    const size = entrySize(entry);
    if (size > PUT_EVENTS_MAX_ENTRY_BYTES)
      return { status: 'failed', error: `eventbridge: the entry is ${size} bytes, over PutEvents' limit of ${PUT_EVENTS_MAX_ENTRY_BYTES}` };
    const what = `eventbridge PutEvents to ${this.config.eventBusName}`;
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: [entry] }));
      const result = out.Entries?.[0];
      if ((out.FailedEntryCount ?? 0) > 0 || result?.ErrorCode) return entryErrorOutcome(what, result?.ErrorCode, result?.ErrorMessage);
      return { status: 'delivered', detail: `eventbridge EventId ${result?.EventId ?? '(none)'}` };
    } catch (err) {
      return errorOutcome(what, err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** Entry size as the PutEvents documentation computes it. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r, 'utf8');
  return size;
}

/** Validates the options (throws `ConfigError`) and builds the target. `client` replaces the SDK client (tests). */
export function createEventBridgeTarget(id: string, config: unknown, _deps?: TargetDeps, client?: EventBridgeClient): EventBridgeTarget {
  const c = parseTargetConfig(EventBridgeTargetConfigSchema, id, config);
  return new EventBridgeTarget(id, c, client ?? new EventBridgeClient(clientConfig(c, arnRegion(c.eventBusName))));
}
