import type { Clock } from '../core/clock.js';
import type { FindingStore } from '../findings/store.js';
import { type BusEvent, findingEvent } from './event.js';

/**
 * GuardDuty's `findingPublishingFrequency` for updates of existing findings; new findings are always published at
 * once. `IMMEDIATE` is Trailhound's own: every change is published.
 */
export const PUBLISHING_FREQUENCIES = { IMMEDIATE: 0, FIFTEEN_MINUTES: 15 * 60_000, ONE_HOUR: 60 * 60_000, SIX_HOURS: 6 * 60 * 60_000 } as const;
export type PublishingFrequency = keyof typeof PUBLISHING_FREQUENCIES;

/**
 * Turns the findings that are due into "GuardDuty Finding" events, hands each to `publish` (the dispatcher, which
 * queues deliveries in the outbox) and records the publication — all in the caller's transaction, so a finding
 * is marked published exactly when its deliveries are queued. Archived findings are not published (a suppressed
 * finding stays archived; a manually archived finding that recurs was un-archived by the update, and is).
 */
export function publishDue(store: FindingStore, frequency: PublishingFrequency, clock: Clock, publish: (event: BusEvent) => void): BusEvent[] {
  const now = clock.now();
  const due = store.dueForPublication(now, PUBLISHING_FREQUENCIES[frequency]);
  const events = due.map((f) => findingEvent(f, now));
  for (const e of events) publish(e);
  store.markPublished(
    due.map((f) => f.id),
    now,
  );
  return events;
}
