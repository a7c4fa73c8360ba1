/**
 * The console's only stylesheet and script, served from /assets (same origin, so the Content-Security-Policy can
 * forbid every inline script and style). Severity colours are the AWS console's (Cloudscape) severity palette.
 */
import { createHash } from 'node:crypto';

export const APP_CSS = `
:root {
  --sev-critical: #870303; --sev-high: #ce3311; --sev-medium: #f89256; --sev-low: #f2cd54;
  --ink: #16191f; --muted: #5f6b7a; --line: #d5dbdb; --bg: #f2f3f3; --panel: #fff; --accent: #0972d3; --head: #232f3e;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
header.top { background: var(--head); color: #fff; display: flex; align-items: center; gap: 1.5rem; padding: 0 1rem; min-height: 3rem; flex-wrap: wrap; }
header.top .brand { font-weight: 700; color: #fff; text-decoration: none; font-size: 1.1rem; }
header.top nav { display: flex; gap: 0.25rem; flex-wrap: wrap; }
header.top nav a { color: #d1d5db; text-decoration: none; padding: 0.9rem 0.6rem; border-bottom: 3px solid transparent; }
header.top nav a:hover { color: #fff; }
header.top nav a.current { color: #fff; border-bottom-color: #ff9900; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 0.75rem; color: #d1d5db; }
header.top .who form { margin: 0; }
header.top .who button { background: transparent; color: #fff; border: 1px solid #8d99a8; padding: 0.25rem 0.6rem; }
.role { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.6rem; background: #414d5c; color: #fff; font-size: 0.8rem; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
.muted { color: var(--muted); }
footer.attribution { padding: 0 1.25rem 1.5rem; font-size: 0.75rem; }
footer.attribution p { margin: 0.15rem 0; }
.error { background: #fff1f0; border: 1px solid #d91515; color: #7a0d0d; border-radius: 0.4rem; padding: 0.6rem 0.9rem; margin: 0.75rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.notice { background: #f2f8fd; border: 1px solid #0972d3; border-radius: 0.4rem; padding: 0.6rem 0.9rem; margin: 0.75rem 0; }
table { border-collapse: collapse; width: 100%; background: var(--panel); }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #fafafa; font-weight: 600; white-space: nowrap; }
td { overflow-wrap: break-word; }
.wrap-any { overflow-wrap: anywhere; }
td.ua { min-width: 12rem; font-size: 12px; }
table.events { font-size: 13px; }
table.events th, table.events td { padding: 0.35rem 0.45rem; }
figure { margin: 0 0 1rem; }
.panel > h2:first-child, .panel > details:first-child > summary { margin-top: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
tbody tr:hover { background: #f4f8fc; }
th a { color: var(--ink); text-decoration: none; }
th a:hover { text-decoration: underline; }
th a.sorted::after { content: " \\25BE"; }
th a.sorted.asc::after { content: " \\25B4"; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f8f8f8; border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.6rem; overflow: auto; max-height: 32rem; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.sev { display: inline-block; min-width: 5.8rem; padding: 0.1rem 0.5rem; border-radius: 0.3rem; font-weight: 600; font-size: 0.85rem; white-space: nowrap; }
.sev-Critical { background: var(--sev-critical); color: #fff; }
.sev-High { background: var(--sev-high); color: #fff; }
.sev-Medium { background: var(--sev-medium); color: #16191f; }
.sev-Low { background: var(--sev-low); color: #16191f; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.75rem; margin-bottom: 1rem; }
.card { display: block; text-decoration: none; color: inherit; background: var(--panel); border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 0.5rem; padding: 0.6rem 0.9rem; }
.card .n { font-size: 1.8rem; font-weight: 700; }
.card.sev-card-Critical { border-left-color: var(--sev-critical); }
.card.sev-card-High { border-left-color: var(--sev-high); }
.card.sev-card-Medium { border-left-color: var(--sev-medium); }
.card.sev-card-Low { border-left-color: var(--sev-low); }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .bar-Critical { fill: var(--sev-critical); }
svg.chart .bar-High { fill: var(--sev-high); }
svg.chart .bar-Medium { fill: var(--sev-medium); }
svg.chart .bar-Low { fill: var(--sev-low); }
svg.chart .axis { stroke: #8d99a8; stroke-width: 1; }
svg.chart .gridline { stroke: #e9ebed; stroke-width: 1; }
svg.chart text { font-size: 11px; fill: var(--muted); }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0.25rem 0; }
.legend .sw { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; margin-right: 0.3rem; vertical-align: middle; }
.sw-Critical { background: var(--sev-critical); } .sw-High { background: var(--sev-high); } .sw-Medium { background: var(--sev-medium); } .sw-Low { background: var(--sev-low); }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; background: var(--panel); border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 0.75rem; }
form.filters label, form.stack label { display: flex; flex-direction: column; gap: 0.2rem; font-size: 0.85rem; color: var(--muted); }
form.filters fieldset { border: 0; padding: 0; margin: 0; display: flex; gap: 0.5rem; align-items: center; }
form.filters fieldset legend { font-size: 0.85rem; color: var(--muted); padding: 0; margin-bottom: 0.2rem; }
form.filters fieldset label { flex-direction: row; align-items: center; gap: 0.2rem; color: var(--ink); }
form.filters select { max-width: 24rem; }
form.stack { display: flex; flex-direction: column; gap: 0.6rem; max-width: 40rem; }
form.inline { display: inline; margin: 0; }
input[type=text], input[type=password], input[type=number], input[type=search], select, textarea { font: inherit; padding: 0.3rem 0.45rem; border: 1px solid #8d99a8; border-radius: 0.3rem; background: #fff; color: var(--ink); }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; min-height: 8rem; width: 100%; }
button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 1rem; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; font-weight: 600; }
button.primary { background: #ff9900; border-color: #ec7211; color: #16191f; }
button.danger { border-color: #d91515; color: #d91515; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0; }
.pager { display: flex; gap: 1rem; align-items: center; margin: 0.75rem 0; }
.login { max-width: 22rem; margin: 4rem auto; }
.login h1 { text-align: center; }
.tag { white-space: nowrap; display: inline-block; padding: 0 0.4rem; border-radius: 0.3rem; background: #e9ebed; font-size: 0.8rem; }
.tag.ok { background: #e8f5e9; color: #1d6b22; } .tag.bad { background: #fff1f0; color: #b00; }
.kv td:first-child { color: var(--muted); white-space: nowrap; width: 1%; }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(2, 1fr); } main { padding: 0.75rem; } }
`;

/** Progressive enhancement only: every page works without it. */
export const APP_JS = `
(function () {
  'use strict';
  // Filter selects and checkboxes marked data-autosubmit submit their form on change.
  document.addEventListener('change', function (e) {
    var el = e.target;
    if (el && el.form && el.hasAttribute && el.hasAttribute('data-autosubmit')) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  });
  // Forms marked data-confirm ask first (the text is a fixed string written by the server, never data).
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var msg = f && f.getAttribute && f.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  // "/" focuses the search box, as in most consoles.
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    var q = document.querySelector('input[data-search]');
    if (q) { e.preventDefault(); q.focus(); q.select(); }
  });
  // Focus the first field marked autofocus-ish when the page loads without one focused.
  var first = document.querySelector('[data-focus]');
  if (first && document.activeElement === document.body) first.focus();
})();
`;

export const ASSET_VERSION = createHash('sha256').update(APP_CSS).update(APP_JS).digest('hex').slice(0, 12);
