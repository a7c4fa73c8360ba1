/**
 * Typed errors. Every error Trailhound raises on purpose is a `TrailhoundError` with a stable `code`,
 * a human message that names what was wrong and where, and the underlying `cause` when there is one.
 */
export class TrailhoundError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A file, or one record in it, that could not be used. `location` is `file` or `file:record`. */
export class InputError extends TrailhoundError {
  readonly location: string;
  readonly reason: string;

  constructor(location: string, reason: string, options?: { cause?: unknown }) {
    super('E_INPUT', `${location}: ${reason}`, options);
    this.location = location;
    this.reason = reason;
  }
}

/** One problem in a configuration document, with the dotted path of the offending value. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Configuration that failed validation. Carries every issue found, not only the first. */
export class ConfigError extends TrailhoundError {
  readonly issues: ConfigIssue[];

  constructor(source: string, issues: ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
    super('E_CONFIG', `invalid configuration in ${source}:\n${lines.join('\n')}`, options);
    this.issues = issues;
  }
}

/** A threat list or trusted list that could not be loaded. `location` is `file:line` when a line is at fault. */
export class IntelError extends TrailhoundError {
  readonly location: string;

  constructor(location: string, reason: string, options?: { cause?: unknown }) {
    super('E_INTEL', `${location}: ${reason}`, options);
    this.location = location;
  }
}

/** Something asked for by name or id does not exist (a finding, a list, an audit entry); HTTP 404. */
export class NotFoundError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NOT_FOUND', message, options);
  }
}

/** A command-line usage problem (bad flag value); the CLI exits 2. */
export class UsageError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}

/** Storage (SQLite) failed. */
export class StoreError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_STORE', message, options);
  }
}

/** Renders any thrown value as one line, following `cause` links. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(': caused by: ');
}
