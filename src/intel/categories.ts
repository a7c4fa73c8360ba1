/**
 * What a threat list is for: its category decides which finding types its entries feed.
 *
 * IP lists (`threatLists`, uploaded threat lists):
 * - `threat` (default): known malicious addresses, `...:MaliciousIPCaller.Custom` and the other custom-list findings;
 * - `tor`: Tor nodes, `UnauthorizedAccess:EC2/TorClient` (and not MaliciousIPCaller.Custom).
 *
 * Domain lists (`threatDomainLists`):
 * - `threat` (default): `Impact:EC2/MaliciousDomainRequest.Custom`;
 * - `c2`: command-and-control domains, `Backdoor:EC2/C&CActivity.B!DNS`;
 * - `mining`: cryptocurrency domains, `CryptoCurrency:EC2/BitcoinTool.B!DNS`.
 *
 * The category is given explicitly (`category:` in the configuration, `category` on upload). When it is absent, the
 * list's name decides, by the naming convention earlier versions used (kept so existing configurations keep working):
 * a name starting with `tor` (IP), `c2` / `cnc` / `command-and-control` (domain: c2) or `crypto` / `bitcoin` /
 * `mining` (domain: mining), case-insensitive. An explicit category always wins over the name.
 */
export const IP_LIST_CATEGORIES = ['threat', 'tor'] as const;
export type IpListCategory = (typeof IP_LIST_CATEGORIES)[number];

export const DOMAIN_LIST_CATEGORIES = ['threat', 'c2', 'mining'] as const;
export type DomainListCategory = (typeof DOMAIN_LIST_CATEGORIES)[number];

/** The name prefixes (lower case) of the fallback convention, per non-default category. */
export const IP_CATEGORY_NAME_PREFIXES: Readonly<Record<Exclude<IpListCategory, 'threat'>, readonly string[]>> = {
  tor: ['tor'],
};
export const DOMAIN_CATEGORY_NAME_PREFIXES: Readonly<Record<Exclude<DomainListCategory, 'threat'>, readonly string[]>> = {
  c2: ['c2', 'cnc', 'command-and-control'],
  mining: ['crypto', 'bitcoin', 'mining'],
};

function byName<C extends string>(name: string, prefixes: Readonly<Record<string, readonly string[]>>, fallback: C): C {
  const lower = name.toLowerCase();
  for (const [category, ps] of Object.entries(prefixes)) if (ps.some((p) => lower.startsWith(p))) return category as C;
  return fallback;
}

/** The category the naming convention gives an IP list called `name` (`threat` when no prefix matches). */
export function ipCategoryByName(name: string): IpListCategory {
  return byName<IpListCategory>(name, IP_CATEGORY_NAME_PREFIXES, 'threat');
}

/** The category the naming convention gives a domain list called `name` (`threat` when no prefix matches). */
export function domainCategoryByName(name: string): DomainListCategory {
  return byName<DomainListCategory>(name, DOMAIN_CATEGORY_NAME_PREFIXES, 'threat');
}

/** An IP list's category in force: the explicit one, else the convention's. */
export function ipListCategory(list: { name: string; category?: IpListCategory | undefined }): IpListCategory {
  return list.category ?? ipCategoryByName(list.name);
}

/** A domain list's category in force: the explicit one, else the convention's. */
export function domainListCategory(list: { name: string; category?: DomainListCategory | undefined }): DomainListCategory {
  return list.category ?? domainCategoryByName(list.name);
}

export function isIpListCategory(s: unknown): s is IpListCategory {
  return typeof s === 'string' && (IP_LIST_CATEGORIES as readonly string[]).includes(s);
}

export function isDomainListCategory(s: unknown): s is DomainListCategory {
  return typeof s === 'string' && (DOMAIN_LIST_CATEGORIES as readonly string[]).includes(s);
}

/**
 * A note for a list whose category came from its name and is not the default (`undefined` otherwise), so the
 * fallback is never silent: `threat list "tor-exit" has no category: taken as tor by its name; ...`.
 */
export function conventionNote(kind: 'threat list' | 'domain list', list: { name: string; category?: string | undefined }): string | undefined {
  if (list.category !== undefined) return undefined;
  const category = kind === 'threat list' ? ipCategoryByName(list.name) : domainCategoryByName(list.name);
  if (category === 'threat') return undefined;
  return `${kind} ${JSON.stringify(list.name)} has no category: taken as ${category} by its name (set category: ${category} to say so, or category: threat to keep it a threat list)`;
}
