import { el, setText, textNode, toggleClass } from '../dom.js';
import { bytes, clock, duration, millis, NBSP, percent, pluralize } from '../format.js';
import type { PulseHeartbeat } from '../protocol.js';
import { HISTORY_POINTS, type ServerState } from '../state.js';
import { Gauge } from './gauge.js';
import { ProcessList } from './process-list.js';
import { Sparkline } from './sparkline.js';

/** The status line: an icon and words, not only a colour. */
export function statusText(server: ServerState, bridgeNow: number): string {
  const since = duration((bridgeNow - server.lastSeen) / 1000);
  switch (server.status) {
    case 'online':
      return '● Online';
    case 'lost':
      return `✕ Lost: no heartbeat for ${since}`;
    case 'stopped':
      return `■ Stopped ${since} ago`;
    default:
      return `? ${server.status} for ${since}`;
  }
}

/**
 * What the server's own agent says of itself (`reported_status`), when it says something is wrong: "⚠ Agent
 * degraded: monitor_redis_offline", "✕ Agent error: …". Empty when it reports nothing or `online`.
 */
export function agentText(hb: PulseHeartbeat): string {
  const report = hb.reported_status;
  if (!report || report.status === 'online') return '';
  const icon = report.status === 'error' ? '✕' : '⚠';
  const faults = report.errors?.length ? `: ${report.errors.join(', ')}` : '';
  return `${icon} Agent ${report.status}${faults}`;
}

/** Hostname, platform, runtime, environment and version: values from the feed, each isolated and kept whole. */
function identityOf(hb: PulseHeartbeat): string[] {
  const runtime = hb.process.runtime_version ? `${hb.meta.runtime} ${hb.process.runtime_version}` : hb.meta.runtime;
  return [hb.system.hostname, hb.system.platform, runtime, hb.meta.environment, hb.meta.version];
}

function fact(term: string): { root: HTMLDivElement; value: HTMLElement } {
  const value = el('dd');
  return { root: el('div', { className: 'fact' }, el('dt', { text: term }), value), value };
}

/**
 * One server: CPU and RAM gauges with sparklines, disks, load, event loop, uptime and its processes. Built once;
 * `update` writes only the texts and values that changed.
 */
export class ServerCard {
  readonly root: HTMLElement;
  private readonly status: HTMLParagraphElement;
  private readonly agent: HTMLParagraphElement;
  private readonly identity: HTMLElement[];
  private readonly cpu = new Gauge('CPU', 90);
  private readonly ram = new Gauge('RAM', 90);
  private readonly cpuLine = new Sparkline('cpu', HISTORY_POINTS);
  private readonly ramLine = new Sparkline('ram', HISTORY_POINTS);
  private readonly disks: HTMLDivElement;
  private readonly diskGauges = new Map<string, Gauge>();
  private readonly load = fact('Load 1/5/15 min');
  private readonly loop = fact('Event loop p50/p99');
  private readonly uptime = fact('Uptime');
  private readonly seen = fact('Last heartbeat');
  private readonly processes: ProcessList;

  constructor(server: ServerState) {
    const titleId = `server-${server.app}-${server.id}`;
    this.status = el('p', { className: 'status' });
    this.agent = el('p', { className: 'agent-status' });
    this.identity = identityOf(server.heartbeat).map(() => el('bdi', { className: 'token' }));
    this.disks = el(
      'div',
      { className: 'disks', attrs: { role: 'group', 'aria-label': 'Disks' } },
      el('p', { className: 'disks-title', text: 'Disks' }),
    );
    this.processes = new ProcessList(server.id);
    this.root = el(
      'article',
      { className: 'card server', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('header', { className: 'card-head' }, el('h4', { text: server.id, attrs: { id: titleId } }), this.status),
      this.agent,
      el('p', { className: 'identity' }, ...this.identity.flatMap((part, i) => (i === 0 ? [part] : [textNode(' · '), part]))),
      el('div', { className: 'with-spark' }, this.cpu.root, this.cpuLine.root),
      el('div', { className: 'with-spark' }, this.ram.root, this.ramLine.root),
      this.disks,
      el('dl', { className: 'facts' }, this.load.root, this.loop.root, this.uptime.root, this.seen.root),
      this.processes.root,
    );
  }

  update(server: ServerState, bridgeNow: number): void {
    const hb = server.heartbeat;
    toggleClass(this.root, 'is-lost', server.status === 'lost');
    toggleClass(this.root, 'is-stopped', server.status === 'stopped');
    setText(this.status, statusText(server, bridgeNow));
    const agent = agentText(hb);
    this.agent.hidden = agent === '';
    setText(this.agent, agent);
    toggleClass(this.root, 'is-degraded', hb.reported_status?.status === 'degraded');
    toggleClass(this.root, 'is-error', hb.reported_status?.status === 'error');
    identityOf(hb).forEach((text, i) => {
      const part = this.identity[i];
      if (part) setText(part, text);
    });
    this.cpu.set(hb.system.cpu_usage, hb.system.cpu_count ? pluralize(hb.system.cpu_count, 'core') : '');
    const used = hb.system.memory_total - hb.system.memory_free;
    this.ram.set(server.ram[server.ram.length - 1] ?? 0, `${bytes(used)} of ${bytes(hb.system.memory_total)}`);
    this.cpuLine.set(server.cpu);
    this.ramLine.set(server.ram);
    this.updateDisks(hb);
    // An agent reports no load average: unknown, said so, never shown as 0.
    setText(this.load.value, hb.system.load_avg ? hb.system.load_avg.map((l) => l.toFixed(2)).join(' / ') : 'not reported');
    const loop = hb.process.event_loop;
    setText(
      this.loop.value,
      // Utilization is absent where the runtime cannot measure it (Bun): then no "busy" figure, rather than 0 %.
      loop
        ? `${millis(loop.delay_p50_ms)} / ${millis(loop.delay_p99_ms)}${loop.utilization === undefined ? '' : ` (busy${NBSP}${percent(loop.utilization * 100)})`}`
        : 'not reported',
    );
    setText(this.uptime.value, duration(hb.process.uptime));
    setText(this.seen.value, clock(server.lastSeen));
    this.processes.update(hb);
  }

  private updateDisks(hb: PulseHeartbeat): void {
    const disks = hb.system.disks ?? [];
    this.disks.hidden = disks.length === 0;
    const mounts = new Set(disks.map((d) => d.mount));
    for (const [mount, gauge] of this.diskGauges) {
      if (mounts.has(mount)) continue;
      gauge.root.remove();
      this.diskGauges.delete(mount);
    }
    for (const disk of disks) {
      let gauge = this.diskGauges.get(disk.mount);
      if (!gauge) {
        gauge = new Gauge(disk.mount, 90, `Disk ${disk.mount}`);
        this.diskGauges.set(disk.mount, gauge);
        this.disks.append(gauge.root);
      }
      const usedPercent = disk.total > 0 ? (1 - disk.free / disk.total) * 100 : 0;
      gauge.set(usedPercent, `${bytes(disk.free)} free of ${bytes(disk.total)}`);
    }
  }
}
