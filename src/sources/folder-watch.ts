import { stat } from 'node:fs/promises';
import { describeError, InputError } from '../core/errors.js';
import type { CheckpointStore } from './checkpoint.js';
import { discoverInputs } from './discover.js';
import { type ReadDocument, readDocument } from './read.js';
import { PolledSource, SourceError, type SourceObject } from './source.js';

export interface FolderSourceOptions {
  /** The configured source's name (the checkpoint key's namespace). */
  name: string;
  /** Files or folders; folders are walked like `detect` walks them (S3 layout included, digests and hidden files skipped). */
  paths: string[];
  checkpoints: CheckpointStore;
  /**
   * A file modified less than this many ms ago is left for a later poll, so a file still being written (a sync in
   * progress, a collector appending) is not read half-way. Default 2000.
   */
  settleMs?: number;
  /** Epoch ms now; injected for tests. */
  now?: () => number;
}

export const DEFAULT_SETTLE_MS = 2000;

/**
 * Local folders as a source: each poll walks the paths and returns the files whose version (`size:mtimeMs`) is not
 * checkpointed. A file rewritten with new content gets a new version and is read again; the event ids it repeats are
 * dropped downstream, so only its new events count.
 */
export class FolderSource extends PolledSource {
  private readonly paths: string[];
  private readonly checkpoints: CheckpointStore;
  private readonly settleMs: number;
  private readonly now: () => number;
  /** Files the last poll found not done, including those left to settle. */
  private backlogCount = 0;
  /** The messages of the previous poll's errors: an error that persists across polls is reported once, not every poll. */
  private previousErrors = new Set<string>();

  constructor(o: FolderSourceOptions) {
    if (o.paths.length === 0) throw new SourceError(o.name, 'no paths to watch');
    if (o.paths.includes('-')) throw new SourceError(o.name, 'standard input (-) cannot be watched');
    super(o.name);
    this.paths = [...o.paths];
    this.checkpoints = o.checkpoints;
    this.settleMs = o.settleMs ?? DEFAULT_SETTLE_MS;
    this.now = o.now ?? Date.now;
  }

  async poll(max: number, signal?: AbortSignal): Promise<SourceObject[]> {
    signal?.throwIfAborted();
    const { inputs, errors } = await discoverInputs(this.paths);
    const now = this.now();
    const found: SourceObject[] = [];
    let deferred = 0;
    for (const input of inputs) {
      if (input.kind !== 'file') continue;
      signal?.throwIfAborted();
      let size: number;
      let mtimeMs: number;
      try {
        const s = await stat(input.path);
        size = s.size;
        mtimeMs = s.mtimeMs;
      } catch (err) {
        // Removed between the walk and the stat (rotated, moved away): nothing to read, nothing to report.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        errors.push(new InputError(input.path, `cannot stat: ${(err as Error).message}`, { cause: err }));
        continue;
      }
      // Near-future mtimes (a network file system's clock slightly ahead) also wait; one far in the future (a copy that
      // kept odd times) is read, or it would wait until the clock caught up.
      if (Math.abs(now - mtimeMs) < this.settleMs) {
        deferred++;
        continue;
      }
      const version = `${size}:${mtimeMs}`;
      if (this.checkpoints.isDone(this.name, input.path, version)) continue;
      found.push(this.object(input.path, version, mtimeMs));
    }
    // CloudTrail's file names sort by time within a folder, so path order is oldest first there.
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.backlogCount = found.length + deferred;
    this.lastPollAt = now;
    this.report(errors);
    return found.slice(0, Math.max(0, max));
  }

  protected backlog(): number {
    return this.backlogCount;
  }

  private object(path: string, version: string, modifiedAt: number): SourceObject {
    return {
      source: this.name,
      key: path,
      version,
      modifiedAt,
      read: (): Promise<ReadDocument> => readDocument({ kind: 'file', path }),
    };
  }

  private report(errors: InputError[]): void {
    const current = new Set(errors.map((e) => e.message));
    for (const e of errors) {
      if (!this.previousErrors.has(e.message)) this.pushError(e);
    }
    this.previousErrors = current;
    const first = errors[0];
    this.lastError = first ? (errors.length === 1 ? describeError(first) : `${describeError(first)} (and ${errors.length - 1} more)`) : undefined;
  }
}
