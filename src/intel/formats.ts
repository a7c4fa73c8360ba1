import { domainToASCII } from 'node:url';
import { IntelError } from '../core/errors.js';
import { type Cidr, maskV4, maskV6, parseCidr, parseIp } from '../core/ip.js';

/**
 * GuardDuty's list formats (ThreatIntelSet / IPSet / entity lists), plus STIX 2.1 JSON bundles (`STIX2`), which
 * GuardDuty does not take but most feeds now publish. Samples: shared/reference/examples/threat-lists/.
 *
 * - TXT: one IPv4/IPv6 address, CIDR or domain per line; `#` starts a comment.
 * - STIX: STIX 1.x XML; CybOX `AddressObjectType` properties (`Address_Value`, a single address, a `##comma##` list,
 *   or a `condition="InclusiveBetween"` range, turned into CIDRs) and `DomainNameObjectType` properties (`Value`).
 * - OTX_CSV: header `Indicator type, Indicator, Description`; types IPv4, IPv6, CIDR, domain, hostname are used.
 * - PROOF_POINT: header `ip, category, score, first_seen, last_seen, ports (|)` (or `domain, ...`); the first column.
 * - ALIEN_VAULT: `ip#4#2#Malicious Host#CC#City#lat,lon#3`; the first field.
 * - FIRE_EYE: iSIGHT CSV (47 columns); the `ip`, `cidr` and `domain` columns.
 * - STIX2: a bundle of `indicator` objects whose pattern compares `ipv4-addr:value`, `ipv6-addr:value` or
 *   `domain-name:value` with `=`, possibly ORed; any other pattern naming one of those objects is reported.
 *
 * Entries of other kinds (file hashes, URLs, e-mail addresses, indicators of other observables) are not entries of
 * an IP or domain list: they are counted as `ignored`, not reported.
 */
export const LIST_FORMATS = ['TXT', 'STIX', 'OTX_CSV', 'PROOF_POINT', 'FIRE_EYE', 'ALIEN_VAULT', 'STIX2'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** GuardDuty's limit of entries per threat list; larger lists are refused rather than truncated. */
export const MAX_THREAT_LIST_ENTRIES = 250_000;
/** GuardDuty's file-size limit for a list. */
export const MAX_LIST_BYTES = 35 * 1024 * 1024;
/** Errors kept in detail by `parseList`; beyond this one summary error says how many more there were. */
export const MAX_REPORTED_ERRORS = 1000;

/** Which entries a caller wants: an IP list takes addresses, a domain list takes domains, `any` both. */
export type ListKind = 'ip' | 'domain' | 'any';

export interface ParseListOptions {
  /** Given by the user; detected from the content when absent. */
  format?: ListFormat;
  maxEntries: number;
  /** Default `any`. In TXT (no type column) a line of the other kind is an error for an IP list. */
  kind?: ListKind;
}

export interface ParsedList {
  format: ListFormat | undefined;
  ips: Cidr[];
  /** Normalised, unique, in file order; `*.example.com` is a suffix rule. */
  domains: string[];
  /** Every rejected entry (`path:line: reason`), the entries that could be used are still returned. */
  errors: IntelError[];
  /** Entries of other kinds (hashes, URLs, the other list kind in typed formats), skipped without error. */
  ignored: number;
}

/** `TXT`, `stix`, `otx_csv`... to a format; `undefined` for anything else. */
export function parseListFormat(s: string): ListFormat | undefined {
  const up = s.trim().toUpperCase();
  return (LIST_FORMATS as readonly string[]).includes(up) ? (up as ListFormat) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Detection

const STIX1_NS = 'http://stix.mitre.org/stix-1';

function firstDataLine(text: string): string | undefined {
  let pos = 0;
  for (let n = 0; n < 1000 && pos < text.length; n++) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, Math.min(end, pos + 10_000)).trim();
    pos = end + 1;
    if (line !== '' && !line.startsWith('#')) return line;
  }
  return undefined;
}

function headerCells(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"|"$/g, '').trim().toLowerCase());
}

function csvFormatOf(cells: string[]): ListFormat | undefined {
  if (cells[0] === 'indicator type' && cells[1] === 'indicator') return 'OTX_CSV';
  if ((cells[0] === 'ip' || cells[0] === 'domain') && cells.includes('category') && cells.includes('score')) return 'PROOF_POINT';
  if (cells[0] === 'reportid' && (cells.includes('ip') || cells.includes('cidr') || cells.includes('domain'))) return 'FIRE_EYE';
  return undefined;
}

/**
 * The format of a list from its content: XML in the STIX 1.x namespace, a JSON `bundle`, the CSV headers of
 * OTX, Proofpoint and FireEye, AlienVault's `#`-separated fields, else TXT. `undefined` for content that is none
 * of them (other XML or JSON, a CSV with an unknown header). `path` only names the file.
 */
export function detectFormat(text: string, _path: string): ListFormat | undefined {
  const start = text.replace(/^\ufeff/, '').trimStart();
  if (start.startsWith('<')) return text.slice(0, 64 * 1024).includes(STIX1_NS) || /<([\w-]+:)?STIX_Package\b/.test(start.slice(0, 4096)) ? 'STIX' : undefined;
  if (start.startsWith('{')) {
    try {
      const doc = JSON.parse(start) as unknown;
      return typeof doc === 'object' && doc !== null && (doc as { type?: unknown }).type === 'bundle' ? 'STIX2' : undefined;
    } catch {
      return undefined;
    }
  }
  const line = firstDataLine(start);
  if (line === undefined) return 'TXT';
  if (/^[^\s#,]+#\d*#\d*#/.test(line)) return 'ALIEN_VAULT';
  if (line.includes(',')) return csvFormatOf(headerCells(line));
  return 'TXT';
}

// ---------------------------------------------------------------------------------------------------------------
// Domains

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function clip(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/**
 * Normalises a listed domain: lower case, no trailing dot, Unicode names converted to their IDNA (punycode) form
 * (DNS logs carry that form; `xn--` labels are kept as given), each label 1-63 letters, digits, `-` (not at either
 * end) or `_`, at most 253 characters, a non-numeric last label, and at least two labels. A leading `*.` makes a
 * suffix rule (`*.example.com`: the subdomains of example.com), allowed over a single label (`*.tk`).
 */
export function normaliseDomain(raw: string): { domain: string } | { error: string } {
  let s = raw.trim().toLowerCase();
  if (s.length > 1024) return { error: `not a domain name (too long): ${clip(s)}` };
  if (s.endsWith('.')) s = s.slice(0, -1);
  let wildcard = false;
  if (s.startsWith('*.')) {
    wildcard = true;
    s = s.slice(2);
  }
  if (s === '') return { error: `empty domain name: ${clip(raw.trim())}` };
  if (/[^\x20-\x7e]/.test(s)) {
    const ascii = domainToASCII(s);
    if (ascii === '') return { error: `not a valid internationalised domain name: ${clip(s)}` };
    s = ascii;
  }
  if (s.includes('*')) return { error: `a wildcard is only allowed as the whole first label (*.example.com): ${clip(raw.trim())}` };
  if (s.length > 253) return { error: `domain name longer than 253 characters: ${clip(s)}` };
  const labels = s.split('.');
  for (const label of labels) {
    if (label === '') return { error: `empty label in domain name: ${clip(s)}` };
    if (!LABEL.test(label)) return { error: `invalid label ${clip(label, 63)} in domain name: ${clip(s)}` };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return { error: `not a domain name (numeric last label): ${clip(s)}` };
  if (!wildcard && labels.length < 2) return { error: `a listed domain needs at least two labels: ${clip(s)}` };
  return { domain: wildcard ? `*.${s}` : s };
}

// ---------------------------------------------------------------------------------------------------------------
// Ranges

const V4_ALL = 0xffffffffn;
const V6_ALL = (1n << 128n) - 1n;

/** The smallest set of CIDRs covering `first`..`last` inclusive (same family, first <= last). */
export function rangeToCidrs(first: string, last: string): Cidr[] | { error: string } {
  const a = parseIp(first.trim());
  const b = parseIp(last.trim());
  if (!a) return { error: `range start is not an IP address: ${clip(first.trim())}` };
  if (!b) return { error: `range end is not an IP address: ${clip(last.trim())}` };
  if (a.v !== b.v) return { error: `range mixes IPv4 and IPv6: ${clip(`${first.trim()} - ${last.trim()}`)}` };
  const bits = a.v === 4 ? 32 : 128;
  let lo = BigInt(a.n);
  const hi = BigInt(b.n);
  if (lo > hi) return { error: `range start is after its end: ${clip(`${first.trim()} - ${last.trim()}`)}` };
  const out: Cidr[] = [];
  const all = bits === 32 ? V4_ALL : V6_ALL;
  while (lo <= hi) {
    let size = 0; // host bits of the block
    while (size < bits) {
      const next = size + 1;
      const mask = (1n << BigInt(next)) - 1n;
      if ((lo & mask) !== 0n || lo + mask > hi) break;
      size = next;
    }
    const len = bits - size;
    out.push(a.v === 4 ? { v: 4, n: maskV4(Number(lo), len), len } : { v: 6, n: maskV6(lo, len), len });
    const step = 1n << BigInt(size);
    if (lo + step - 1n >= all) break;
    lo += step;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Collector shared by the format parsers

type Expect = 'ip' | 'domain' | 'either';

class Collector {
  readonly ips: Cidr[] = [];
  readonly domainSet = new Set<string>();
  readonly errors: IntelError[] = [];
  invalid = 0;
  ignored = 0;

  constructor(
    readonly path: string,
    readonly kind: ListKind,
  ) {}

  error(where: string | number, reason: string): void {
    this.invalid++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(new IntelError(typeof where === 'number' ? `${this.path}:${where}` : where, reason));
  }

  /** One listed value: an address, CIDR or domain, as the format's column says (`either` when it does not). */
  value(raw: string, where: string | number, expect: Expect): void {
    const text = raw.trim();
    if (text === '') {
      this.error(where, 'empty entry');
      return;
    }
    if (expect !== 'domain') {
      const cidr = parseCidr(text);
      if (!('error' in cidr)) {
        if (this.kind === 'domain') this.ignored++;
        else this.ips.push(cidr);
        return;
      }
      if (expect === 'ip') {
        if (this.kind === 'domain') this.ignored++;
        else this.error(where, cidr.error);
        return;
      }
      // either: an address-looking text gets the address error, anything else is read as a domain.
      if (text.includes(':') || /^[0-9./]+$/.test(text)) {
        this.error(where, cidr.error);
        return;
      }
      const dom = normaliseDomain(text);
      if ('error' in dom) {
        this.error(where, this.kind === 'ip' ? cidr.error : dom.error);
        return;
      }
      if (this.kind === 'ip') {
        this.error(where, `a domain name is not an entry of an IP list: ${clip(dom.domain)}`);
        return;
      }
      this.domainSet.add(dom.domain);
      return;
    }
    if (this.kind === 'ip') {
      this.ignored++;
      return;
    }
    const dom = normaliseDomain(text);
    if ('error' in dom) this.error(where, dom.error);
    else this.domainSet.add(dom.domain);
  }

  result(format: ListFormat | undefined, maxEntries: number): ParsedList {
    const count = (this.kind === 'domain' ? 0 : this.ips.length) + (this.kind === 'ip' ? 0 : this.domainSet.size);
    const errors = this.errors;
    if (this.invalid > errors.length) errors.push(new IntelError(this.path, `${this.invalid - errors.length} more invalid entries not listed`));
    if (count > maxEntries) errors.push(new IntelError(this.path, `${count} entries; a list holds at most ${maxEntries} (GuardDuty's limit)`));
    return { format, ips: this.ips, domains: [...this.domainSet], errors, ignored: this.ignored };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Line and CSV readers

function* lines(text: string): Generator<[number, string]> {
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    n++;
    yield [n, text.slice(pos, end)];
    pos = end + 1;
  }
}

function parseTxt(text: string, c: Collector): void {
  for (const [n, raw] of lines(text)) {
    let line = raw;
    const hash = line.indexOf('#');
    if (hash !== -1) line = line.slice(0, hash);
    line = line.trim();
    if (line !== '') c.value(line, n, 'either');
  }
}

function parseAlienVault(text: string, c: Collector): void {
  for (const [n, raw] of lines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const hash = line.indexOf('#');
    c.value(hash === -1 ? line : line.slice(0, hash), n, 'either');
  }
}

/** CSV records (RFC 4180 quoting, fields trimmed), each with the line it starts on; blank and `#` lines skipped. */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }> {
  let pos = 0;
  let line = 1;
  const len = text.length;
  while (pos < len) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let atFieldStart = true;
    let quoted = false;
    let endOfRecord = false;
    // Skip a comment line.
    if (text.charCodeAt(pos) === 35) {
      let end = text.indexOf('\n', pos);
      if (end === -1) end = len;
      pos = end + 1;
      line++;
      continue;
    }
    while (pos < len && !endOfRecord) {
      const ch = text[pos] as string;
      if (quoted) {
        if (ch === '"') {
          if (text[pos + 1] === '"') {
            field += '"';
            pos += 2;
            continue;
          }
          quoted = false;
          pos++;
          continue;
        }
        if (ch === '\n') line++;
        field += ch;
        pos++;
        continue;
      }
      if (ch === '"' && atFieldStart && field.trim() === '') {
        quoted = true;
        field = '';
        atFieldStart = false;
        pos++;
      } else if (ch === ',') {
        fields.push(field.trim());
        field = '';
        atFieldStart = true;
        pos++;
      } else if (ch === '\n') {
        endOfRecord = true;
        line++;
        pos++;
      } else {
        if (ch !== ' ' && ch !== '\t') atFieldStart = false;
        field += ch;
        pos++;
      }
    }
    fields.push(field.trim());
    if (fields.length === 1 && fields[0] === '') continue;
    yield { line: startLine, fields };
  }
}

function parseCsv(text: string, format: 'OTX_CSV' | 'PROOF_POINT' | 'FIRE_EYE', c: Collector): void {
  const records = csvRecords(text);
  const first = records.next();
  if (first.done) return;
  const header = first.value.fields.map((f) => f.toLowerCase());
  const headerLine = first.value.line;
  if (format === 'OTX_CSV') {
    const typeCol = header.indexOf('indicator type');
    const valueCol = header.indexOf('indicator');
    if (typeCol === -1 || valueCol === -1) {
      c.error(headerLine, 'expected the OTX header "Indicator type, Indicator, Description"');
      return;
    }
    for (const { line, fields } of records) {
      const type = (fields[typeCol] ?? '').toLowerCase().replace(/[\s_-]/g, '');
      const value = fields[valueCol] ?? '';
      if (type === 'ipv4' || type === 'ipv6' || type === 'cidr') c.value(value, line, 'ip');
      else if (type === 'domain' || type === 'domainname' || type === 'hostname') c.value(value, line, 'domain');
      else if (type === '') c.error(line, 'empty indicator type');
      else c.ignored++;
    }
    return;
  }
  if (format === 'PROOF_POINT') {
    const col0 = header[0];
    if (col0 !== 'ip' && col0 !== 'domain') {
      c.error(headerLine, 'expected the Proofpoint header "ip, category, score, first_seen, last_seen, ports (|)"');
      return;
    }
    for (const { line, fields } of records) c.value(fields[0] ?? '', line, col0);
    return;
  }
  const ipCol = header.indexOf('ip');
  const cidrCol = header.indexOf('cidr');
  const domainCol = header.indexOf('domain');
  if (ipCol === -1 && cidrCol === -1 && domainCol === -1) {
    c.error(headerLine, 'expected a FireEye iSIGHT header with ip, cidr or domain columns');
    return;
  }
  for (const { line, fields } of records) {
    let any = false;
    for (const [col, expect] of [
      [ipCol, 'ip'],
      [cidrCol, 'ip'],
      [domainCol, 'domain'],
    ] as const) {
      const v = col === -1 ? '' : (fields[col] ?? '');
      if (v !== '') {
        any = true;
        c.value(v, line, expect);
      }
    }
    if (!any) c.ignored++;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// STIX 1.x XML: a small non-validating scanner (no DTDs, no external entities), enough to find CybOX address and
// domain-name properties with the line each value starts on.

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return safeCodePoint(Number.parseInt(e.slice(2), 16), m);
    if (e.startsWith('#')) return safeCodePoint(Number.parseInt(e.slice(1), 10), m);
    return ENTITIES[e] ?? m;
  });
}

function safeCodePoint(n: number, fallback: string): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : fallback;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

interface XmlElement {
  local: string;
  qname: string;
  attrs: Map<string, string>;
}

type Ctx = { object: 'address'; category: string | undefined } | { object: 'domain'; type: string | undefined } | undefined;

const IP_CATEGORIES = new Set(['ipv4-addr', 'ipv6-addr', 'ipv4-net', 'ipv6-net', 'cidr']);

function parseStix1(text: string, c: Collector): void {
  let pos = 0;
  let line = 1;
  let lineAt = 0;
  const lineOf = (p: number): number => {
    for (let i = lineAt; i < p; i++) if (text.charCodeAt(i) === 10) line++;
    lineAt = p;
    return line;
  };
  const stack: Array<{ el: XmlElement; ctx: Ctx }> = [];
  let capture: { el: XmlElement; ctx: Ctx; line: number; text: string; depth: number } | undefined;
  const fatal = (p: number, reason: string) => c.error(lineOf(p), `malformed XML: ${reason}`);

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt === -1 ? text.length : lt;
    if (capture && textEnd > pos) capture.text += decodeXml(text.slice(pos, textEnd));
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) {
        fatal(lt, 'unterminated comment');
        return;
      }
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) {
        fatal(lt, 'unterminated CDATA section');
        return;
      }
      if (capture) capture.text += text.slice(lt + 9, end);
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) {
        fatal(lt, 'unterminated processing instruction');
        return;
      }
      pos = end + 2;
      continue;
    }
    if (text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      const decl = text.slice(lt, end === -1 ? text.length : end);
      if (end === -1 || decl.includes('[')) {
        fatal(lt, 'document type definitions are not supported');
        return;
      }
      pos = end + 1;
      continue;
    }
    if (text[lt + 1] === '/') {
      const end = text.indexOf('>', lt);
      if (end === -1) {
        fatal(lt, 'unterminated end tag');
        return;
      }
      const qname = text.slice(lt + 2, end).trim();
      const top = stack.pop();
      if (!top || top.el.qname !== qname) {
        fatal(lt, `end tag </${qname}> does not match ${top ? `<${top.el.qname}>` : 'any open element'}`);
        return;
      }
      if (capture && capture.depth === stack.length) {
        stixValue(capture.el, capture.ctx, capture.text, capture.line, c);
        capture = undefined;
      }
      pos = end + 1;
      continue;
    }
    // Start tag: name, attributes (quoted values may hold '>'), optional '/'.
    let p = lt + 1;
    const nameMatch = /^[^\s/>]+/.exec(text.slice(p, p + 512));
    if (!nameMatch) {
      fatal(lt, 'invalid tag');
      return;
    }
    const qname = nameMatch[0];
    p += qname.length;
    const attrs = new Map<string, string>();
    let selfClosing = false;
    for (;;) {
      while (p < text.length && /\s/.test(text[p] as string)) p++;
      if (p >= text.length) {
        fatal(lt, `unterminated tag <${qname}>`);
        return;
      }
      if (text[p] === '>') {
        p++;
        break;
      }
      if (text.startsWith('/>', p)) {
        selfClosing = true;
        p += 2;
        break;
      }
      const eq = text.indexOf('=', p);
      if (eq === -1) {
        fatal(lt, `bad attribute in <${qname}>`);
        return;
      }
      const aname = text.slice(p, eq).trim();
      let q = eq + 1;
      while (q < text.length && /\s/.test(text[q] as string)) q++;
      const quote = text[q];
      if (quote !== '"' && quote !== "'") {
        fatal(lt, `unquoted attribute ${aname} in <${qname}>`);
        return;
      }
      const close = text.indexOf(quote, q + 1);
      if (close === -1) {
        fatal(lt, `unterminated attribute ${aname} in <${qname}>`);
        return;
      }
      attrs.set(aname, decodeXml(text.slice(q + 1, close)));
      p = close + 1;
    }
    const el: XmlElement = { local: localName(qname), qname, attrs };
    const parentCtx = stack.length > 0 ? (stack[stack.length - 1] as { ctx: Ctx }).ctx : undefined;
    let ctx = parentCtx;
    if (el.local === 'Properties') {
      let xsiType: string | undefined;
      for (const [k, v] of attrs) if (k.includes(':') && localName(k) === 'type') xsiType = localName(v);
      if (xsiType === 'AddressObjectType') ctx = { object: 'address', category: attrs.get('category') };
      else if (xsiType === 'DomainNameObjectType') ctx = { object: 'domain', type: attrs.get('type') };
      else ctx = undefined;
    }
    const wanted = !capture && ctx && ((ctx.object === 'address' && el.local === 'Address_Value') || (ctx.object === 'domain' && el.local === 'Value'));
    if (selfClosing) {
      if (wanted) {
        stixValue(el, ctx, '', lineOf(lt), c);
      }
    } else {
      if (wanted) capture = { el, ctx, line: lineOf(lt), text: '', depth: stack.length };
      stack.push({ el, ctx });
    }
    pos = p;
  }
  if (stack.length > 0) fatal(text.length, `unclosed element <${(stack[stack.length - 1] as { el: XmlElement }).el.qname}>`);
}

function stixValue(el: XmlElement, ctx: Ctx, raw: string, line: number, c: Collector): void {
  if (!ctx) return;
  const condition = el.attrs.get('condition') ?? 'Equals';
  const values = raw.split('##comma##').map((v) => v.trim());
  if (ctx.object === 'domain') {
    if (ctx.type !== undefined && ctx.type !== 'FQDN') {
      c.ignored++;
      return;
    }
    if (condition !== 'Equals') {
      c.error(line, `unsupported condition ${clip(condition)} on a domain name (only Equals)`);
      return;
    }
    for (const v of values) c.value(v, line, 'domain');
    return;
  }
  const category = ctx.category;
  if (category !== undefined && !IP_CATEGORIES.has(category)) {
    c.ignored++;
    return;
  }
  if (condition === 'InclusiveBetween') {
    if (values.length !== 2) {
      c.error(line, `an InclusiveBetween range needs two addresses separated by ##comma##, got ${clip(raw.trim())}`);
      return;
    }
    if (c.kind === 'domain') {
      c.ignored++;
      return;
    }
    const cidrs = rangeToCidrs(values[0] as string, values[1] as string);
    if ('error' in cidrs) {
      c.error(line, cidrs.error);
      return;
    }
    c.ips.push(...cidrs);
    return;
  }
  if (condition !== 'Equals') {
    c.error(line, `unsupported condition ${clip(condition)} on an address (Equals or InclusiveBetween)`);
    return;
  }
  for (const v of values) c.value(v, line, 'ip');
}

// ---------------------------------------------------------------------------------------------------------------
// STIX 2.1 JSON

const STIX2_OBJECTS = /\b(ipv4-addr|ipv6-addr|domain-name):/;

type PatternResult = { values: Array<{ object: 'ipv4-addr' | 'ipv6-addr' | 'domain-name'; value: string }> } | { error: string };

/**
 * The simple STIX 2.1 patterns: `[x:value = '...']` comparisons of ipv4-addr, ipv6-addr or domain-name, combined
 * with OR inside and between observation expressions, parentheses allowed. Anything else is an error.
 */
export function parseStixPattern(pattern: string): PatternResult {
  const tokens: string[] = [];
  const re = /\s*(?:(\[|\]|\(|\)|=)|'((?:[^'\\]|\\.)*)'|([A-Za-z0-9_\-:.]+)|(\S))/gy;
  const strings = new Map<number, string>();
  re.lastIndex = 0;
  while (re.lastIndex < pattern.length) {
    const m = re.exec(pattern);
    if (m === null) break;
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) {
      strings.set(tokens.length, m[2].replace(/\\(.)/g, '$1'));
      tokens.push("'");
    } else if (m[3] !== undefined) tokens.push(m[3]);
    else if (m[4] !== undefined) return { error: `unexpected ${clip(m[4])} in pattern` };
    if (/^\s*$/.test(pattern.slice(re.lastIndex))) break;
  }
  const values: Array<{ object: 'ipv4-addr' | 'ipv6-addr' | 'domain-name'; value: string }> = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(what);
  };
  const comparison = () => {
    if (tokens[i] === '(') {
      i++;
      comparisonOr();
      if (tokens[i++] !== ')') fail('expected ) in comparison expression');
      return;
    }
    const path = tokens[i++];
    if (path !== 'ipv4-addr:value' && path !== 'ipv6-addr:value' && path !== 'domain-name:value')
      fail(`only ipv4-addr:value, ipv6-addr:value and domain-name:value are supported, got ${clip(path ?? '(end)')}`);
    if (tokens[i++] !== '=') fail(`only = comparisons are supported, got ${clip(tokens[i - 1] ?? '(end)')}`);
    const at = i;
    if (tokens[i++] !== "'") fail('expected a quoted string');
    values.push({ object: (path as string).slice(0, -':value'.length) as 'ipv4-addr', value: strings.get(at) as string });
  };
  const comparisonOr = () => {
    comparison();
    while (tokens[i] === 'OR') {
      i++;
      comparison();
    }
  };
  const observation = () => {
    if (tokens[i] === '(') {
      i++;
      observationOr();
      if (tokens[i++] !== ')') fail('expected ) in observation expression');
      return;
    }
    if (tokens[i++] !== '[') fail('expected [');
    comparisonOr();
    if (tokens[i++] !== ']') fail(`expected ], got ${clip(tokens[i - 1] ?? '(end)')}`);
  };
  const observationOr = () => {
    observation();
    while (tokens[i] === 'OR') {
      i++;
      observation();
    }
  };
  try {
    observationOr();
    if (i < tokens.length) fail(`unsupported ${clip(tokens[i] as string)} (only OR of = comparisons)`);
  } catch (err) {
    return { error: `unsupported pattern: ${(err as Error).message}` };
  }
  return { values };
}

/** Lines of indicator ids in a JSON text: ids usually appear in order, so each search starts after the last. */
function idLocator(text: string): (id: unknown) => number | undefined {
  let newlines: number[] | undefined;
  let cursor = 0;
  return (id) => {
    if (typeof id !== 'string' || id === '') return undefined;
    const needle = JSON.stringify(id);
    let at = text.indexOf(needle, cursor);
    if (at === -1) at = text.indexOf(needle);
    if (at === -1) return undefined;
    cursor = at + needle.length;
    if (!newlines) {
      newlines = [];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines.push(i);
    }
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((newlines[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

function parseStix2(text: string, c: Collector): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    c.error(c.path, `not valid JSON: ${(err as Error).message}`);
    return;
  }
  const objects = (doc as { objects?: unknown }).objects;
  if ((doc as { type?: unknown }).type !== 'bundle' || !Array.isArray(objects)) {
    c.error(c.path, 'expected a STIX 2.1 bundle ({"type": "bundle", "objects": [...]})');
    return;
  }
  const lineOf = idLocator(text);
  for (const [idx, o] of (objects as unknown[]).entries()) {
    if (typeof o !== 'object' || o === null || (o as { type?: unknown }).type !== 'indicator') continue;
    const ind = o as { id?: unknown; pattern?: unknown; pattern_type?: unknown; revoked?: unknown };
    if (ind.revoked === true || (ind.pattern_type !== undefined && ind.pattern_type !== 'stix')) {
      c.ignored++;
      continue;
    }
    const where = lineOf(ind.id) ?? `${c.path}#objects[${idx}]`;
    if (typeof ind.pattern !== 'string') {
      c.error(where, 'indicator without a pattern');
      continue;
    }
    const parsed = parseStixPattern(ind.pattern);
    if ('error' in parsed) {
      if (STIX2_OBJECTS.test(ind.pattern)) c.error(where, `${parsed.error}: ${clip(ind.pattern, 120)}`);
      else c.ignored++;
      continue;
    }
    for (const { object, value } of parsed.values) c.value(value, where, object === 'domain-name' ? 'domain' : 'ip');
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Parses a list in any supported format (given, or detected from the content). Every rejected entry is reported
 * as `path:line: reason` (for a STIX 2.1 indicator whose id cannot be found in the text: `path#objects[i]`), and
 * every usable entry is returned: the caller decides whether a list with errors is refused. An over-limit list or
 * file is reported as an error naming only the path.
 */
export function parseList(text: string, path: string, options: ParseListOptions): ParsedList {
  const kind = options.kind ?? 'any';
  const c = new Collector(path, kind);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_LIST_BYTES) {
    c.error(path, `list is ${bytes} bytes; the limit is ${MAX_LIST_BYTES}`);
    return c.result(options.format, options.maxEntries);
  }
  const format = options.format ?? detectFormat(body, path);
  switch (format) {
    case 'TXT':
      parseTxt(body, c);
      break;
    case 'ALIEN_VAULT':
      parseAlienVault(body, c);
      break;
    case 'OTX_CSV':
    case 'PROOF_POINT':
    case 'FIRE_EYE':
      parseCsv(body, format, c);
      break;
    case 'STIX':
      parseStix1(body, c);
      break;
    case 'STIX2':
      parseStix2(body, c);
      break;
    case undefined:
      c.error(path, `unrecognised list format (expected one of ${LIST_FORMATS.join(', ')})`);
      break;
  }
  return c.result(format, options.maxEntries);
}
