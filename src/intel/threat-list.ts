import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { IntelError } from '../core/errors.js';
import type { Cidr } from '../core/ip.js';
import {
  DOMAIN_LIST_CATEGORIES,
  type DomainListCategory,
  IP_LIST_CATEGORIES,
  type IpListCategory,
  isDomainListCategory,
  isIpListCategory,
} from './categories.js';
import { type ListFormat, MAX_LIST_BYTES, MAX_THREAT_LIST_ENTRIES, type ParsedList, parseList } from './formats.js';

export { type ListFormat, MAX_LIST_BYTES, MAX_THREAT_LIST_ENTRIES } from './formats.js';

export interface IpList {
  name: string;
  path: string;
  entries: Cidr[];
  /** SHA-256 of the file, reported as `threatFileSha256`. */
  sha256: string;
  /** The format the file was read as (given or detected). */
  format?: ListFormat;
  /** What the list is for, when given (`categories.ts`: absent, the list's name decides). */
  category?: IpListCategory;
}

export interface DomainList {
  name: string;
  path: string;
  /** Normalised domains; `*.example.com` is a suffix rule (see DomainIndex for matching). */
  domains: string[];
  sha256: string;
  format?: ListFormat;
  /** What the list is for, when given (`categories.ts`: absent, the list's name decides). */
  category?: DomainListCategory;
}

/**
 * A list given by name and path, with its format when the user named one (detected from the content otherwise) and
 * its category when given (`IpListCategory` for IP lists, `DomainListCategory` for domain lists; checked on load).
 */
export interface ListSpec<C extends string = string> {
  name?: string;
  path: string;
  format?: ListFormat;
  category?: C;
}

/** How many rejected entries a refusal message lists before summing up the rest. */
const SHOWN_ERRORS = 20;

/**
 * A list refused because of rejected entries (or because nothing in it was usable). `errors` holds every one
 * (`path:line: reason`); the message lists the first 20.
 */
export class ListRefusedError extends IntelError {
  readonly errors: IntelError[];

  constructor(path: string, errors: IntelError[]) {
    const shown = errors.slice(0, SHOWN_ERRORS).map((e) => e.message);
    if (errors.length > SHOWN_ERRORS) shown.push(`${path}: (stopped after ${SHOWN_ERRORS} invalid lines; ${errors.length} in all)`);
    super(path, `invalid list entries:\n  ${shown.join('\n  ')}`);
    this.errors = errors;
  }
}

/** Splits `NAME=FILE` (the name defaults to the file's base name without extension). */
export function parseListSpec(spec: string): { name: string; path: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return { name: spec.slice(0, eq), path: spec.slice(eq + 1) };
  return { name: basename(spec, extname(spec)), path: spec };
}

interface Resolved<C> {
  name: string;
  path: string;
  format: ListFormat | undefined;
  category: C | undefined;
}

function resolveSpec(spec: string | ListSpec): Resolved<string> {
  if (typeof spec === 'string') return { ...parseListSpec(spec), format: undefined, category: undefined };
  return { name: spec.name ?? basename(spec.path, extname(spec.path)), path: spec.path, format: spec.format, category: spec.category };
}

/** `resolveSpec` for an IP list; a category that is not an IP list's is an IntelError naming the path. */
function resolveIpSpec(spec: string | ListSpec): Resolved<IpListCategory> {
  const r = resolveSpec(spec);
  if (r.category !== undefined && !isIpListCategory(r.category))
    throw new IntelError(r.path, `list category ${JSON.stringify(r.category)} is not one of ${IP_LIST_CATEGORIES.join(', ')}`);
  return r as Resolved<IpListCategory>;
}

/** `resolveSpec` for a domain list. */
function resolveDomainSpec(spec: string | ListSpec): Resolved<DomainListCategory> {
  const r = resolveSpec(spec);
  if (r.category !== undefined && !isDomainListCategory(r.category))
    throw new IntelError(r.path, `domain list category ${JSON.stringify(r.category)} is not one of ${DOMAIN_LIST_CATEGORIES.join(', ')}`);
  return r as Resolved<DomainListCategory>;
}

/**
 * The rule for a list with rejected entries, for every format: it is refused, with all of them. GuardDuty's
 * reference does not say that it loads a list with some lines skipped, and a list loaded with entries silently
 * missing is worse than one refused loudly (the previous list, or none, stays in force).
 */
function accept(parsed: ParsedList, path: string): void {
  if (parsed.errors.length > 0) throw new ListRefusedError(path, parsed.errors);
}

/**
 * Parses the TXT list format: one IPv4/IPv6 address or CIDR per line; `#` starts a comment (whole line or
 * trailing); blank lines are ignored. Every invalid line is reported as `file:line: reason`, and the list is
 * refused: a list is never loaded with lines silently missing.
 */
export function parseTxtList(text: string, path: string, maxEntries = MAX_THREAT_LIST_ENTRIES): Cidr[] {
  return parseIpList(text, path, 'TXT', maxEntries).entries;
}

/** Parses an IP list of any format (`undefined`: detected); refused (ListRefusedError) on any rejected entry. */
export function parseIpList(
  text: string,
  path: string,
  format: ListFormat | undefined,
  maxEntries = MAX_THREAT_LIST_ENTRIES,
): { entries: Cidr[]; format: ListFormat } {
  const parsed = parseList(text, path, { maxEntries, kind: 'ip', ...(format ? { format } : {}) });
  accept(parsed, path);
  return { entries: parsed.ips, format: parsed.format as ListFormat };
}

/** Parses a domain list of any format; addresses in it are skipped (entity lists hold both); refused on any rejected entry. */
export function parseDomainList(
  text: string,
  path: string,
  format: ListFormat | undefined,
  maxEntries = MAX_THREAT_LIST_ENTRIES,
): { domains: string[]; format: ListFormat } {
  const parsed = parseList(text, path, { maxEntries, kind: 'domain', ...(format ? { format } : {}) });
  accept(parsed, path);
  return { domains: parsed.domains, format: parsed.format as ListFormat };
}

async function readList(name: string, path: string): Promise<Buffer> {
  if (name.length === 0 || name.length > 300) throw new IntelError(path, `list name must be 1-300 characters`);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new IntelError(path, `cannot read list: ${(err as Error).message}`, { cause: err });
  }
  if (buf.length > MAX_LIST_BYTES) throw new IntelError(path, `list file is ${buf.length} bytes; the limit is ${MAX_LIST_BYTES}`);
  return buf;
}

const sha256Of = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

function ipListFrom(r: Resolved<IpListCategory>, buf: Buffer, maxEntries: number): IpList {
  const parsed = parseIpList(buf.toString('utf8'), r.path, r.format, maxEntries);
  return { name: r.name, path: r.path, entries: parsed.entries, sha256: sha256Of(buf), format: parsed.format, ...(r.category ? { category: r.category } : {}) };
}

function domainListFrom(r: Resolved<DomainListCategory>, buf: Buffer, maxEntries: number): DomainList {
  const parsed = parseDomainList(buf.toString('utf8'), r.path, r.format, maxEntries);
  return { name: r.name, path: r.path, domains: parsed.domains, sha256: sha256Of(buf), format: parsed.format, ...(r.category ? { category: r.category } : {}) };
}

/**
 * Loads an IP list: `NAME=FILE`, `FILE`, or `{ name, path, format, category }`; the format is detected when not given,
 * the category (`threat` or `tor`) is kept as given (absent: the list's name decides, see categories.ts).
 */
export async function loadIpList(spec: string | ListSpec, maxEntries = MAX_THREAT_LIST_ENTRIES): Promise<IpList> {
  const r = resolveIpSpec(spec);
  return ipListFrom(r, await readList(r.name, r.path), maxEntries);
}

/** Loads a domain list (same specs and formats as `loadIpList`; categories `threat`, `c2`, `mining`). */
export async function loadDomainList(spec: string | ListSpec, maxEntries = MAX_THREAT_LIST_ENTRIES): Promise<DomainList> {
  const r = resolveDomainSpec(spec);
  return domainListFrom(r, await readList(r.name, r.path), maxEntries);
}

// ---------------------------------------------------------------------------------------------------------------
// Reload

export type ListChange<L> = { list: L; previous: L } | { error: Error };

export interface WatchOptions {
  /** Poll interval; default 5 s. */
  intervalMs?: number;
  maxEntries?: number;
}

/**
 * Watches a list file by polling (fs.watch misses changes on network and some container filesystems): each poll
 * stats the file; when its mtime, size or inode changed and then held still for one interval (so a file being
 * written is not read half-way), the file is read and hashed, and a different SHA-256 is parsed. A good list
 * becomes `current` and is passed to `onChange`; an unreadable or refused one is reported once per distinct
 * content (or per distinct read error) and the previous list stays `current`. A file changed within 2 s of its
 * last check is hashed again on the next poll, since an mtime can miss a rewrite of the same size in the same tick.
 *
 * The watcher only loads: the caller builds and swaps its own index (detection state is the caller's).
 */
export class ListWatcher<L extends { sha256: string }> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seenSig: string | undefined;
  private loadedSig: string | undefined;
  private racy = true;
  private lastError: string | undefined;
  private stopped = false;

  constructor(
    readonly path: string,
    private current_: L,
    private readonly build: (buf: Buffer) => L,
    private readonly onChange: (change: ListChange<L>) => void,
    private readonly intervalMs = 5000,
    /** The file's stat signature taken before `current` was read (see `statSignature`). */
    initialSig?: string,
  ) {
    this.seenSig = this.loadedSig = initialSig;
  }

  /** The list in force: the last one that loaded. */
  get current(): L {
    return this.current_;
  }

  /** Starts polling (the timer does not keep the process alive). */
  start(): this {
    this.stopped = false;
    this.schedule();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One poll, now; resolves when it is done (polls never overlap). */
  check(): Promise<void> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private report(key: string, error: Error): void {
    if (this.lastError === key) return;
    this.lastError = key;
    this.onChange({ error });
  }

  private async poll(): Promise<void> {
    let sig: string;
    let mtimeMs: number;
    try {
      const st = await stat(this.path);
      sig = sigOf(st);
      mtimeMs = st.mtimeMs;
    } catch (err) {
      this.seenSig = undefined;
      this.report(
        `stat:${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        new IntelError(this.path, `cannot read list: ${(err as Error).message}`, { cause: err }),
      );
      return;
    }
    if (sig !== this.seenSig) {
      this.seenSig = sig;
      return; // let it settle for one interval
    }
    if (sig === this.loadedSig && !this.racy) return;
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      this.report(
        `read:${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        new IntelError(this.path, `cannot read list: ${(err as Error).message}`, { cause: err }),
      );
      return;
    }
    this.loadedSig = sig;
    this.racy = Date.now() - mtimeMs < 2000;
    const sha = sha256Of(buf);
    if (sha === this.current_.sha256) {
      this.lastError = undefined;
      return;
    }
    if (this.lastError === `sha:${sha}`) return;
    if (buf.length > MAX_LIST_BYTES)
      return this.report(`sha:${sha}`, new IntelError(this.path, `list file is ${buf.length} bytes; the limit is ${MAX_LIST_BYTES}`));
    let list: L;
    try {
      list = this.build(buf);
    } catch (err) {
      return this.report(`sha:${sha}`, err as Error);
    }
    const previous = this.current_;
    this.current_ = list;
    this.lastError = undefined;
    this.onChange({ list, previous });
  }
}

function sigOf(st: { mtimeMs: number; size: number; ino: number }): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/** The stat signature a ListWatcher compares; take it before loading the initial list, so no change is missed. */
export async function statSignature(path: string): Promise<string | undefined> {
  try {
    return sigOf(await stat(path));
  } catch {
    return undefined;
  }
}

/**
 * Loads an IP list (throwing as `loadIpList` does) and watches its file for changes; see ListWatcher.
 * `watcher.current` is the list in force.
 */
export async function watchList(
  spec: string | ListSpec,
  onChange: (change: ListChange<IpList>) => void,
  options: WatchOptions = {},
): Promise<ListWatcher<IpList>> {
  const r = resolveIpSpec(spec);
  const max = options.maxEntries ?? MAX_THREAT_LIST_ENTRIES;
  const sig = await statSignature(r.path);
  const initial = ipListFrom(r, await readList(r.name, r.path), max);
  const w = new ListWatcher<IpList>(r.path, initial, (buf) => ipListFrom(r, buf, max), onChange, options.intervalMs, sig);
  return w.start();
}

/** As `watchList`, for a domain list. */
export async function watchDomainList(
  spec: string | ListSpec,
  onChange: (change: ListChange<DomainList>) => void,
  options: WatchOptions = {},
): Promise<ListWatcher<DomainList>> {
  const r = resolveDomainSpec(spec);
  const max = options.maxEntries ?? MAX_THREAT_LIST_ENTRIES;
  const sig = await statSignature(r.path);
  const initial = domainListFrom(r, await readList(r.name, r.path), max);
  const w = new ListWatcher<DomainList>(r.path, initial, (buf) => domainListFrom(r, buf, max), onChange, options.intervalMs, sig);
  return w.start();
}
