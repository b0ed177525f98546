import type { PulseSlowEvent, SlowEntry } from '@gravito/pulse-protocol';

/** Most entries remembered: one poll's worth at 20 busy apps; past it, history parses the rest itself. */
const MAX_ENTRIES = 20_000;

/**
 * The slow entries the live feed parsed and validated in this poll, by app and stream id: history's counting pass
 * reads mostly the same entries right after, and takes them from here instead of parsing them a second time. An
 * entry not here (a repeat the feed dropped, an invalid one, one the feed read in another poll) is parsed as usual.
 */
export class ParsedSlowEntries {
  /** App → stream id → entry (nested rather than one joined key: no string built per entry, added or looked up). */
  private entries = new Map<string, Map<string, SlowEntry>>();
  private size = 0;

  /** A new poll: the last one's entries are let go. */
  clear(): void {
    this.entries = new Map();
    this.size = 0;
  }

  add(events: readonly PulseSlowEvent[]): void {
    for (const event of events) {
      if (this.size >= MAX_ENTRIES) return;
      let ofApp = this.entries.get(event.app);
      if (!ofApp) {
        ofApp = new Map();
        this.entries.set(event.app, ofApp);
      }
      if (!ofApp.has(event.stream_id)) this.size++;
      ofApp.set(event.stream_id, event.entry);
    }
  }

  get(app: string, streamId: string): SlowEntry | undefined {
    return this.entries.get(app)?.get(streamId);
  }
}
