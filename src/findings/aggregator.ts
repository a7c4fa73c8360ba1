import type { Hit } from '../detectors/types.js';
import { type Aggregate, aggregateOf, mergeAggregate } from './build.js';

/**
 * Folds hits into one aggregate per security issue. Memory is one entry per distinct finding, never per event.
 */
export class Aggregator {
  private byId = new Map<string, Aggregate>();

  add(hit: Hit): void {
    const agg = aggregateOf(hit);
    const existing = this.byId.get(agg.id);
    this.byId.set(agg.id, existing ? mergeAggregate(existing, agg) : agg);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The aggregates, in a stable order (by id), and empties the aggregator. */
  drain(): Aggregate[] {
    const out = [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    this.byId.clear();
    return out;
  }
}
