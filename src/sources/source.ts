// CONTRACT STUB (to be implemented by the sources helper): the interfaces below are fixed.
import type { ReadDocument } from './read.js';

/** One log object (a file, an S3 object) a source found and that is not yet checkpointed. */
export interface SourceObject {
  /** The configured source's name. */
  source: string;
  /** A path, or s3://bucket/key. Unique within the source. */
  key: string;
  /** Changes when the object's content changes (size:mtime for files, the ETag for S3). */
  version: string;
  /** Epoch ms the object was last modified (for lag metrics). */
  modifiedAt: number;
  read(): Promise<ReadDocument>;
  /** Called after the object's events are committed (e.g. deletes the SQS message that announced it). */
  ack?(): Promise<void>;
}

export interface SourceStats {
  /** Objects listed or announced but not yet done. */
  backlog: number;
  /** Epoch ms of the last successful poll. */
  lastPollAt?: number;
  /** The last error polling produced, if the last poll failed. */
  lastError?: string;
}

/** A source of log objects, polled by the service; it skips objects the checkpoint store has as done. */
export interface LogSource {
  readonly name: string;
  /** Up to `max` objects that are not done, oldest first. Errors listing are thrown (the service reports and retries). */
  poll(max: number, signal?: AbortSignal): Promise<SourceObject[]>;
  stats(): SourceStats;
  close(): Promise<void>;
}
