import { UsageError } from '../core/errors.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `1h`, `30m`, `2d`, `90s`, `1w` as milliseconds; `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number);
}

/** A point in time: an ISO-8601 time, or a duration meaning "that long before `reference`". */
export function parseTimeArg(text: string, reference: number, flag: string): number {
  const d = parseDuration(text);
  if (d !== undefined) return reference - d;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(`${flag}: expected a duration (30m, 1h, 1d) or an ISO-8601 time, got ${JSON.stringify(text)}`);
}
