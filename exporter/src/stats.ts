/**
 * The recorder's health, counted since start. `droppedEntries`, `failedWrites` and the invalid
 * counts go into every heartbeat's `recorder` block and into the `pulse.recorder.*` metrics.
 */
export class RecorderStats {
  /** Slow or error entries that never reached Redis: queue full, Redis not ready, write failed. */
  droppedEntries = 0;
  /** Entries put back in the queue for another try after their write failed (one count per try). */
  retriedEntries = 0;
  /** Writes (a heartbeat SET, or one flush of entries) skipped, failed, partly failed or timed out. */
  failedWrites = 0;
  /** Heartbeats that failed the protocol schema and were not written. */
  invalidHeartbeats = 0;
  /** Entries that failed the protocol schema and were not written (also counted in droppedEntries). */
  invalidEntries = 0;
  /** Entries and heartbeats written. */
  writtenEntries = 0;
  writtenHeartbeats = 0;
}
