/** The source of "now". Injected everywhere a wall-clock time is written, so tests can pin it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that always answers the same instant (ms since the epoch, or an ISO string). */
export function fixedClock(at: number | string): Clock {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(ms)) throw new RangeError(`fixedClock: not a time: ${String(at)}`);
  return { now: () => ms };
}

/** ISO-8601 UTC with milliseconds, as GuardDuty writes its timestamps. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}
