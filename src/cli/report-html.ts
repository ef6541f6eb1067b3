/**
 * The backtest report as one self-contained HTML page (pure: data in, string out). No network
 * when viewed: inline CSS, inline SVG charts drawn here, a few lines of inline JS for the hover
 * read-out. Each chart: the windowed value (`path.series.series-value`), the threshold
 * (`path.series.series-threshold`, a step line) and, for spike detectors, the baseline
 * (`path.series.series-baseline`; a spike's threshold is a score, so spike charts show value and
 * baseline only), over shaded pending and firing spans; then the transitions.
 */
import type { ReportData, ReportGroup, ReportPattern, ReportPoint } from './report-data.js';

const W = 960;
const H = 230;
const M = { top: 12, right: 16, bottom: 26, left: 64 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : '';
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toExponential(2);
  return String(Math.round(v * 1000) / 1000);
}

function groupLabel(g: Record<string, string>): string {
  const e = Object.entries(g);
  return e.length === 0 ? '(all events)' : e.map(([k, v]) => `${k}=${v}`).join(', ');
}

function niceTicks(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function timeTicks(t0: number, t1: number): number[] {
  const span = t1 - t0;
  const steps = [60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3];
  const step = steps.find((s) => span / s <= 8) ?? steps[steps.length - 1]!;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function timeLabel(t: number, span: number): string {
  const s = new Date(t).toISOString();
  return span > 2 * 86400e3 ? `${s.slice(5, 10)} ${s.slice(11, 16)}` : s.slice(11, 16);
}

function pathOf(points: readonly ReportPoint[], get: (p: ReportPoint) => number | undefined, x: (t: number) => number, y: (v: number) => number, step: boolean): string {
  let d = '';
  let prevY: number | undefined;
  for (const p of points) {
    const v = get(p);
    if (v === undefined) {
      prevY = undefined;
      continue;
    }
    const px = x(p.t).toFixed(1);
    const py = y(v).toFixed(1);
    if (prevY === undefined) d += `M${px},${py}`;
    else if (step) d += `H${px}V${py}`;
    else d += `L${px},${py}`;
    prevY = y(v);
  }
  return d;
}

export function chartSvg(g: ReportGroup, detector: string): string {
  const pts = g.points;
  const times = [...pts.map((p) => p.t), ...g.spans.flatMap((s) => [s.start, s.end])];
  if (times.length === 0) return '<p class="empty">no evaluations recorded for this group</p>';
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 === t0) {
    t0 -= 60e3;
    t1 += 60e3;
  }
  const hasBaseline = pts.some((p) => p.baseline !== undefined);
  // A spike's threshold is a score limit, not a count: it is not drawn on the count axis.
  const hasThreshold = detector !== 'spike';
  const vals = pts.flatMap((p) => [p.value, ...(hasThreshold ? [p.threshold] : []), ...(p.baseline === undefined ? [] : [p.baseline])]);
  let lo = Math.min(0, ...vals);
  let hi = Math.max(...vals, 0);
  if (hi === lo) hi = lo + 1;
  hi += (hi - lo) * 0.08;
  if (lo < 0) lo -= (hi - lo) * 0.04;
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (t: number): number => M.left + ((t - t0) / (t1 - t0)) * iw;
  const y = (v: number): number => M.top + ih - ((v - lo) / (hi - lo)) * ih;

  const spans = g.spans
    .map((s) => {
      const x0 = x(s.start);
      const w = Math.max(1.5, x(s.end) - x0);
      return `<rect class="span span-${s.state}" x="${x0.toFixed(1)}" y="${M.top}" width="${w.toFixed(1)}" height="${ih}"><title>${s.state} ${iso(s.start)} → ${s.open ? 'end of input (still open)' : iso(s.end)}</title></rect>`;
    })
    .join('');
  const yTicks = niceTicks(lo, hi, 5)
    .map((v) => `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`)
    .join('');
  const xTicks = timeTicks(t0, t1)
    .map((t) => `<text class="tick" x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">${timeLabel(t, t1 - t0)}</text>`)
    .join('');
  const series = [
    ...(hasThreshold ? [`<path class="series series-threshold" data-series="threshold" d="${pathOf(pts, (p) => p.threshold, x, y, true)}"/>`] : []),
    ...(hasBaseline ? [`<path class="series series-baseline" data-series="baseline" d="${pathOf(pts, (p) => p.baseline, x, y, false)}"/>`] : []),
    `<path class="series series-value" data-series="value" d="${pathOf(pts, (p) => p.value, x, y, false)}"/>`,
  ].join('');
  const compact = pts.map((p) => [p.t, +fmt(p.value) || 0, +fmt(p.threshold) || 0, ...(p.baseline === undefined ? [] : [+fmt(p.baseline) || 0])]);
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${detector} value over time for ${groupLabel(g.group)}`)}" ` +
    `data-t0="${t0}" data-t1="${t1}" data-left="${M.left}" data-width="${iw}" data-points="${esc(JSON.stringify(compact))}">` +
    `<rect class="plot" x="${M.left}" y="${M.top}" width="${iw}" height="${ih}"/>${spans}${yTicks}${xTicks}${series}` +
    `<line class="cursor" x1="0" x2="0" y1="${M.top}" y2="${M.top + ih}" visibility="hidden"/></svg>`
  );
}

function transitionsTable(g: ReportGroup): string {
  if (g.transitions.length === 0) return '<p class="empty">no transitions (never pending or firing)</p>';
  const rows = g.transitions
    .map(
      (t) =>
        `<tr class="state-${esc(t.alert.state)}"><td>${esc(iso(Date.parse(t['@timestamp'])))}</td><td>${esc(t.alert.state)}</td><td>${esc(t.alert.previous)}</td><td>${esc(t.alert.severity)}</td><td class="num">${esc(fmt(t.value))}</td><td class="num">${esc(`${t.op ?? ''} ${fmt(t.threshold)}`.trim())}</td><td>${esc(t.alert.id)}</td><td>${esc(t.summary)}</td></tr>`,
    )
    .join('');
  return `<table class="transitions"><thead><tr><th>time (UTC)</th><th>state</th><th>from</th><th>severity</th><th>value</th><th>limit</th><th>alert id</th><th>summary</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function patternSection(p: ReportPattern): string {
  const nTransitions = p.groups.reduce((s, g) => s + g.transitions.length, 0);
  const groups = p.groups
    .map(
      (g) =>
        `<div class="group" data-group-key="${esc(g.groupKey)}"><h3>${esc(groupLabel(g.group))} <span class="muted">${g.points.length} points, ${g.transitions.length} transitions</span></h3>${chartSvg(g, p.detector)}<div class="readout" aria-live="polite"></div>${transitionsTable(g)}</div>`,
    )
    .join('');
  return (
    `<section class="pattern" id="${esc(p.id)}" data-pattern="${esc(p.id)}"><h2>${esc(p.id)} <span class="badge">${esc(p.detector)}</span></h2>` +
    `<p class="muted">${esc(p.description)} — ${p.groupCount} group${p.groupCount === 1 ? '' : 's'} evaluated, top ${p.groups.length} shown, ${nTransitions} transitions in them.</p>${groups}</section>`
  );
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--grid:#e6e9ef;--value:#1f6feb;--threshold:#d1242f;--baseline:#8250df;--pending:rgba(255,191,0,.22);--firing:rgba(209,36,47,.16)}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:24px auto;max-width:1000px;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 2px;border-top:1px solid var(--grid);padding-top:16px}h3{font-size:14px;margin:14px 0 4px}
.muted{color:var(--muted);font-weight:normal}.badge{font-size:12px;background:#eef1f6;border-radius:10px;padding:1px 8px;color:var(--muted);font-weight:normal}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle}
svg.chart{display:block;max-width:100%;height:auto}.plot{fill:#fbfcfe;stroke:var(--grid)}.grid{stroke:var(--grid)}.tick{font-size:11px;fill:var(--muted)}
.series{fill:none;stroke-width:1.6}.series-value{stroke:var(--value)}.series-threshold{stroke:var(--threshold);stroke-dasharray:5 3}.series-baseline{stroke:var(--baseline);stroke-dasharray:2 2}
.span-pending{fill:var(--pending)}.span-firing{fill:var(--firing)}.cursor{stroke:#888;stroke-width:1}
.readout{font-size:12px;color:var(--muted);min-height:18px}
table{border-collapse:collapse;width:100%;font-size:12px;margin:4px 0 10px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--grid);vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.state-firing td:nth-child(2){color:var(--threshold);font-weight:600}tr.state-pending td:nth-child(2){color:#9a6700}tr.state-resolved td:nth-child(2){color:#1a7f37}
nav a{margin-right:10px}.empty{color:var(--muted);font-style:italic}
`;

const JS = `
(function(){
  var charts=document.querySelectorAll('svg.chart');
  charts.forEach(function(svg){
    var pts=JSON.parse(svg.getAttribute('data-points')||'[]');
    var t0=+svg.dataset.t0,t1=+svg.dataset.t1,left=+svg.dataset.left,width=+svg.dataset.width;
    var cursor=svg.querySelector('.cursor');var out=svg.parentNode.querySelector('.readout');
    svg.addEventListener('mousemove',function(ev){
      var r=svg.getBoundingClientRect();var vx=(ev.clientX-r.left)*(svg.viewBox.baseVal.width/r.width);
      var t=t0+(vx-left)/width*(t1-t0);var best=null;
      for(var i=0;i<pts.length;i++){if(best===null||Math.abs(pts[i][0]-t)<Math.abs(best[0]-t))best=pts[i];}
      if(!best)return;var x=left+(best[0]-t0)/(t1-t0)*width;
      cursor.setAttribute('x1',x);cursor.setAttribute('x2',x);cursor.setAttribute('visibility','visible');
      out.textContent=new Date(best[0]).toISOString()+'  value '+best[1]+'  threshold '+best[2]+(best.length>3?'  baseline '+best[3]:'');
    });
    svg.addEventListener('mouseleave',function(){cursor.setAttribute('visibility','hidden');});
  });
  document.body.setAttribute('data-charts',String(charts.length));
  document.body.setAttribute('data-series',String(document.querySelectorAll('path.series').length));
})();
`;

/** The whole report page. */
export function renderReportHtml(data: ReportData): string {
  const range = data.from !== undefined || data.to !== undefined ? ` — events from ${data.from === undefined ? 'start' : iso(data.from)} to ${data.to === undefined ? 'end' : iso(data.to)}` : '';
  const c = data.counters;
  // Patterns with transitions first, then the rest in load order.
  const busy = (p: ReportPattern): number => p.groups.reduce((s, g) => s + g.transitions.length, 0);
  const ordered = [...data.patterns].sort((a, b) => Number(busy(b) > 0) - Number(busy(a) > 0));
  const nav = ordered.map((p) => `<a href="#${esc(p.id)}">${esc(p.id)}</a>`).join('');
  const legend = '<p class="legend"><span><i class="sw" style="background:var(--value)"></i>windowed value</span><span><i class="sw" style="background:var(--threshold)"></i>threshold</span><span><i class="sw" style="background:var(--baseline)"></i>baseline (spike)</span><span><i class="sw" style="background:var(--pending)"></i>pending</span><span><i class="sw" style="background:var(--firing)"></i>firing</span></p>';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(data.title)}</title><style>${CSS}</style></head><body>` +
    `<h1>${esc(data.title)}</h1><p class="muted">Replay of ${esc(data.source)}${esc(range)}: ${c.read} lines, ${c.decoded} decoded, ${c.matched} matched, ${c.late} late, ${c.transitions} transitions. Times are UTC.</p>` +
    `${legend}<nav>${nav}</nav>${ordered.map(patternSection).join('')}` +
    (data.patterns.length === 0 ? '<p class="empty">No pattern matched any event.</p>' : '') +
    `<script>${JS}</script></body></html>\n`
  );
}
