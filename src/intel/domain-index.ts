/**
 * Domain rules compiled to hash lookups.
 *
 * Semantics (GuardDuty's reference does not say whether a listed domain covers its subdomains; we follow the
 * common threat-feed convention that it does, as a listed domain's owner controls every name under it):
 * - a listed `example.com` matches `example.com` and every name below it (`a.b.example.com`), not `badexample.com`;
 * - a listed `*.example.com` matches the names strictly below `example.com`, not `example.com` itself;
 * - with `{ subdomains: false }` a plain name matches only itself (wildcards still match below).
 *
 * A lookup is one probe of the exact table, then one probe of the suffix table per label boundary of the query
 * (each parent domain; at most 127 for a 253-character name). No regular expressions, independent of list size.
 * Rules are expected normalised (`normaliseDomain` in formats.ts); queries are lower-cased and lose a trailing dot.
 */
export class DomainIndex<T> {
  /** Names that match themselves. */
  private readonly exact = new Map<string, T[]>();
  /** Names whose strict subdomains match. */
  private readonly below = new Map<string, T[]>();
  private rules = 0;

  constructor(private readonly options: { subdomains?: boolean } = {}) {}

  /** Adds a rule (`example.com` or `*.example.com`) with its value (a list name); duplicates are kept once. */
  add(rule: string, value: T): void {
    let name = rule.trim().toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (name.startsWith('*.')) {
      put(this.below, name.slice(2), value);
    } else {
      put(this.exact, name, value);
      if (this.options.subdomains !== false) put(this.below, name, value);
    }
    this.rules++;
  }

  /** Rules added (duplicates included). */
  get size(): number {
    return this.rules;
  }

  /** The values of every rule that matches `query`, most specific first, each once; `undefined` when none. */
  lookup(query: string): T[] | undefined {
    let name = query;
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (name.length === 0 || name.length > 253) return undefined;
    if (hasUpper(name)) name = name.toLowerCase();
    let found: T[] | undefined;
    const exact = this.exact.get(name);
    if (exact) found = exact;
    if (this.below.size > 0) {
      // Suffixes from the longest (most specific) to the shortest, each starting after a dot.
      for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
        const values = this.below.get(name.slice(dot + 1));
        if (values) found = found ? merge(found, values) : values;
      }
    }
    return found;
  }

  has(query: string): boolean {
    return this.lookup(query) !== undefined;
  }
}

function put<T>(map: Map<string, T[]>, key: string, value: T): void {
  const values = map.get(key);
  if (!values) map.set(key, [value]);
  else if (!values.includes(value)) values.push(value);
}

function merge<T>(a: T[], b: T[]): T[] {
  const out = [...a];
  for (const v of b) if (!out.includes(v)) out.push(v);
  return out;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
