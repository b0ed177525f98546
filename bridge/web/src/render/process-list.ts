import { el, setText } from '../dom.js';
import { bytes, duration, percent } from '../format.js';
import type { PulseHeartbeat } from '../protocol.js';

interface ProcessRow {
  name: string;
  pid: number;
  cpu: number;
  rss: number;
  uptime: number;
}

function rowsOf(hb: PulseHeartbeat): ProcessRow[] {
  const p = hb.process;
  return [
    {
      name: 'main',
      pid: p.pid,
      cpu: p.cpu_usage,
      rss: p.memory_rss,
      uptime: p.uptime,
    },
  ];
}

const COLUMNS = ['Process', 'PID', 'CPU', 'RSS', 'Uptime'];

/** The processes of one server: pid, CPU, RSS and uptime. Rows are reused; a row is added or removed only when the count changes. */
export class ProcessList {
  readonly root: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;

  constructor(serverId: string) {
    const head = el('tr', {}, ...COLUMNS.map((c) => el('th', { text: c, attrs: { scope: 'col' } })));
    this.body = el('tbody');
    this.root = el(
      'table',
      { className: 'processes' },
      el('caption', { text: `Processes of ${serverId}` }),
      el('thead', {}, head),
      this.body,
    );
  }

  update(hb: PulseHeartbeat): void {
    const rows = rowsOf(hb);
    while (this.body.rows.length > rows.length) this.body.lastElementChild?.remove();
    while (this.body.rows.length < rows.length) {
      this.body.append(el('tr', {}, el('th', { attrs: { scope: 'row' } }), el('td'), el('td'), el('td'), el('td')));
    }
    rows.forEach((row, i) => {
      const cells = this.body.rows[i]?.cells;
      if (!cells) return;
      const values = [row.name, String(row.pid), percent(row.cpu), bytes(row.rss), duration(row.uptime)];
      values.forEach((text, j) => {
        const cell = cells[j];
        if (cell) setText(cell, text);
      });
    });
  }
}
