import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { IntelError, NotFoundError, UsageError } from '../core/errors.js';
import {
  DOMAIN_LIST_CATEGORIES,
  type DomainListCategory,
  domainListCategory,
  IP_LIST_CATEGORIES,
  type IpListCategory,
  ipListCategory,
  isDomainListCategory,
  isIpListCategory,
} from './categories.js';
import { detectFormat, LIST_FORMATS, type ListFormat, parseList, parseListFormat } from './formats.js';
import { type DomainList, type IpList, ListRefusedError, MAX_LIST_BYTES, MAX_THREAT_LIST_ENTRIES, parseIpList } from './threat-list.js';

/** `threat` and `trusted`: lists of addresses (IP lists); `domain`: threat lists of domain names. */
export const LIST_KINDS = ['threat', 'trusted', 'domain'] as const;
export type ListKind = (typeof LIST_KINDS)[number];
/** The kinds whose lists hold addresses. */
export type IpListKind = Exclude<ListKind, 'domain'>;
/** The category of a threat list of either kind. */
export type ListCategory = IpListCategory | DomainListCategory;

export function isListKind(s: unknown): s is ListKind {
  return typeof s === 'string' && (LIST_KINDS as readonly string[]).includes(s);
}

export interface StoredList {
  id: string;
  kind: ListKind;
  name: string;
  format: string;
  active: boolean;
  entries: number;
  sha256: string;
  updatedAt: string;
  /**
   * Threat and domain lists: what the list feeds (IP lists `threat` or `tor`; domain lists `threat`, `c2` or
   * `mining`), and whether the uploader said so or its name decided. Trusted lists have none.
   */
  category?: ListCategory;
  categoryFrom?: 'explicit' | 'name';
}

/** GuardDuty allows six threat lists and one trusted list per account and region; we keep its threat-list limit. */
export const MAX_UPLOADED_LISTS = 50;

/**
 * Threat, trusted and domain lists uploaded through the API or console (GuardDuty's CreateThreatIntelSet / IPSet
 * with `activate`), kept in the findings database beside the lists named in the configuration file. The text is
 * stored as uploaded, so `threatFileSha256` stays the SHA-256 of what the user gave, with the format it was read as.
 * Every format of `formats.ts` is accepted: named by the uploader, or detected from the content. A threat list may be
 * given a category (`threat` or `tor`), a domain list too (`threat`, `c2` or `mining`; `categories.ts`); without one
 * its name decides, as for configured lists. Domain lists need no column of their own: `kind` is `domain`.
 *
 * Threat lists and domain lists share one name space (a finding's `threatListName` names either), so an uploaded
 * domain list cannot take an uploaded threat list's name, nor the reverse.
 */
export class ListStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS intel_lists (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL, content TEXT NOT NULL,
      entries INTEGER NOT NULL, sha256 TEXT NOT NULL, active INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      UNIQUE (kind, name))`);
    // Databases created before list categories lack the column; NULL is "no category given".
    const columns = db.prepare('PRAGMA table_info(intel_lists)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'category')) db.exec('ALTER TABLE intel_lists ADD COLUMN category TEXT');
  }

  list(): StoredList[] {
    return (this.db.prepare('SELECT * FROM intel_lists ORDER BY kind, name').all() as Row[]).map(toList);
  }

  get(id: string): StoredList | undefined {
    const row = this.db.prepare('SELECT * FROM intel_lists WHERE id = ?').get(id) as Row | undefined;
    return row ? toList(row) : undefined;
  }

  /**
   * Parses and stores a list (replacing one of the same kind and name, category included); throws IntelError naming
   * each bad line. `format` is one of LIST_FORMATS (any case); empty, `AUTO` or `undefined` detects it from the
   * content. `category` (threat lists: `threat` or `tor`; domain lists: `threat`, `c2` or `mining`); empty or
   * `undefined`: none given (the name decides).
   */
  upload(kind: ListKind, name: string, text: string, format: string | undefined, now: number, category?: string): StoredList {
    if (!isListKind(kind)) throw new UsageError(`kind: ${JSON.stringify(kind)} is not a list kind (one of ${LIST_KINDS.join(', ')})`);
    if (!/^[\x20-\x7e]{1,300}$/.test(name) || name.trim() !== name)
      throw new UsageError('a list name is 1-300 printable ASCII characters without surrounding spaces');
    const givenCategory = category === undefined || category === '' ? undefined : category;
    if (givenCategory !== undefined) checkCategory(kind, givenCategory);
    const auto = format === undefined || format.trim() === '' || format.trim().toUpperCase() === 'AUTO';
    const given = auto ? undefined : parseListFormat(format);
    if (!auto && !given) throw new UsageError(`list format ${JSON.stringify(format)} is not supported (one of ${LIST_FORMATS.join(', ')}, or AUTO)`);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_LIST_BYTES) throw new UsageError(`the list is ${bytes} bytes; the limit is ${MAX_LIST_BYTES}`);
    const where = `${kind} list ${JSON.stringify(name)}`;
    const chosen = given ?? detectFormat(text, where);
    if (!chosen) throw new IntelError(where, `unrecognised list format; name it (one of ${LIST_FORMATS.join(', ')})`);
    const count = kind === 'domain' ? parseUploadedDomains(text, where, chosen).length : parseIpList(text, where, chosen).entries.length;
    const other = kind === 'domain' ? 'threat' : kind === 'threat' ? 'domain' : undefined;
    if (other && this.db.prepare('SELECT 1 FROM intel_lists WHERE kind = ? AND name = ?').get(other, name))
      throw new UsageError(
        `an uploaded ${other} list is already named ${JSON.stringify(name)}; threat and domain lists share one name space (a finding's threatListName names either)`,
      );
    const existing = this.db.prepare('SELECT id, active FROM intel_lists WHERE kind = ? AND name = ?').get(kind, name) as
      | { id: string; active: number }
      | undefined;
    if (!existing && (this.db.prepare('SELECT count(*) AS n FROM intel_lists').get() as { n: number }).n >= MAX_UPLOADED_LISTS)
      throw new UsageError(`at most ${MAX_UPLOADED_LISTS} lists can be uploaded; remove one first`);
    const id = existing?.id ?? randomUUID();
    const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
    this.db
      .prepare(
        `INSERT INTO intel_lists (id, kind, name, format, content, entries, sha256, active, updated_at, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET format = excluded.format, content = excluded.content, entries = excluded.entries, sha256 = excluded.sha256,
           updated_at = excluded.updated_at, category = excluded.category`,
      )
      .run(id, kind, name, chosen, text, count, sha256, existing ? existing.active : 0, now, givenCategory ?? null);
    return this.get(id) as StoredList;
  }

  setActive(id: string, active: boolean, now: number): StoredList {
    const r = this.db.prepare('UPDATE intel_lists SET active = ?, updated_at = ? WHERE id = ?').run(active ? 1 : 0, now, id);
    if (r.changes === 0) throw new NotFoundError(`no uploaded list with id ${JSON.stringify(id)}`);
    return this.get(id) as StoredList;
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM intel_lists WHERE id = ?').run(id).changes > 0;
  }

  /** The active lists of addresses of a kind, parsed, for building the Intel index. */
  active(kind: IpListKind): IpList[] {
    return this.activeRows(kind).map((r) =>
      this.reparse(r, (format, where) => {
        const { entries } = parseIpList(r.content, where, format);
        const category = isIpListCategory(r.category) ? r.category : undefined;
        return { name: r.name, path: `uploaded:${r.id}`, entries, sha256: r.sha256, format, ...(category ? { category } : {}) };
      }),
    );
  }

  /** The active domain lists, parsed, for building the Intel index. */
  activeDomains(): DomainList[] {
    return this.activeRows('domain').map((r) =>
      this.reparse(r, (format, where) => {
        const domains = parseUploadedDomains(r.content, where, format);
        const category = isDomainListCategory(r.category) ? r.category : undefined;
        return { name: r.name, path: `uploaded:${r.id}`, domains, sha256: r.sha256, format, ...(category ? { category } : {}) };
      }),
    );
  }

  private activeRows(kind: ListKind): Row[] {
    return this.db.prepare('SELECT * FROM intel_lists WHERE kind = ? AND active = 1 ORDER BY name').all(kind) as Row[];
  }

  private reparse<L>(r: Row, parse: (format: ListFormat, where: string) => L): L {
    try {
      return parse(parseListFormat(r.format) ?? 'TXT', `${r.kind} list ${JSON.stringify(r.name)}`);
    } catch (err) {
      throw new IntelError(`uploaded ${r.kind} list ${JSON.stringify(r.name)}`, (err as Error).message, { cause: err });
    }
  }
}

/** Refuses a category the kind does not take (UsageError naming the kind's categories). */
function checkCategory(kind: ListKind, category: string): void {
  if (kind === 'trusted')
    throw new UsageError(
      `category: only threat lists have a category (threat lists of addresses: ${IP_LIST_CATEGORIES.join(', ')}; domain lists: ${DOMAIN_LIST_CATEGORIES.join(', ')})`,
    );
  if (kind === 'threat' && !isIpListCategory(category))
    throw new UsageError(`category: ${JSON.stringify(category)} is not a threat list category (one of ${IP_LIST_CATEGORIES.join(', ')})`);
  if (kind === 'domain' && !isDomainListCategory(category))
    throw new UsageError(`category: ${JSON.stringify(category)} is not a domain list category (one of ${DOMAIN_LIST_CATEGORIES.join(', ')})`);
}

/**
 * The domains of an uploaded domain list; refused (ListRefusedError, every bad entry with its line) on any rejected
 * entry. Addresses in it are skipped (entity lists hold both), but a list with addresses and no domain at all is
 * refused: it was meant as a threat list of addresses.
 */
function parseUploadedDomains(text: string, where: string, format: ListFormat): string[] {
  const parsed = parseList(text, where, { format, maxEntries: MAX_THREAT_LIST_ENTRIES, kind: 'domain' });
  if (parsed.errors.length > 0) throw new ListRefusedError(where, parsed.errors);
  if (parsed.domains.length === 0 && parsed.ignored > 0)
    throw new IntelError(where, `no domain names, only ${parsed.ignored} other entries (addresses?); upload addresses as a threat list (kind threat)`);
  return parsed.domains;
}

interface Row {
  id: string;
  kind: ListKind;
  name: string;
  format: string;
  content: string;
  entries: number;
  sha256: string;
  active: number;
  updated_at: number;
  category: string | null;
}

function toList(r: Row): StoredList {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    format: r.format,
    active: r.active === 1,
    entries: r.entries,
    sha256: r.sha256,
    updatedAt: new Date(r.updated_at).toISOString(),
    ...(r.kind === 'threat' ? categoryInfo(r.name, isIpListCategory(r.category) ? r.category : undefined) : {}),
    ...(r.kind === 'domain' ? domainCategoryInfo(r.name, isDomainListCategory(r.category) ? r.category : undefined) : {}),
  };
}

/** A threat list's category in force and where it came from (for listings). */
export function categoryInfo(name: string, category: IpListCategory | undefined): { category: IpListCategory; categoryFrom: 'explicit' | 'name' } {
  return { category: ipListCategory({ name, category }), categoryFrom: category === undefined ? 'name' : 'explicit' };
}

/** A domain list's category in force and where it came from (for listings). */
export function domainCategoryInfo(
  name: string,
  category: DomainListCategory | undefined,
): { category: DomainListCategory; categoryFrom: 'explicit' | 'name' } {
  return { category: domainListCategory({ name, category }), categoryFrom: category === undefined ? 'name' : 'explicit' };
}
