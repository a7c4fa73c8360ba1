import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError, InputError } from '../core/errors.js';
import type { CheckpointStore } from './checkpoint.js';
import { classifyAnnouncedKey, readS3Object, type S3SourceStats, type SkippedCounts } from './s3.js';
import { PolledSource, SourceError, type SourceObject } from './source.js';

export interface SqsS3SourceOptions {
  /** The configured source's name (the checkpoint key's namespace). */
  name: string;
  queueUrl: string;
  sqs: SQSClient;
  s3: S3Client;
  checkpoints: CheckpointStore;
  /** Long-poll wait per receive, 0 to 20 seconds. Default 20. */
  waitTimeSeconds?: number;
  /** Visibility timeout asked for each receive; the queue's own when absent. It must cover reading and committing a batch. */
  visibilityTimeoutSeconds?: number;
  /** Epoch ms now; injected for tests. */
  now?: () => number;
}

/** One object a notification announced. */
export interface AnnouncedObject {
  bucket: string;
  key: string;
  /** From an S3 event notification; CloudTrail's own notification has none (HeadObject supplies it). */
  etag?: string;
  eventTime?: number;
}

export type ParsedNotification = { kind: 'test' } | { kind: 'objects'; objects: AnnouncedObject[] } | { kind: 'invalid'; reason: string };

/**
 * Reads a queue message body: an S3 event notification (`Records[].s3`, keys URL-encoded with `+` for spaces), the
 * same inside an SNS envelope (`{"Type":"Notification","Message":"..."}`), CloudTrail's own SNS notification
 * (`{"s3Bucket":..., "s3ObjectKey":[...]}`, keys not encoded), or S3's `s3:TestEvent`. Records other than
 * `ObjectCreated:*` announce nothing to read.
 */
export function parseNotification(body: string | undefined): ParsedNotification {
  let doc: unknown;
  try {
    doc = JSON.parse(body ?? '');
  } catch {
    return { kind: 'invalid', reason: 'the body is not JSON' };
  }
  if (isObject(doc) && doc.Type === 'Notification' && typeof doc.Message === 'string') {
    try {
      doc = JSON.parse(doc.Message);
    } catch {
      return { kind: 'invalid', reason: 'the SNS envelope’s Message is not JSON' };
    }
  }
  if (!isObject(doc)) return { kind: 'invalid', reason: 'the body is not a JSON object' };
  if (doc.Event === 's3:TestEvent') return { kind: 'test' };
  if (Array.isArray(doc.Records)) {
    const objects: AnnouncedObject[] = [];
    for (const [i, r] of doc.Records.entries()) {
      const s3 = isObject(r) ? r.s3 : undefined;
      const bucket = isObject(s3) && isObject(s3.bucket) ? s3.bucket.name : undefined;
      const object = isObject(s3) ? s3.object : undefined;
      const rawKey = isObject(object) ? object.key : undefined;
      if (!isObject(r) || typeof bucket !== 'string' || typeof rawKey !== 'string' || bucket === '' || rawKey === '') {
        return { kind: 'invalid', reason: `Records[${i}] is not an S3 event record (no s3.bucket.name or s3.object.key)` };
      }
      if (typeof r.eventName === 'string' && !r.eventName.startsWith('ObjectCreated:')) continue;
      let key: string;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {
        return { kind: 'invalid', reason: `Records[${i}].s3.object.key is not URL-encoded: ${JSON.stringify(rawKey)}` };
      }
      const etag = isObject(object) && typeof object.eTag === 'string' && object.eTag !== '' ? object.eTag : undefined;
      const eventTime = typeof r.eventTime === 'string' ? Date.parse(r.eventTime) : Number.NaN;
      objects.push({ bucket, key, ...(etag ? { etag } : {}), ...(Number.isNaN(eventTime) ? {} : { eventTime }) });
    }
    return { kind: 'objects', objects };
  }
  if (typeof doc.s3Bucket === 'string' && Array.isArray(doc.s3ObjectKey)) {
    const bucket = doc.s3Bucket;
    const keys = doc.s3ObjectKey;
    if (bucket === '' || !keys.every((k): k is string => typeof k === 'string' && k !== '')) {
      return { kind: 'invalid', reason: 'CloudTrail notification with an empty s3Bucket or a non-string s3ObjectKey' };
    }
    return { kind: 'objects', objects: keys.map((key) => ({ bucket, key })) };
  }
  return { kind: 'invalid', reason: 'not an S3 event notification, an SNS envelope of one, or a CloudTrail notification' };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One received message: deleted once every object it announced that needed reading has been acked. */
interface MessageGroup {
  id: string;
  receiptHandle: string;
  remaining: number;
}

/**
 * S3 event notifications from an SQS queue as a source. Announced objects are read by the log type their key's path
 * names (as `sniffPath`): CloudTrail `.json.gz` (not digests), VPC Flow Logs and Route 53 Resolver query logs
 * `.log.gz` / `.log`; Parquet and other objects are acked without reading and counted. A message is deleted only
 * after every object it announced is committed (or was already done), so a crash before that leaves it on the queue to be received again, and the
 * checkpoint turns the repeat into an immediate ack. A message that cannot be understood is reported and left on the
 * queue, so the queue's redrive policy moves it to the dead-letter queue instead of it being lost silently.
 */
export class SqsS3Source extends PolledSource {
  private readonly o: SqsS3SourceOptions;
  private readonly waitTimeSeconds: number;
  private readonly now: () => number;
  /** Announced objects not yet returned (a message can announce more than `max`). */
  private pending: SourceObject[] = [];
  /** Objects returned by the last poll and not acked yet. */
  private inFlight = new Set<SourceObject>();
  /** Ids of bad messages already reported: one comes back after every visibility timeout until it is redriven. */
  private reported = new Set<string>();
  /** Announced objects acked without reading, by reason. */
  private readonly skipped: SkippedCounts = { digest: 0, parquet: 0, other: 0 };

  constructor(o: SqsS3SourceOptions) {
    super(o.name);
    this.o = o;
    this.waitTimeSeconds = o.waitTimeSeconds ?? 20;
    if (!Number.isInteger(this.waitTimeSeconds) || this.waitTimeSeconds < 0 || this.waitTimeSeconds > 20) {
      throw new SourceError(o.name, `waitTimeSeconds must be a whole number from 0 to 20, not ${o.waitTimeSeconds}`);
    }
    this.now = o.now ?? Date.now;
  }

  poll(max: number, signal?: AbortSignal): Promise<SourceObject[]> {
    return this.recordingError(() => this.pollInner(max, signal));
  }

  override stats(): S3SourceStats {
    return { ...super.stats(), skipped: { ...this.skipped } };
  }

  protected backlog(): number {
    return this.pending.length + this.inFlight.size;
  }

  override async close(): Promise<void> {
    // Unacked messages become visible again after their visibility timeout; nothing to give back explicitly.
    this.pending = [];
    this.inFlight.clear();
  }

  private async pollInner(max: number, signal?: AbortSignal): Promise<SourceObject[]> {
    // Objects the service did not ack (a failed read) are not retried from memory: their messages come back.
    this.inFlight.clear();
    if (max > this.pending.length) {
      const r = await this.o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.o.queueUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(10, max - this.pending.length)),
          WaitTimeSeconds: this.waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...(this.o.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: this.o.visibilityTimeoutSeconds } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      for (const m of r.Messages ?? []) await this.accept(m, signal);
    }
    this.lastPollAt = this.now();
    const out = this.pending.slice(0, Math.max(0, max));
    this.pending = this.pending.slice(out.length);
    for (const o of out) this.inFlight.add(o);
    return out;
  }

  /** Turns one message into pending objects, or deletes it at once when nothing in it needs reading. */
  private async accept(m: Message, signal?: AbortSignal): Promise<void> {
    const id = m.MessageId ?? '(no id)';
    if (!m.ReceiptHandle) return;
    const parsed = parseNotification(m.Body);
    if (parsed.kind === 'invalid') {
      this.report(id, `${parsed.reason} (received ${m.Attributes?.ApproximateReceiveCount ?? '?'} times; left on the queue for its dead-letter queue)`);
      return;
    }
    const group: MessageGroup = { id, receiptHandle: m.ReceiptHandle, remaining: 0 };
    const objects: SourceObject[] = [];
    if (parsed.kind === 'objects') {
      const seen = new Set<string>();
      for (const a of parsed.objects) {
        const key = `s3://${a.bucket}/${a.key}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const verdict = classifyAnnouncedKey(a.key);
        if (verdict !== 'log') {
          this.skipped[verdict]++;
          continue;
        }
        let version = a.etag ? stripQuotes(a.etag) : undefined;
        let modifiedAt = a.eventTime;
        if (version === undefined) {
          try {
            const head = await this.o.s3.send(new HeadObjectCommand({ Bucket: a.bucket, Key: a.key }), signal ? { abortSignal: signal } : {});
            version = stripQuotes(head.ETag ?? '') || `${head.ContentLength ?? 0}:${head.LastModified?.getTime() ?? 0}`;
            modifiedAt ??= head.LastModified?.getTime();
          } catch (err) {
            const name = (err as Error).name;
            if (name === 'NotFound' || name === 'NoSuchKey') {
              // Deleted since it was announced: there is nothing to read, now or later.
              this.pushError(new InputError(key, `announced by message ${id} but no longer exists`, { cause: err }));
              continue;
            }
            // Access or network: the whole message waits for a later receive (or its dead-letter queue).
            this.report(id, `cannot look up ${key}: ${describeError(err)}`, err);
            return;
          }
        }
        if (this.o.checkpoints.isDone(this.name, key, version)) continue;
        objects.push(this.object(a.bucket, a.key, version, modifiedAt ?? this.now(), group));
      }
    }
    group.remaining = objects.length;
    if (group.remaining === 0) {
      await this.deleteQuietly(group);
      return;
    }
    this.pending.push(...objects);
  }

  private object(bucket: string, key: string, version: string, modifiedAt: number, group: MessageGroup): SourceObject {
    let acked = false;
    const obj: SourceObject = {
      source: this.name,
      key: `s3://${bucket}/${key}`,
      version,
      modifiedAt,
      read: () => readS3Object(this.o.s3, this.name, bucket, key),
      ack: async () => {
        if (acked) return;
        acked = true;
        this.inFlight.delete(obj);
        group.remaining--;
        if (group.remaining === 0) await this.delete(group);
      },
    };
    return obj;
  }

  private async delete(group: MessageGroup): Promise<void> {
    try {
      await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: group.receiptHandle }));
    } catch (err) {
      // The objects are committed; if the message comes back, the checkpoint acks it without reading.
      throw new SourceError(this.name, `cannot delete message ${group.id} from ${this.o.queueUrl}: ${describeError(err)}`, { cause: err });
    }
  }

  private async deleteQuietly(group: MessageGroup): Promise<void> {
    try {
      await this.delete(group);
    } catch (err) {
      this.pushError(new InputError(`${this.o.queueUrl}#${group.id}`, describeError(err), { cause: err }));
    }
  }

  private report(id: string, reason: string, cause?: unknown): void {
    if (this.reported.has(id)) return;
    // Bounded: forgetting an old id only means reporting that message once more.
    if (this.reported.size >= 10_000) this.reported.clear();
    this.reported.add(id);
    this.pushError(new InputError(`${this.o.queueUrl}#${id}`, reason, cause === undefined ? undefined : { cause }));
  }
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
