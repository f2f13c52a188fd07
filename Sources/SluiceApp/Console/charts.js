// Charts drawn as inline SVG by Sluice's own code: bars for counts, lines for latencies. Each chart is a <figure>
// with a visible caption and total, an SVG with a <title> and <desc> (role="img"), and a visually-hidden table of
// every bucket's value, so a screen reader gets the numbers, not a picture. Colours come from classes
// (console.css, "charts"), never from style attributes: the console's CSP allows no inline style.

import { h, uid } from './ui.js';

const W = 480; // viewBox width; the SVG scales to its box
const H = 210;
const PAD = { left: 50, right: 12, top: 12, bottom: 32 };

/** A bucket's time as its axis label: 14:05 (minute), 14:00 (hour), 3 Dec (day; days are UTC days, as the API counts them). */
export function bucketLabel(time, granularity) {
  const d = time instanceof Date ? time : new Date(time);
  if (granularity === 'DAY') return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** A bucket's time in full, for tooltips and the table: "3 Dec, 14:05". */
function bucketLong(time, granularity) {
  const d = new Date(time);
  if (granularity === 'DAY') return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** The smallest "nice" number (1, 2, 2.5, 5 × 10^n) at least `v`; 1 for 0. */
export function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v) => (Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumFractionDigits: 1 }));

/**
 * A chart: chart({title, kind: 'bar'|'line', granularity, unit, series: [{label, cls, values: [n|null]}],
 * times: [iso], summary}). `values` line up with `times` (one per bucket); null is "no data" (a gap in a line).
 * `summary` is the sentence under the title and in the SVG's <desc> (totals, say); `unit` follows each value.
 */
export function chart({ title, kind = 'bar', granularity, unit = '', series, times, summary }) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const n = times.length;
  const max = niceCeil(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(n, 1);
  const x = (i) => PAD.left + slot * i + slot / 2;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const u = unit ? ` ${unit}` : '';

  const grid = [0, 0.5, 1].map((f) =>
    h(
      'g',
      { class: 'tick' },
      h('line', { x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f), class: f === 0 ? 'axis' : 'grid' }),
      h('text', { x: PAD.left - 6, y: y(max * f) + 4, 'text-anchor': 'end' }, fmt(max * f)),
    ),
  );
  const every = Math.max(1, Math.ceil(n / 5));
  const xLabels = times.map((t, i) =>
    i % every === 0 || i === n - 1
      ? h('text', { x: x(i), y: H - PAD.bottom + 18, 'text-anchor': i === n - 1 && n > 1 ? 'end' : 'middle', class: 'xlabel' }, bucketLabel(t, granularity))
      : null,
  );
  // Avoid two labels colliding at the end: drop the regular one just before the last.
  if (n > 1 && (n - 1) % every !== 0 && (n - 1) % every < every / 2) xLabels[Math.floor((n - 1) / every) * every] = null;

  let marks;
  if (kind === 'bar') {
    const k = series.length;
    const barW = Math.max(1, (slot * 0.8) / k);
    marks = series.map((s, si) =>
      h(
        'g',
        { class: `series ${s.cls}` },
        s.values.map((v, i) =>
          v
            ? h(
                'rect',
                { x: PAD.left + slot * i + slot * 0.1 + barW * si, y: y(v), width: barW, height: Math.max(0.5, y(0) - y(v)) },
                h('title', {}, `${bucketLong(times[i], granularity)}: ${fmt(v)}${u} ${s.label.toLowerCase()}`),
              )
            : null,
        ),
      ),
    );
  } else {
    marks = series.map((s) => {
      const runs = [];
      let run = [];
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) {
          if (run.length) runs.push(run);
          run = [];
        } else run.push([x(i), y(v), v, i]);
      });
      if (run.length) runs.push(run);
      return h(
        'g',
        { class: `series ${s.cls}` },
        runs.map((r) => h('polyline', { points: r.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '), fill: 'none' })),
        runs.flat().map(([px, py, v, i]) =>
          h('circle', { cx: px, cy: py, r: 3.5 }, h('title', {}, `${bucketLong(times[i], granularity)}: ${s.label} ${fmt(v)}${u}`)),
        ),
      );
    });
  }

  const svg = h(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet' },
    h('title', { id: titleId }, title),
    h('desc', { id: descId }, summary || ''),
    grid,
    xLabels,
    marks,
  );

  const legend =
    series.length > 1
      ? h('ul', { class: 'legend', 'aria-hidden': 'true' }, series.map((s) => h('li', {}, h('span', { class: `swatch ${s.cls}` }), s.label)))
      : null;

  const table = h(
    'table',
    { class: 'visually-hidden' },
    h('caption', {}, `${title}, per ${granularity.toLowerCase()}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), series.map((s) => h('th', { scope: 'col' }, s.label)))),
    h(
      'tbody',
      {},
      times.map((t, i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, bucketLong(t, granularity)),
          series.map((s) => h('td', {}, s.values[i] === null || s.values[i] === undefined ? '—' : `${fmt(s.values[i])}${u}`)),
        ),
      ),
    ),
  );

  return h(
    'figure',
    { class: `chart chart-${kind}` },
    h('figcaption', {}, h('span', { class: 'chart-title' }, title), ' ', h('span', { class: 'chart-summary' }, summary || '')),
    svg,
    legend,
    table,
  );
}
