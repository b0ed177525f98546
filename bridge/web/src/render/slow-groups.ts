import type { SlowEntry } from '../protocol.js';
import type { SlowItem } from '../state.js';

/** One name of a slow card: how often it was slow in the entries kept, its slowest entry and its newest one. */
export interface SlowGroup {
  key: string;
  /** The route with its method, or the name: the grouping name the card shows. */
  label: string;
  count: number;
  /** Where the code made it (`path:line`), from the newest entry that says. */
  location: string | undefined;
  slowest: SlowEntry;
  newest: SlowEntry;
}

/** What a request's row is called: "GET /users/:id"; any other kind by its name (job, statement, METHOD host/path). */
export function slowLabel(entry: SlowEntry): string {
  if (entry.route) return entry.method ? `${entry.method} ${entry.route}` : entry.route;
  return entry.name;
}

/**
 * The entries of the given kinds grouped by kind and name (Laravel Pulse's slow cards), most frequent first, then
 * slowest first. `items` is the app's kept window (state.ts, newest first, bounded), so this is O(kept) per render.
 */
export function groupSlow(
  items: readonly SlowItem[],
  kinds: ReadonlySet<string>,
): { groups: SlowGroup[]; entries: number; since: number | undefined } {
  const groups = new Map<string, SlowGroup>();
  let entries = 0;
  let since: number | undefined;
  for (const { entry } of items) {
    if (!kinds.has(entry.kind)) continue;
    entries++;
    since = since === undefined ? entry.timestamp : Math.min(since, entry.timestamp);
    const label = slowLabel(entry);
    const key = `${entry.kind}\n${label}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { key, label, count: 1, location: entry.location, slowest: entry, newest: entry });
      continue;
    }
    group.count++;
    // Items come newest first: the first location met is the newest one.
    group.location ??= entry.location;
    if (entry.duration_ms > group.slowest.duration_ms) group.slowest = entry;
    if (entry.timestamp > group.newest.timestamp) group.newest = entry;
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || b.slowest.duration_ms - a.slowest.duration_ms);
  return { groups: sorted, entries, since };
}
