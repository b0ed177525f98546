import {
  errorEntryWrite,
  errorSetTrims,
  slowEntryWrite,
  validateErrorEntry,
  validateSlowEntry,
  type WriteCommand,
} from '@gravito/pulse-protocol';
import type { QueuedEntry } from './entry-queue.js';

export interface EntryCommands {
  commands: WriteCommand[];
  /** For each command, the index of the entry it writes, or -1 for housekeeping (trim, expire). */
  entryOf: number[];
  /** Entries that failed the protocol schema and were left out. */
  invalid: number;
  firstInvalidError?: string;
}

/**
 * The serializer for one flush:
 * - a slow entry is `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json>`;
 * - an error is `ZADD pulse:errors:{app} <ts> <json>`, and once per app and flush the set is trimmed
 *   to the window (`ZREMRANGEBYSCORE`) and the cap (`ZREMRANGEBYRANK`), and `EXPIRE`d, so that an
 *   idle app leaves nothing behind.
 * Every entry is checked against the protocol schema first; an invalid one is never written.
 */
export function entryCommands(batch: readonly QueuedEntry[], now: number): EntryCommands {
  const commands: WriteCommand[] = [];
  const entryOf: number[] = [];
  const errorApps = new Set<string>();
  let invalid = 0;
  let firstInvalidError: string | undefined;
  batch.forEach((item, i) => {
    const check = item.type === 'slow' ? validateSlowEntry(item.entry) : validateErrorEntry(item.entry);
    if (!check.ok) {
      invalid++;
      firstInvalidError ??= check.error;
      return;
    }
    if (item.type === 'slow') {
      commands.push(slowEntryWrite(item.app, item.entry));
    } else {
      commands.push(errorEntryWrite(item.app, item.entry));
      errorApps.add(item.app);
    }
    entryOf.push(i);
  });
  for (const app of errorApps) {
    for (const trim of errorSetTrims(app, now)) {
      commands.push(trim);
      entryOf.push(-1);
    }
  }
  return { commands, entryOf, invalid, firstInvalidError };
}
