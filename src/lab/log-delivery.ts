import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { TrailhoundError } from '../core/errors.js';

/**
 * What the lab's log writers (CloudTrail trail, VPC Flow Logs) share: records are buffered per group (a region, an
 * account and region...), and a delivery writes one gzip file per group that has records. Each file is written under
 * a temporary name outside the bucket directory and then renamed into place, so a reader listing the bucket (the lab's
 * S3, Trailhound's folder source) never sees half a file. Deliveries run one at a time; a delivery that fails keeps
 * its records for the next one.
 */

const gzip = promisify(gzipCb);

/** A lab log writer was misused (bad input record, record after close) or could not write its files. */
export class LabLogError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_LAB_LOG', message, options);
  }
}

export interface DeliveryOptions<T> {
  /** The bucket's content: keys are written relative to it. */
  bucketDir: string;
  /** Where files are written before the rename; must be outside `bucketDir` and on the same file system. */
  tmpDir?: string;
  /** Deliver this many ms after the first buffered record (0: only on `flush()`). */
  flushMs: number;
  clock: () => Date;
  /** One file for a group's records delivered at `now`: its key (relative, `/`-separated) and uncompressed text. */
  render(group: string, items: readonly T[], now: Date): { key: string; text: string };
  /** Errors of timer-driven deliveries (a `flush()` caller gets its own error). */
  onError?: (err: LabLogError) => void;
  /** Names the writer in messages: `trail`, `flow log`. */
  what: string;
}

/** Buffers items per group and delivers them as gzip files, atomically. */
export class GzipDelivery<T> {
  readonly #o: DeliveryOptions<T>;
  readonly #bucketDir: string;
  readonly #tmpDir: string;
  #groups = new Map<string, T[]>();
  #pending = 0;
  #written = 0;
  #files = 0;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(o: DeliveryOptions<T>) {
    if (typeof o.bucketDir !== 'string' || o.bucketDir === '') throw new LabLogError(`${o.what} writer: bucketDir is required`);
    if (!Number.isFinite(o.flushMs) || o.flushMs < 0) throw new LabLogError(`${o.what} writer: flushMs must be 0 or a positive number of ms, got ${o.flushMs}`);
    this.#o = o;
    this.#bucketDir = resolve(o.bucketDir);
    this.#tmpDir = resolve(o.tmpDir ?? join(dirname(this.#bucketDir), `.${basename(this.#bucketDir)}.partial`));
    if (this.#tmpDir === this.#bucketDir || this.#tmpDir.startsWith(this.#bucketDir + sep)) {
      throw new LabLogError(`${o.what} writer: tmpDir ${this.#tmpDir} is inside the bucket directory; a reader would see partial files`);
    }
  }

  /** Records delivered in files so far. */
  get written(): number {
    return this.#written;
  }

  /** Files delivered so far. */
  get files(): number {
    return this.#files;
  }

  /** Records buffered, not yet delivered. */
  get pending(): number {
    return this.#pending;
  }

  get closed(): boolean {
    return this.#closed;
  }

  add(group: string, item: T): void {
    if (this.#closed) throw new LabLogError(`${this.#o.what} writer is closed: no record can be added`);
    let list = this.#groups.get(group);
    if (list === undefined) {
      list = [];
      this.#groups.set(group, list);
    }
    list.push(item);
    this.#pending++;
    this.#arm();
  }

  /** Delivers what is buffered now; resolves with the keys written (sorted) once every file is in place. */
  flush(): Promise<string[]> {
    const run = this.#chain.then(() => this.#deliver());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer, delivers what is left; later `add` calls throw. Calling it again is harmless. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#disarm();
    await this.flush();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#o.flushMs === 0 || this.#pending === 0 || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err: unknown) => {
        const e = err instanceof LabLogError ? err : new LabLogError(`${this.#o.what} delivery failed: ${(err as Error).message}`, { cause: err });
        if (this.#o.onError) this.#o.onError(e);
        else process.emitWarning(e.message, { code: e.code });
      });
    }, this.#o.flushMs);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #deliver(): Promise<string[]> {
    this.#disarm();
    if (this.#pending === 0) return [];
    const batch = this.#groups;
    this.#groups = new Map();
    const count = this.#pending;
    this.#pending = 0;
    const now = this.#o.clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      this.#restore(batch, count);
      this.#arm();
      throw new LabLogError(`${this.#o.what} writer: the clock returned an invalid date`);
    }
    const keys: string[] = [];
    const done = new Set<string>();
    try {
      await mkdir(this.#tmpDir, { recursive: true });
      for (const [group, items] of batch) {
        const { key, text } = this.#o.render(group, items, now);
        await this.#writeAtomic(key, text);
        keys.push(key);
        done.add(group);
        this.#written += items.length;
        this.#files++;
      }
    } catch (err) {
      // What was not delivered goes back in front of what arrived meanwhile.
      let left = 0;
      const rest = new Map<string, T[]>();
      for (const [group, items] of batch) {
        if (done.has(group)) continue;
        rest.set(group, items);
        left += items.length;
      }
      this.#restore(rest, left);
      throw err instanceof LabLogError ? err : new LabLogError(`${this.#o.what} delivery failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#arm();
    }
    return keys.sort();
  }

  #restore(batch: Map<string, T[]>, count: number): void {
    if (count === 0) return;
    const merged = new Map<string, T[]>(batch);
    for (const [group, items] of this.#groups) {
      const before = merged.get(group);
      merged.set(group, before ? before.concat(items) : items);
    }
    this.#groups = merged;
    this.#pending += count;
  }

  async #writeAtomic(key: string, text: string): Promise<void> {
    if (key.startsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new LabLogError(`${this.#o.what} writer: refusing key ${JSON.stringify(key)} (must be a relative path inside the bucket)`);
    }
    const target = join(this.#bucketDir, ...key.split('/'));
    const tmp = join(this.#tmpDir, `${randomUUID()}.part`);
    const body = await gzip(Buffer.from(text, 'utf8'));
    try {
      await writeFile(tmp, body, { flag: 'wx' });
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EXDEV') {
        throw new LabLogError(
          `${this.#o.what} writer: ${this.#tmpDir} and ${this.#bucketDir} are on different file systems; set tmpDir to a folder beside the bucket`,
          {
            cause: err,
          },
        );
      }
      throw new LabLogError(`${this.#o.what} writer: could not write ${key}: ${(err as Error).message}`, { cause: err });
    }
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random characters of [A-Za-z0-9], uniformly (rejection sampling: 62 does not divide 256). */
export function randomAlnum(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248) out += ALNUM[b % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY/MM/DD` (UTC), the date folders of AWS's log layouts. */
export function datePath(d: Date): string {
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** `YYYYMMDDTHHmmZ` (UTC), the delivery time in AWS's log file names. */
export function stamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** A path segment AWS would accept in these layouts: an account id, a region. */
export function checkSegment(what: string, value: unknown, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new LabLogError(`${what} is ${JSON.stringify(value)}: expected ${pattern.source}`);
  return value;
}
