import { el, setText, textNode } from '../dom.js';
import { bytes, duration, percent } from '../format.js';
import type { PulseHeartbeat, WorkerProcess } from '../protocol.js';

/** One row's cells: name, pid, CPU, RSS, uptime. */
type ProcessRow = [string, string, string, string, string];

/** What a worker is, in a word: a cluster worker, a child process, or a queue worker a Zenith agent found. */
const KIND_WORDS: Record<WorkerProcess['kind'], string> = { cluster: 'worker', child: 'child', queue: 'queue' };

/** The reporting process first, then its worker processes (cluster workers, children, queue workers) when listed. */
function rowsOf(hb: PulseHeartbeat): ProcessRow[] {
  const p = hb.process;
  const rows: ProcessRow[] = [['main', String(p.pid), percent(p.cpu_usage), bytes(p.memory_rss), duration(p.uptime)]];
  for (const w of hb.processes ?? []) {
    // Workers carry no uptime in the protocol. A kind a newer bridge may add is shown as it is named.
    rows.push([`${KIND_WORDS[w.kind] ?? w.kind} ${w.name}`, String(w.pid), percent(w.cpu_usage), bytes(w.memory_rss), '—']);
  }
  return rows;
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
      el('caption', {}, textNode('Processes of '), el('bdi', { className: 'token', text: serverId })),
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
      row.forEach((text, j) => {
        const cell = cells[j];
        if (cell) setText(cell, text);
      });
    });
  }
}
