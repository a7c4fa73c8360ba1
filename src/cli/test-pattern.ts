/**
 * `trailhound events test-pattern`: EventBridge's TestEventPattern, offline.
 *
 * - `--pattern JSON|@FILE --event JSON|@FILE`: prints `true` or `false` and returns 0. An invalid pattern writes
 *   `InvalidEventPatternException: Event pattern is not valid. Reason: ...` (AWS's text) to stderr and returns 2; an
 *   event that is not a JSON object writes `ValidationException: ...` and returns 2.
 * - `--cases FILE.jsonl`: each line holds `pattern` and `event` (JSON values, or JSON text as a string) or
 *   `raw_pattern` / `raw_event` (JSON text, preferred when present: number literals and duplicate keys survive); one
 *   output line per input line, in order: `{"match":true}`, `{"match":false}` or `{"error":"..."}`. A blank line
 *   gets `{"error":"empty line"}` so lines stay aligned. Returns 0 once the file is read, 2 when it cannot be.
 *
 * Pattern and event text are handed to the matcher as text, never re-serialised, so `3.0e2` is compared as written.
 */

import { InvalidEventError, InvalidEventPatternError, matchesPattern } from '../bus/pattern/index.js';
import { describeError } from '../core/errors.js';

export interface TestPatternOptions {
  pattern?: string;
  event?: string;
  cases?: string;
}

export interface TestPatternIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<string>;
}

async function argText(value: string, io: TestPatternIo): Promise<string> {
  return value.startsWith('@') ? io.readFile(value.slice(1)) : value;
}

/** The JSON text a case gives for one side: the raw text if present, else the value (a string is taken as text). */
function caseText(row: Record<string, unknown>, raw: string, parsed: string): string | undefined {
  const r = row[raw];
  if (typeof r === 'string') return r;
  const v = row[parsed];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function caseLine(line: string): string {
  if (line.trim() === '') return JSON.stringify({ error: 'empty line' });
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ error: `line is not valid JSON: ${describeError(e)}` });
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return JSON.stringify({ error: 'line is not a JSON object' });
  const r = row as Record<string, unknown>;
  const pattern = caseText(r, 'raw_pattern', 'pattern');
  const event = caseText(r, 'raw_event', 'event');
  if (pattern === undefined) return JSON.stringify({ error: 'line has no pattern (or raw_pattern)' });
  if (event === undefined) return JSON.stringify({ error: 'line has no event (or raw_event)' });
  try {
    return JSON.stringify({ match: matchesPattern(pattern, event) });
  } catch (e) {
    return JSON.stringify({ error: describeError(e) });
  }
}

export async function runTestPattern(opts: TestPatternOptions, io: TestPatternIo): Promise<number> {
  if (opts.cases !== undefined) {
    if (opts.pattern !== undefined || opts.event !== undefined) {
      io.stderr('error: --cases cannot be combined with --pattern or --event\n');
      return 2;
    }
    let text: string;
    try {
      text = await io.readFile(opts.cases);
    } catch (e) {
      io.stderr(`error: cannot read ${opts.cases}: ${describeError(e)}\n`);
      return 2;
    }
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) io.stdout(`${caseLine(line)}\n`);
    return 0;
  }

  if (opts.pattern === undefined || opts.event === undefined) {
    io.stderr('error: give --pattern and --event (JSON text or @FILE), or --cases FILE.jsonl\n');
    return 2;
  }
  let pattern: string;
  let event: string;
  try {
    pattern = await argText(opts.pattern, io);
    event = await argText(opts.event, io);
  } catch (e) {
    io.stderr(`error: ${describeError(e)}\n`);
    return 2;
  }
  try {
    io.stdout(`${matchesPattern(pattern, event)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof InvalidEventPatternError) {
      io.stderr(`InvalidEventPatternException: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InvalidEventError) {
      io.stderr(`ValidationException: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
