// CONTRACT STUB (to be implemented by the sources helper): the interfaces below are fixed.
import { describeError, type InputError, TrailhoundError } from '../core/errors.js';
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
  /**
   * Problems found while polling that did not stop the poll (an unreadable folder, an SQS message that cannot be
   * parsed), each reported once; the service logs them. Returns and forgets what was collected since the last call.
   */
  drainErrors?(): InputError[];
}

/**
 * A source could not be polled or an object could not be fetched for a reason that is not the object's content
 * (access denied, missing bucket, network): the service reports it and retries later, without checkpointing anything.
 */
export class SourceError extends TrailhoundError {
  /** The configured source's name. */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('E_SOURCE', `source ${source}: ${message}`, options);
    this.source = source;
  }
}

/** Errors kept for `drainErrors` are bounded, so a source nobody drains cannot grow without limit. */
export const MAX_PENDING_ERRORS = 1000;

/**
 * What the three sources share: the state `stats()` reports and the errors `drainErrors()` hands over. A subclass
 * implements `poll` (through `recordingError` when a poll that throws should be its `lastError`), `backlog`, and
 * `close` when it holds something; it sets `lastPollAt` after a successful poll.
 */
export abstract class PolledSource implements LogSource {
  readonly name: string;
  /** Epoch ms of the last successful poll. */
  protected lastPollAt: number | undefined;
  /** What `stats()` reports as the last poll's error. */
  protected lastError: string | undefined;
  private errors: InputError[] = [];

  constructor(name: string) {
    this.name = name;
  }

  abstract poll(max: number, signal?: AbortSignal): Promise<SourceObject[]>;

  /** Objects listed or announced but not yet done. */
  protected abstract backlog(): number;

  stats(): SourceStats {
    return {
      backlog: this.backlog(),
      ...(this.lastPollAt !== undefined ? { lastPollAt: this.lastPollAt } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  drainErrors(): InputError[] {
    const out = this.errors;
    this.errors = [];
    return out;
  }

  async close(): Promise<void> {}

  /** Keeps an error for `drainErrors`, up to MAX_PENDING_ERRORS. */
  protected pushError(e: InputError): void {
    if (this.errors.length < MAX_PENDING_ERRORS) this.errors.push(e);
  }

  /** Runs one poll: `lastError` is cleared when it succeeds and describes what it threw when it fails. */
  protected async recordingError(run: () => Promise<SourceObject[]>): Promise<SourceObject[]> {
    try {
      const out = await run();
      this.lastError = undefined;
      return out;
    } catch (err) {
      this.lastError = describeError(err);
      throw err;
    }
  }
}
