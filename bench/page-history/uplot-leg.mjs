// The same cards as the page's (title, then CPU, memory and event-loop p99 with their figures) with uPlot drawing each graph on a
// canvas: no axes, legend or cursor, as small as the SVG line it stands in for; a missing bucket is a null (a gap).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from '../../bridge/web/src/dom.ts';
import { bytes, millis, percent } from '../../bridge/web/src/format.ts';
import { install } from './harness.mjs';

const WIDTH = 200;
const HEIGHT = 32;

function chart(xs, ys, max, stroke) {
  const holder = el('div', { className: 'period-chart' });
  new uPlot(
    {
      width: WIDTH,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: false }, y: { range: [0, max] } },
      series: [{}, { stroke, width: 1.5, spanGaps: false, points: { show: false } }],
    },
    [xs, ys],
    holder,
  );
  return holder;
}

function metric(label, holder, figures) {
  return el(
    'div',
    { className: 'period-metric' },
    el('span', { className: 'period-metric-label', text: label }),
    holder,
    el('span', { className: 'period-metric-figures', text: figures }),
  );
}

install((history) => {
  const buckets = Math.ceil((history.to - history.from) / history.bucket_ms);
  const xs = Array.from({ length: buckets }, (_, i) => i);
  return history.apps[0].servers.map((server) => {
    const cpu = new Array(buckets).fill(null);
    const memory = new Array(buckets).fill(null);
    const loop = new Array(buckets).fill(null);
    let memoryPeak = 0;
    let cpuPeak = 0;
    let loopPeak = 0;
    for (const point of server.series) {
      const i = Math.floor((point.start - history.from) / history.bucket_ms);
      cpu[i] = point.cpu_avg;
      memory[i] = point.memory_used_avg;
      loop[i] = point.loop_p99_avg_ms;
      memoryPeak = Math.max(memoryPeak, point.memory_used_max);
      cpuPeak = Math.max(cpuPeak, point.cpu_max);
      loopPeak = Math.max(loopPeak, point.loop_p99_max_ms);
    }
    const last = server.series.at(-1);
    return el(
      'article',
      { className: 'card period-server' },
      el('h4', { text: server.id }),
      metric('CPU', chart(xs, cpu, 100, '#2859c5'), `latest ${percent(last.cpu_avg)} · peak ${percent(cpuPeak)}`),
      metric('Memory used', chart(xs, memory, memoryPeak, '#8a4fc7'), `latest ${bytes(last.memory_used_avg)} · peak ${bytes(memoryPeak)}`),
      metric('Loop p99', chart(xs, loop, loopPeak, '#b5531a'), `latest ${millis(last.loop_p99_avg_ms)} · peak ${millis(loopPeak)}`),
    );
  });
});
