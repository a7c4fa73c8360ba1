import type { Clock } from '../core/clock.js';
import { describeError, InputError } from '../core/errors.js';
import type { FindingStore } from '../findings/store.js';
import { parseCloudTrailDocument } from '../parsers/cloudtrail.js';
import type { ReadDocument } from '../sources/read.js';
import type { LogSource, SourceObject } from '../sources/source.js';
import type { Bus } from './bus.js';
import type { IngestItem, IngestOutcome, Ingestor } from './ingest.js';
import type { Metrics } from './metrics.js';

export interface ServiceOptions {
  store: FindingStore;
  ingestor: Ingestor;
  bus?: Bus;
  sources: Array<{ source: LogSource; kind: string; intervalMs: number }>;
  clock: Clock;
  metrics: Metrics;
  /** Objects read per transaction. */
  batchObjects: number;
  /** Findings, events and interface facts older than this are purged (every hour; see `FindingStore.purge`). */
  retentionMs: number;
  /** How often due deliveries and publications are sent (default 1 s). */
  deliverEveryMs?: number;
  log: (message: string) => void;
  /** Called after each committed batch of a source (observability hooks, tests). */
  onBatch?: (source: string, outcome: IngestOutcome) => void;
}

interface SourceLoop {
  source: LogSource;
  kind: string;
  intervalMs: number;
  /** Incremented after each poll that found nothing to do. */
  idlePolls: number;
  running?: Promise<void>;
  wake?: () => void;
}

const HOUR_MS = 3_600_000;
const READ_AHEAD = 4;

/**
 * `trailhound serve`'s engine room: one loop per source (poll → read → ingest in one transaction → acknowledge),
 * a delivery loop (publish updates that became due, send what the outbox holds), and retention. Stopping is
 * graceful: loops finish the batch in hand, deliveries get one last pass, and stateful detectors are flushed.
 */
export class Service {
  private loops: SourceLoop[];
  private stopped = false;
  private deliverTimer?: NodeJS.Timeout;
  private retentionTimer?: NodeJS.Timeout;
  private deliveryChain: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();

  constructor(private readonly o: ServiceOptions) {
    this.loops = o.sources.map((s) => ({ source: s.source, kind: s.kind, intervalMs: s.intervalMs, idlePolls: 0 }));
  }

  start(): void {
    for (const loop of this.loops) loop.running = this.run(loop);
    const every = this.o.deliverEveryMs ?? 1000;
    const tick = () => {
      if (this.stopped) return;
      void this.deliverOnce().finally(() => {
        if (!this.stopped) this.deliverTimer = setTimeout(tick, every);
      });
    };
    this.deliverTimer = setTimeout(tick, every);
    this.purge();
    this.retentionTimer = setInterval(() => this.purge(), HOUR_MS);
    this.retentionTimer.unref();
  }

  /** Ingests a document posted to the HTTP endpoint (EventBridge envelopes, NDJSON, a Records file). */
  ingestText(text: string, label: string): IngestOutcome {
    const doc: ReadDocument = { path: label, text, bytesRead: Buffer.byteLength(text), bytes: Buffer.byteLength(text), gzip: false };
    const now = this.o.clock.now();
    return this.o.ingestor.ingest([{ source: 'http', key: label, version: String(now), modifiedAt: now, doc, checkpoint: false }]);
  }

  /** Parses without ingesting (the endpoint's dry-run): how many events and which errors a body would give. */
  static check(text: string, label: string): { events: number; errors: InputError[] } {
    const parsed = parseCloudTrailDocument(text, label);
    return { events: parsed.events.length, errors: parsed.errors };
  }

  /**
   * Resolves when every source has polled and found nothing new since this call, and the outbox has nothing due:
   * for tests and for `serve --once`.
   */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const marks = this.loops.map((l) => l.idlePolls);
    for (const l of this.loops) l.wake?.();
    while (this.loops.some((l, i) => l.idlePolls < (marks[i] as number) + 1)) {
      if (Date.now() > deadline) throw new Error('the service did not become idle in time');
      await sleep(20);
    }
    await this.deliverOnce();
  }

  /** True once `stop` was called (health checks answer 503 from then on). */
  get stopping(): boolean {
    return this.stopped;
  }

  rejections(limit = 100) {
    return this.o.ingestor.rejections(limit);
  }

  status(): Array<{ name: string; kind: string; backlog: number; lastPollAt?: string; lastError?: string }> {
    return this.loops.map((l) => {
      const s = l.source.stats();
      return {
        name: l.source.name,
        kind: l.kind,
        backlog: s.backlog,
        ...(s.lastPollAt !== undefined ? { lastPollAt: new Date(s.lastPollAt).toISOString() } : {}),
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
      };
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.controller.abort();
    for (const l of this.loops) l.wake?.();
    clearTimeout(this.deliverTimer);
    clearInterval(this.retentionTimer);
    await Promise.allSettled(this.loops.map((l) => l.running));
    await this.deliveryChain; // the pass in flight (passes report their own errors: the chain never rejects)
    try {
      this.o.ingestor.flush();
    } catch (err) {
      this.o.log(`flushing detectors at shutdown failed: ${describeError(err)}`);
    }
    await this.deliverOnce();
    for (const l of this.loops) await l.source.close().catch(() => {});
  }

  private async run(loop: SourceLoop): Promise<void> {
    const { source } = loop;
    while (!this.stopped) {
      let objects: SourceObject[] = [];
      try {
        objects = await source.poll(this.o.batchObjects, this.controller.signal);
        for (const err of source.drainErrors?.() ?? []) this.o.log(`source ${source.name}: ${err.message}`);
        this.o.metrics.backlog.set({ source: source.name }, source.stats().backlog);
      } catch (err) {
        if (this.stopped) break;
        this.o.metrics.pollErrors.inc({ source: source.name });
        this.o.log(`source ${source.name}: poll failed: ${describeError(err)}`);
      }
      if (objects.length > 0 && !this.stopped) {
        try {
          await this.ingestObjects(source.name, objects);
        } catch (err) {
          this.o.log(`source ${source.name}: ingest failed, will retry: ${describeError(err)}`);
        }
        continue;
      }
      // Idle only when nothing waits either (a folder's files still settling count as backlog).
      if (source.stats().backlog === 0) loop.idlePolls++;
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, loop.intervalMs);
        loop.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      loop.wake = undefined;
    }
  }

  /** Reads the objects (a few at a time), ingests them in one transaction, then acknowledges each. */
  private async ingestObjects(sourceName: string, objects: SourceObject[]): Promise<void> {
    const items: IngestItem[] = [];
    const reads = objects.map(() => undefined as Promise<ReadDocument> | undefined);
    const start = (i: number) => {
      const obj = objects[i];
      if (obj && !reads[i]) reads[i] = obj.read();
    };
    for (let i = 0; i < Math.min(READ_AHEAD, objects.length); i++) start(i);
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i] as SourceObject;
      start(i + READ_AHEAD);
      const base = { source: sourceName, key: obj.key, version: obj.version, modifiedAt: obj.modifiedAt };
      try {
        items.push({ ...base, doc: await (reads[i] as Promise<ReadDocument>) });
      } catch (err) {
        // The object's content is at fault: checkpoint it with its rejection. Anything else: leave it for the next poll.
        if (err instanceof InputError) items.push({ ...base, error: err });
        else {
          this.o.log(`source ${sourceName}: cannot read ${obj.key}, will retry: ${describeError(err)}`);
          for (let j = i + 1; j < objects.length; j++) reads[j]?.catch(() => {});
          break;
        }
      }
    }
    if (items.length === 0) return;
    const outcome = this.o.ingestor.ingest(items);
    const done = new Set(items.map((i) => i.key));
    for (const obj of objects)
      if (done.has(obj.key)) await obj.ack?.().catch((err) => this.o.log(`source ${sourceName}: acknowledging ${obj.key} failed: ${describeError(err)}`));
    this.o.onBatch?.(sourceName, outcome);
  }

  /** One delivery pass at a time: two passes over the same outbox could send a delivery twice. */
  private deliverOnce(): Promise<void> {
    const next = this.deliveryChain.then(() => this.deliverPass());
    this.deliveryChain = next;
    return next;
  }

  private async deliverPass(): Promise<void> {
    const bus = this.o.bus;
    if (!bus) return;
    try {
      this.o.ingestor.publishDue();
      const s = await bus.deliver(0);
      this.o.metrics.deliveries.inc({ outcome: 'delivered' }, s.delivered);
      this.o.metrics.deliveries.inc({ outcome: 'retried' }, s.retried);
      this.o.metrics.deliveries.inc({ outcome: 'dead' }, s.dead);
      this.o.metrics.pending.set(bus.outbox.list('pending').length);
    } catch (err) {
      this.o.log(`delivery failed: ${describeError(err)}`);
    }
  }

  private purge(): void {
    try {
      const r = this.o.store.purge(this.o.clock.now() - this.o.retentionMs);
      if (r.findings + r.events + r.interfaceFacts > 0)
        this.o.log(`retention: purged ${r.findings} finding(s), ${r.events} event(s) and ${r.interfaceFacts} interface fact(s)`);
    } catch (err) {
      this.o.log(`retention purge failed: ${describeError(err)}`);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
