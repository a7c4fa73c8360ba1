import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { IntelError } from '../core/errors.js';
import { type Cidr, parseCidr } from '../core/ip.js';

/** GuardDuty's limit of entries per threat list; larger lists are refused rather than truncated. */
export const MAX_THREAT_LIST_ENTRIES = 250_000;
/** GuardDuty's file-size limit for a list. */
export const MAX_LIST_BYTES = 35 * 1024 * 1024;

export interface IpList {
  name: string;
  path: string;
  entries: Cidr[];
  /** SHA-256 of the file, reported as `threatFileSha256`. */
  sha256: string;
}

/** Splits `NAME=FILE` (the name defaults to the file's base name without extension). */
export function parseListSpec(spec: string): { name: string; path: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return { name: spec.slice(0, eq), path: spec.slice(eq + 1) };
  return { name: basename(spec, extname(spec)), path: spec };
}

/**
 * Parses the TXT list format: one IPv4/IPv6 address or CIDR per line; `#` starts a comment (whole line or
 * trailing); blank lines are ignored. Every invalid line is reported as `file:line: reason`, all of them, and
 * the list is refused: a list is never loaded with lines silently missing.
 */
export function parseTxtList(text: string, path: string, maxEntries = MAX_THREAT_LIST_ENTRIES): Cidr[] {
  const entries: Cidr[] = [];
  const problems: string[] = [];
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    const hash = line.indexOf('#');
    if (hash !== -1) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const cidr = parseCidr(line);
    if ('error' in cidr) {
      problems.push(`${path}:${lineNo}: ${cidr.error}`);
      if (problems.length >= 20) {
        problems.push(`${path}: (stopped after 20 invalid lines)`);
        break;
      }
    } else entries.push(cidr);
  }
  if (problems.length > 0) {
    throw new IntelError(path, `invalid list entries:\n  ${problems.join('\n  ')}`);
  }
  if (entries.length > maxEntries) {
    throw new IntelError(path, `${entries.length} entries; a list holds at most ${maxEntries} (GuardDuty's limit)`);
  }
  return entries;
}

export async function loadIpList(spec: string, maxEntries = MAX_THREAT_LIST_ENTRIES): Promise<IpList> {
  const { name, path } = parseListSpec(spec);
  if (name.length === 0 || name.length > 300) throw new IntelError(path, `list name must be 1-300 characters`);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new IntelError(path, `cannot read list: ${(err as Error).message}`, { cause: err });
  }
  if (buf.length > MAX_LIST_BYTES) throw new IntelError(path, `list file is ${buf.length} bytes; the limit is ${MAX_LIST_BYTES}`);
  return { name, path, entries: parseTxtList(buf.toString('utf8'), path, maxEntries), sha256: createHash('sha256').update(buf).digest('hex') };
}
