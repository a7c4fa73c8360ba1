import type { Clock } from '../core/clock.js';
import type { InputError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import { DetectionEngine } from '../detectors/engine.js';
import { InterfaceMap } from '../detectors/interface-map.js';
import { DNS_DETECTORS, FLOW_DETECTORS } from '../detectors/network-registry.js';
import { DETECTORS } from '../detectors/registry.js';
import type { DetectContext, Detector, Hit } from '../detectors/types.js';
import { Aggregator } from '../findings/aggregator.js';
import type { FindingStore } from '../findings/store.js';
import { WatchStore } from '../findings/watches.js';
import type { CheckpointStore } from '../sources/checkpoint.js';
import type { ReadDocument } from '../sources/read.js';
import type { Bus } from './bus.js';
import { type Metrics, rejectionReason } from './metrics.js';
import { parseLogDocument } from './parse-log.js';
import { Verifier } from './verification.js';

/** One object to ingest: its checkpoint identity and either its content or why it could not be read. */
export interface IngestItem {
  source: string;
  key: string;
  version: string;
  modifiedAt: number;
  doc?: ReadDocument;
  error?: InputError;
  /** False for a body posted to the ingest endpoint: nothing will offer it again, so there is nothing to checkpoint. */
  checkpoint?: boolean;
}

export interface IngestOutcome {
  objects: number;
  events: number;
  duplicates: number;
  rejected: InputError[];
  /** Ids of the findings created or updated. */
  findings: string[];
  published: number;
}

export interface Rejection {
  id: number;
  at: string;
  source: string;
  location: string;
  reason: string;
}

/** Rejections kept for the API and console (the oldest are dropped past this; every one is also logged). */
const MAX_REJECTIONS = 10_000;

/**
 * The long-running half of detection: one engine whose state lives as long as the service, and ingestion in
 * transactions. Each call to `ingest` is one SQLite transaction holding the events (deduplicated by eventID), the
 * findings they update, the objects' checkpoints and the deliveries the findings publish: after a crash either all
 * of it is there or none, so a restart re-reads exactly the objects whose transaction did not commit, and counts
 * are never doubled (their events are recorded) nor skipped. An unreadable or malformed object is checkpointed as
 * done with its rejection recorded and logged (re-reading it cannot help); a transient read error is not (the
 * source offers it again).
 */
export class Ingestor {
  readonly engine: DetectionEngine;
  private readonly verifier: Verifier;
  private readonly aggregator = new Aggregator();
  private readonly hits: Hit[] = [];
  private ingestedAt = 0;

  constructor(
    private readonly store: FindingStore,
    readonly ctx: DetectContext,
    private readonly clock: Clock,
    private readonly checkpoints: CheckpointStore,
    private readonly bus?: Bus,
    private readonly metrics?: Metrics,
    private readonly log: (message: string) => void = () => {},
    detectors: readonly Detector<any>[] = DETECTORS,
  ) {
    // Network interfaces learned from CloudTrail: those kept by earlier runs and restarts, and every new fact is kept in
    // the transaction of the batch that taught it.
    const interfaces = new InterfaceMap({ onLearn: (facts) => store.saveInterfaceFacts(facts) });
    interfaces.load(store.interfaceFacts());
    this.engine = new DetectionEngine(detectors, ctx, { flow: FLOW_DETECTORS, dns: DNS_DETECTORS, interfaces });
    this.verifier = new Verifier(new WatchStore(store.db));
    store.db.exec(`CREATE TABLE IF NOT EXISTS rejections (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, source TEXT NOT NULL, location TEXT NOT NULL, reason TEXT NOT NULL)`);
  }

  /** Ingests objects in one transaction (synchronous: nothing else can interleave with it). */
  ingest(items: IngestItem[]): IngestOutcome {
    const out: IngestOutcome = { objects: 0, events: 0, duplicates: 0, rejected: [], findings: [], published: 0 };
    const now = this.clock.now();
    this.ingestedAt = now;
    const insertRejection = this.store.db.prepare('INSERT INTO rejections (at, source, location, reason) VALUES (?, ?, ?, ?)');
    const reject = (source: string, err: InputError, level: 'file' | 'record') => {
      out.rejected.push(err);
      insertRejection.run(now, source, err.location, err.reason);
      this.metrics?.rejected.inc({ source, level, reason: rejectionReason(err.reason) });
      this.log(`rejected (${source}) ${err.message}`);
    };
    this.store.begin();
    try {
      this.verifier.refresh();
      for (const item of items) {
        let events = 0;
        if (item.error) reject(item.source, item.error, 'file');
        else if (item.doc) {
          const parsed = parseLogDocument(item.doc.text, item.doc.path);
          for (const err of parsed.errors) reject(item.source, err, err.location === item.doc.path ? 'file' : 'record');
          const count = (isNew: boolean) => {
            if (isNew) events++;
            else {
              out.duplicates++;
              this.metrics?.duplicates.inc({ source: item.source });
            }
          };
          for (const e of parsed.events) count(this.handle(e));
          for (const r of parsed.flows) count(this.handleRecord(r.id, () => this.engine.processFlow(r, this.hits)));
          for (const q of parsed.queries) count(this.handleRecord(q.id, () => this.engine.processDns(q, this.hits)));
        }
        if (item.checkpoint !== false) this.checkpoints.markDone(item.source, item.key, item.version, now, events);
        out.events += events;
        out.objects++;
        this.metrics?.events.inc({ source: item.source }, events);
        this.metrics?.objects.inc({ source: item.source });
      }
      out.findings = this.writeFindings(now);
      out.published = this.publishInTransaction();
      this.store.commit();
    } catch (err) {
      this.store.rollback();
      throw err;
    }
    this.trimRejections();
    for (const item of items) this.metrics?.lag.set({ source: item.source }, Math.max(0, (now - item.modifiedAt) / 1000));
    return out;
  }

  /** Publishes updates that became due with time (GuardDuty's publishing frequency), in a transaction of its own. */
  publishDue(): number {
    if (!this.bus) return 0;
    this.store.begin();
    try {
      const n = this.publishInTransaction();
      this.store.commit();
      return n;
    } catch (err) {
      this.store.rollback();
      throw err;
    }
  }

  /** Hits stateful detectors could only decide at the end (called once, at shutdown). */
  flush(): string[] {
    for (const h of this.engine.flush()) this.aggregator.add(h);
    if (this.aggregator.size === 0) return [];
    this.store.begin();
    try {
      const ids = this.writeFindings(this.clock.now());
      this.publishInTransaction();
      this.store.commit();
      return ids;
    } catch (err) {
      this.store.rollback();
      throw err;
    }
  }

  rejections(limit = 100): Rejection[] {
    const rows = this.store.db.prepare('SELECT * FROM rejections ORDER BY id DESC LIMIT ?').all(limit) as Array<Omit<Rejection, 'at'> & { at: number }>;
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }

  private handle(e: ApiEvent): boolean {
    if (!this.store.recordEvent(e, this.ingestedAt)) return false;
    this.hits.length = 0;
    this.engine.process(e, this.hits);
    const failed = this.verifier.observe(e);
    if (failed) this.hits.push(failed);
    for (const h of this.hits) this.aggregator.add(h);
    return true;
  }

  /** A flow or DNS record: deduplicated by content id (these logs have no event history), then detected on. */
  private handleRecord(id: string, evaluate: () => void): boolean {
    if (!this.store.recordSeen(id, this.ingestedAt)) return false;
    this.hits.length = 0;
    evaluate();
    for (const h of this.hits) this.aggregator.add(h);
    return true;
  }

  private writeFindings(now: number): string[] {
    const aggregates = this.aggregator.drain();
    if (aggregates.length === 0) return [];
    // Flow findings without an instance are resolved from what CloudTrail said so far (this batch included). A flow
    // ingested before the CloudTrail event that names its instance stays unresolved in the finding until a later flow
    // of the same finding (same id: the key does not depend on this) updates it.
    for (const a of aggregates) a.hit = this.engine.resolveInstance(a.hit);
    for (const a of aggregates) this.metrics?.findings.inc({ type: a.hit.type });
    const enrichment = this.ctx.enrichment;
    return this.store.upsert(aggregates, now, (name) => this.ctx.intel.listSha256(name), enrichment ? (d) => enrichment.details(d) : undefined);
  }

  private publishInTransaction(): number {
    if (!this.bus) return 0;
    const n = this.bus.publishFindings().length;
    this.metrics?.published.inc(n);
    return n;
  }

  private trimRejections(): void {
    const row = this.store.db.prepare('SELECT max(id) AS id FROM rejections').get() as { id: number | null };
    if (row.id !== null && row.id > MAX_REJECTIONS) this.store.db.prepare('DELETE FROM rejections WHERE id <= ?').run(row.id - MAX_REJECTIONS);
  }
}
