import type { Child } from 'hono/jsx';
import type { Caller } from '../api/services.js';
import { severityLabel } from '../core/finding.js';
import { ASSET_VERSION } from './assets.js';

/**
 * The page frame and small shared pieces. Every value from logs or findings reaches the HTML as JSX text (escaped by
 * hono/jsx); attributes only ever carry fixed strings or hrefs built here with encodeURIComponent / URLSearchParams.
 */

export const NAV = [
  { href: '/', label: 'Summary', key: 'summary' },
  { href: '/findings', label: 'Findings', key: 'findings' },
  { href: '/suppression', label: 'Suppression', key: 'suppression' },
  { href: '/rules', label: 'Rules', key: 'rules' },
  { href: '/lists', label: 'Lists', key: 'lists' },
  { href: '/audit', label: 'Audit', key: 'audit' },
] as const;
export type NavKey = (typeof NAV)[number]['key'] | 'inbox' | 'none';

export interface PageProps {
  title: string;
  caller?: Caller | undefined;
  csrf: string;
  nav?: NavKey;
  /** Data attributions shown in the footer (the address databases' licences ask for them). */
  attribution?: string[] | undefined;
  /** Pages beyond the standard ones (the lab's inbox). */
  extraNav?: { href: string; label: string; key: string }[] | undefined;
  children?: Child;
}

export function Layout(p: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${p.title} · Trailhound`}</title>
        <link rel="stylesheet" href={`/assets/app.css?v=${ASSET_VERSION}`} />
        <script src={`/assets/app.js?v=${ASSET_VERSION}`} defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            Trailhound
          </a>
          {p.caller ? (
            <nav aria-label="Main">
              {[...NAV, ...(p.extraNav ?? [])].map((n) => (
                <a href={n.href} class={p.nav === n.key ? 'current' : undefined} aria-current={p.nav === n.key ? 'page' : undefined}>
                  {n.label}
                </a>
              ))}
            </nav>
          ) : null}
          {p.caller ? (
            <div class="who">
              <span>
                {p.caller.name} <span class="role">{p.caller.role}</span>
              </span>
              {p.caller.via === 'session' ? (
                <form method="post" action="/logout">
                  <Csrf token={p.csrf} />
                  <button type="submit">Log out</button>
                </form>
              ) : null}
            </div>
          ) : null}
        </header>
        <main>{p.children}</main>
        {p.attribution && p.attribution.length > 0 ? (
          <footer class="muted attribution">
            {p.attribution.map((a) => (
              <p>{a}</p>
            ))}
          </footer>
        ) : null}
      </body>
    </html>
  );
}

export function Csrf(p: { token: string }) {
  return <input type="hidden" name="_csrf" value={p.token} />;
}

export function Sev(p: { severity: number }) {
  const label = severityLabel(p.severity);
  return <span class={`sev sev-${label}`}>{`${label} ${formatSeverity(p.severity)}`}</span>;
}

export function formatSeverity(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** `2021-03-08T18:14:02.000Z` -> `2021-03-08 18:14:02 UTC` (GuardDuty's times are UTC). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** A same-site link: path segments and query values are encoded; nothing else ever goes into an href. */
export function href(path: string, query?: Record<string, string | number | undefined | null | string[]>): string {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`not a same-site path: ${path}`);
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) qs.append(k, x);
    else qs.append(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function seg(s: string): string {
  return encodeURIComponent(s);
}

/**
 * Text for display: bidirectional overrides, zero-width and control characters (which could make a value read as
 * something else) shown as `\u{..}` escapes. HTML escaping is hono/jsx's job.
 */
export function shown(s: string | null | undefined): string {
  if (s === null || s === undefined) return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** JSON for a <pre>: the same invisible characters written as JSON \u escapes (still valid JSON). */
export function prettyJson(v: unknown): string {
  return (JSON.stringify(v, null, 2) ?? 'null').replace(
    /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A long identifier (finding type, ARN) with line-break opportunities after its separators; the pieces stay text. */
export function Breakable(p: { text: string }) {
  const parts = shown(p.text).split(/(?<=[/:.])/);
  return (
    <>
      {parts.map((part, i) => (
        <>
          {i > 0 ? <wbr /> : null}
          {part}
        </>
      ))}
    </>
  );
}

export function ErrorBox(p: { message?: string | undefined }) {
  return p.message ? (
    <div class="error" role="alert">
      {shown(p.message)}
    </div>
  ) : null;
}

export function Facts(p: { rows: Array<[string, Child | string | number | undefined | null]> }) {
  const rows = p.rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{typeof v === 'string' ? shown(v) : v}</dd>
        </>
      ))}
    </dl>
  );
}

/** A boxed section with its heading. */
export function Panel(p: { title: Child; children?: Child }) {
  return (
    <section class="panel">
      <h2>{p.title}</h2>
      {p.children}
    </section>
  );
}

/**
 * A table of `rows`, one `<tr>` each from `row`. A string in `head` is a plain `<th>`; anything else (a `<th>` with a
 * class, a sort link, null) stands as given. With `empty`, that stands in place of a table with no rows.
 */
export function Table<T>(p: { rows: readonly T[]; head: Child[]; row: (r: T, i: number) => Child; empty?: Child; class?: string }) {
  if (p.rows.length === 0 && p.empty !== undefined) return p.empty;
  return (
    <table class={p.class}>
      <thead>
        <tr>{p.head.map((h) => (typeof h === 'string' ? <th>{h}</th> : h))}</tr>
      </thead>
      <tbody>{p.rows.map((r, i) => p.row(r, i))}</tbody>
    </table>
  );
}

/** A link to a finding, named by its type. */
export function FindingLink(p: { id: string; type: string }) {
  return (
    <a href={`/findings/${seg(p.id)}`}>
      <Breakable text={p.type} />
    </a>
  );
}

/** A form in a panel: the last error, the CSRF token, the fields given as children, and one primary submit button. */
export function FormPanel(p: {
  title: string;
  action: string;
  csrf: string;
  error: string | undefined;
  submit: string;
  multipart?: boolean;
  children?: Child;
}) {
  return (
    <Panel title={p.title}>
      <ErrorBox message={p.error} />
      <form method="post" action={p.action} enctype={p.multipart ? 'multipart/form-data' : undefined} class="stack">
        <Csrf token={p.csrf} />
        {p.children}
        <div>
          <button type="submit" class="primary">
            {p.submit}
          </button>
        </div>
      </form>
    </Panel>
  );
}
