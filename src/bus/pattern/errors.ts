import { TrailhoundError } from '../../core/errors.js';

/** The text AWS puts before every pattern validation reason. */
export const INVALID_PATTERN_PREFIX = 'Event pattern is not valid. Reason: ';

/**
 * An event pattern EventBridge would refuse (InvalidEventPatternException). `message` is exactly AWS's:
 * `Event pattern is not valid. Reason: <reason>`; `reason` is the part after the prefix.
 */
export class InvalidEventPatternError extends TrailhoundError {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('E_PATTERN', `${INVALID_PATTERN_PREFIX}${reason}`, options);
    this.reason = reason;
  }
}

/** An event that cannot be matched (not JSON, or not a JSON object). */
export class InvalidEventError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_EVENT', message, options);
  }
}
