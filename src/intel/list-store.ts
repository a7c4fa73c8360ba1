import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { IntelError, NotFoundError, UsageError } from '../core/errors.js';
import { IP_LIST_CATEGORIES, type IpListCategory, ipListCategory, isIpListCategory } from './categories.js';
import { detectFormat, LIST_FORMATS, type ListFormat, parseListFormat } from './formats.js';
import { type IpList, MAX_LIST_BYTES, parseIpList } from './threat-list.js';

export type ListKind = 'threat' | 'trusted';

export interface StoredList {
  id: string;
  kind: ListKind;
  name: string;
  format: string;
  active: boolean;
  entries: number;
  sha256: string;
  updatedAt: string;
  /** Threat lists only: what the list feeds (`threat` or `tor`), and whether the uploader said so or its name decided. */
  category?: IpListCategory;
  categoryFrom?: 'explicit' | 'name';
}

/** GuardDuty allows six threat lists and one trusted list per account and region; we keep its threat-list limit. */
export const MAX_UPLOADED_LISTS = 50;

/**
 * Threat and trusted lists uploaded through the API or console (GuardDuty's CreateThreatIntelSet / IPSet with
 * `activate`), kept in the findings database beside the lists named in the configuration file. The text is stored
 * as uploaded, so `threatFileSha256` stays the SHA-256 of what the user gave, with the format it was read as.
 * Every format of `formats.ts` is accepted: named by the uploader, or detected from the content. A threat list may be
 * given a category (`threat` or `tor`, `categories.ts`); without one its name decides, as for configured lists.
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
   * content. `category` (threat lists only): `threat` or `tor`; empty or `undefined`: none given (the name decides).
   */
  upload(kind: ListKind, name: string, text: string, format: string | undefined, now: number, category?: string): StoredList {
    if (!/^[\x20-\x7e]{1,300}$/.test(name) || name.trim() !== name)
      throw new UsageError('a list name is 1-300 printable ASCII characters without surrounding spaces');
    const givenCategory = category === undefined || category === '' ? undefined : category;
    if (givenCategory !== undefined && kind !== 'threat') throw new UsageError('category: only threat lists have a category');
    if (givenCategory !== undefined && !isIpListCategory(givenCategory))
      throw new UsageError(`category: ${JSON.stringify(givenCategory)} is not a threat list category (one of ${IP_LIST_CATEGORIES.join(', ')})`);
    const auto = format === undefined || format.trim() === '' || format.trim().toUpperCase() === 'AUTO';
    const given = auto ? undefined : parseListFormat(format);
    if (!auto && !given) throw new UsageError(`list format ${JSON.stringify(format)} is not supported (one of ${LIST_FORMATS.join(', ')}, or AUTO)`);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_LIST_BYTES) throw new UsageError(`the list is ${bytes} bytes; the limit is ${MAX_LIST_BYTES}`);
    const where = `${kind} list ${JSON.stringify(name)}`;
    const chosen = given ?? detectFormat(text, where);
    if (!chosen) throw new IntelError(where, `unrecognised list format; name it (one of ${LIST_FORMATS.join(', ')})`);
    const { entries } = parseIpList(text, where, chosen);
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
      .run(id, kind, name, chosen, text, entries.length, sha256, existing ? existing.active : 0, now, givenCategory ?? null);
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

  /** The active lists of a kind, parsed, for building the Intel index. */
  active(kind: ListKind): IpList[] {
    const rows = this.db.prepare('SELECT * FROM intel_lists WHERE kind = ? AND active = 1 ORDER BY name').all(kind) as Row[];
    return rows.map((r) => {
      try {
        const format: ListFormat | undefined = parseListFormat(r.format) ?? 'TXT';
        const { entries } = parseIpList(r.content, `${kind} list ${JSON.stringify(r.name)}`, format);
        const category = isIpListCategory(r.category) ? r.category : undefined;
        return { name: r.name, path: `uploaded:${r.id}`, entries, sha256: r.sha256, format, ...(category ? { category } : {}) };
      } catch (err) {
        throw new IntelError(`uploaded ${kind} list ${JSON.stringify(r.name)}`, (err as Error).message, { cause: err });
      }
    });
  }
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
  };
}

/** A threat list's category in force and where it came from (for listings). */
export function categoryInfo(name: string, category: IpListCategory | undefined): { category: IpListCategory; categoryFrom: 'explicit' | 'name' } {
  return { category: ipListCategory({ name, category }), categoryFrom: category === undefined ? 'name' : 'explicit' };
}
