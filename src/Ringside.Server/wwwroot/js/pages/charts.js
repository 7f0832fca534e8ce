// Chart.js (vendored from npm into /vendor, no CDN) with the pages' dark theme, line charts over {x, y} points, and
// TensorBoard-style smoothing. Every chart is registered in window.ringsidePages.charts under its name, so the browser
// tests can compare what a chart holds with what the API returned.
import { Chart, registerables } from '/vendor/chart.js/dist/chart.js';
import { pages } from './common.js';

Chart.register(...registerables);
Chart.defaults.color = '#9aa3b8';
Chart.defaults.borderColor = 'rgba(255, 255, 255, 0.08)';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.animation = false; // live data: redraw at once (cheaper, and what is drawn is what is held)
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 2;

export const COLOURS = {
  reward: '#f1c40f', winRate: '#2ecc71', loss: '#e74c3c', policyLoss: '#fd79a8', valueLoss: '#3498db', entropy: '#9b59b6',
  kl: '#1abc9c', sps: '#e67e22', a: '#f1c40f', b: '#3498db', grey: '#9aa3b8',
  vsChaser: '#e74c3c', vsCautious: '#3498db', freeForAll: '#9b59b6',
};

/** A colour with an alpha (for the raw series under a smoothed one, fills). */
export function fade(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16 & 255}, ${n >> 8 & 255}, ${n & 255}, ${alpha})`;
}

/**
 * A line chart of {x, y} points. series: [{id, label, colour, axis: 'y' | 'y2', raw: true (faint, under its smoothed
 * twin), hidden}]. Options: xTitle, yTitle, y2Title, yPercent (0-100 axis), y2Percent.
 */
export function lineChart(name, canvas, { series, xTitle = 'iteration', yTitle = '', y2Title = '', yPercent = false, y2Percent = false, legend = true }) {
  const datasets = series.map(s => ({
    id: s.id, label: s.label, data: [], yAxisID: s.axis ?? 'y', hidden: !!s.hidden,
    borderColor: s.raw ? fade(s.colour, 0.3) : s.colour, backgroundColor: s.raw ? fade(s.colour, 0.3) : s.colour,
    borderWidth: s.raw ? 1 : 2, pointHitRadius: 6, tension: 0, spanGaps: true,
    // Dots only while there are few points (a lone point has no line to show it).
    pointRadius: ctx => (s.raw || ctx.dataset.data.length > 40 ? 0 : 2.5),
  }));
  const scales = {
    x: { type: 'linear', title: { display: !!xTitle, text: xTitle }, ticks: { maxTicksLimit: 8, precision: 0 } },
    y: { title: { display: !!yTitle, text: yTitle }, ...(yPercent ? { min: 0, max: 100 } : {}) },
  };
  if (series.some(s => s.axis === 'y2')) {
    scales.y2 = { position: 'right', grid: { drawOnChartArea: false }, title: { display: !!y2Title, text: y2Title }, ...(y2Percent ? { min: 0, max: 100 } : {}) };
  }
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false, normalized: true, // the points are {x, y} in x order: no parsing, no sorting
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales,
      plugins: {
        legend: { display: legend, labels: { filter: item => !datasets[item.datasetIndex].id?.endsWith('.raw') } },
        tooltip: { callbacks: { title: items => items.length ? `${xTitle} ${items[0].parsed.x}` : '' } },
      },
    },
  });
  return register(name, chart);
}

/** A bar chart: labels and datasets [{id, label, colour, data: [numbers]}]. */
export function barChart(name, canvas, { labels = [], datasets = [], yTitle = '', y2Title = '', yPercent = false, legend = true }) {
  const scales = { y: { title: { display: !!yTitle, text: yTitle }, ...(yPercent ? { min: 0, max: 100 } : {}) } };
  if (datasets.some(d => d.axis === 'y2')) scales.y2 = { position: 'right', grid: { drawOnChartArea: false }, title: { display: !!y2Title, text: y2Title } };
  const chart = new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: datasets.map(d => ({ id: d.id, label: d.label, data: d.data ?? [], yAxisID: d.axis ?? 'y', backgroundColor: fade(d.colour, 0.75), borderColor: d.colour, borderWidth: 1 })) },
    options: { scales, plugins: { legend: { display: legend } } },
  });
  return register(name, chart);
}

/** A radar chart (personalities): labels, datasets [{id, label, colour, data}]. */
export function radarChart(name, canvas, { labels, datasets = [], max = 100 }) {
  const chart = new Chart(canvas, {
    type: 'radar',
    data: { labels, datasets: datasets.map(d => ({ id: d.id, label: d.label, data: d.data ?? [], borderColor: d.colour, backgroundColor: fade(d.colour, 0.2), pointRadius: 2 })) },
    options: { scales: { r: { min: 0, max, ticks: { display: false, stepSize: 25 }, grid: { color: 'rgba(255,255,255,0.1)' }, angleLines: { color: 'rgba(255,255,255,0.1)' }, pointLabels: { color: '#c8cfdf' } } } },
  });
  return register(name, chart);
}

function register(name, chart) {
  pages.charts[name]?.destroy();
  pages.charts[name] = chart;
  return chart;
}

export function dataset(chart, id) {
  return chart.data.datasets.find(d => d.id === id);
}

/** Replaces a dataset's points (by id) without redrawing; call chart.update('none') after the last one. */
export function setPoints(chart, id, points) {
  const d = dataset(chart, id);
  if (d) d.data = points;
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight w (0 = none, 0.99 = heavy), debiased so the
 * first points are not pulled toward zero. Gaps (null) are carried over.
 */
export function smooth(points, weight) {
  if (!(weight > 0)) return points.map(p => ({ x: p.x, y: p.y }));
  let last = 0, n = 0;
  return points.map(p => {
    if (p.y === null || p.y === undefined || !Number.isFinite(p.y)) return { x: p.x, y: null };
    last = last * weight + (1 - weight) * p.y;
    n++;
    return { x: p.x, y: last / (1 - Math.pow(weight, n)) };
  });
}
