// Browser side of bench/page-history-paint.ts: one leg's `build(history)` makes the server cards; this times them
// from the start of the build to the task after the frame that shows them (as the page's own paint measure does).

export const PAINT_MEASURE = 'pulse:history-paint';

/** @param {(history: unknown) => HTMLElement[]} build */
export function install(build) {
  window.__paint = async () => {
    const history = await (await fetch('/fixture.json')).json();
    const root = document.getElementById('root');
    performance.mark('paint-start');
    const grid = document.createElement('div');
    grid.className = 'period-grid period-servers';
    grid.append(...build(history));
    root.replaceChildren(grid);
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    return performance.measure(PAINT_MEASURE, 'paint-start').duration;
  };
}
