/** Whole states (full events of what a client follows) it may hold unsent, when that is more than the set budget. */
const STATES_BEHIND = 3;

/**
 * The unsent bytes a stream client may hold when a new event is due, past which it is disconnected: the set
 * budget (`PULSE_SSE_MAX_BUFFER_BYTES`), or three whole states of what it follows, whichever is larger. The
 * budget scales with the state: a client a pulse behind on a busy machine, or still taking in a first state of
 * many megabytes, catches up; what it holds costs little, being references to buffers every client shares.
 */
export function unsentBudget(maxBufferBytes: number, stateBytes: number): number {
  return Math.max(maxBufferBytes, STATES_BEHIND * stateBytes);
}
