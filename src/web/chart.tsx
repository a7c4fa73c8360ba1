import { SEVERITY_LABELS, type SeverityLabel } from '../findings/query.js';

export type DayCounts = { day: string } & Record<SeverityLabel, number>;

const W = 900;
const H = 240;
const LEFT = 40;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 30;

/** A "nice" axis maximum and step for counts (1, 2, 5 x 10^n). */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * Findings over time: one stacked bar a day (Low at the bottom, Critical on top), rendered on the server as SVG.
 * Each segment carries a <title>, which browsers show as a tooltip; no script, no inline style (classes only).
 */
export function OverTimeChart(p: { days: DayCounts[]; caption: string }) {
  const days = p.days;
  const totals = days.map((d) => SEVERITY_LABELS.reduce((s, l) => s + (d[l] ?? 0), 0));
  const { top, step } = niceScale(Math.max(0, ...totals));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const slot = days.length > 0 ? plotW / days.length : plotW;
  const barW = Math.max(1, Math.min(40, slot * 0.75));
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const labelEvery = Math.max(1, Math.ceil(days.length / 10));
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return (
    <figure class="panel">
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Findings over time</title>
        <desc id="chart-desc">{p.caption}</desc>
        {ticks.map((v) => (
          <g>
            <line class="gridline" x1={LEFT} x2={W - RIGHT} y1={y(v)} y2={y(v)} />
            <text x={LEFT - 6} y={y(v) + 4} text-anchor="end">
              {String(v)}
            </text>
          </g>
        ))}
        <line class="axis" x1={LEFT} x2={W - RIGHT} y1={y(0)} y2={y(0)} />
        {days.map((d, i) => {
          const x = LEFT + i * slot + (slot - barW) / 2;
          let base = 0;
          return (
            <g class="day">
              {SEVERITY_LABELS.map((label) => {
                const n = d[label] ?? 0;
                if (n <= 0) return null;
                const y0 = y(base);
                base += n;
                const y1 = y(base);
                return (
                  <rect class={`bar-${label}`} x={round(x)} y={round(y1)} width={round(barW)} height={round(Math.max(0.5, y0 - y1))}>
                    <title>{`${d.day}: ${n} ${label} (${totals[i]} in all)`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 ? (
                <text x={round(LEFT + i * slot + slot / 2)} y={H - BOTTOM + 16} text-anchor="middle">
                  {d.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <div class="legend">
          {SEVERITY_LABELS.map((l) => (
            <span>
              <span class={`sw sw-${l}`}></span>
              {l}
            </span>
          ))}
        </div>
        <span class="muted">{p.caption}</span>
      </figcaption>
    </figure>
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
