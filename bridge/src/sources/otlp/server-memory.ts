import type { OtlpIdentity, OtlpServerMemory } from '@gravito/pulse-protocol';

/** Servers remembered between exports; past it the least recently reporting one is forgotten (and counted). */
export const MAX_REMEMBERED_SERVERS = 10_000;

/**
 * What the receiver keeps of each server between two of its exports (GPP's `OtlpServerMemory`: the last collection
 * time and interval, cumulative CPU seconds), so that intervals and rates can be read from the next one. A Map in
 * insertion order, refreshed on every export, is a least-recently-reporting order.
 */
export class ServerMemory {
  private readonly servers = new Map<string, OtlpServerMemory>();
  forgotten = 0;

  constructor(private readonly capacity = MAX_REMEMBERED_SERVERS) {}

  get size(): number {
    return this.servers.size;
  }

  get({ app, id }: OtlpIdentity): OtlpServerMemory | undefined {
    return this.servers.get(`${app}:${id}`);
  }

  set({ app, id }: OtlpIdentity, memory: OtlpServerMemory): void {
    const key = `${app}:${id}`;
    this.servers.delete(key);
    if (this.servers.size >= this.capacity) {
      const oldest = this.servers.keys().next().value;
      if (oldest !== undefined) this.servers.delete(oldest);
      this.forgotten++;
    }
    this.servers.set(key, memory);
  }
}
