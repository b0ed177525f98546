import type { ConnectionState } from '../connection.js';
import { el, setText } from '../dom.js';
import { duration } from '../format.js';
import type { PollState } from '../state.js';

/**
 * The page-wide states: the bridge's connection and Redis. Each banner is text with an icon in a live region, so
 * screen readers hear it and it does not rest on colour.
 */
export class Banners {
  private readonly connection: HTMLParagraphElement;
  private readonly redis: HTMLParagraphElement;

  constructor(root: HTMLElement) {
    this.connection = el('p', { className: 'banner banner-connection', attrs: { role: 'status' } });
    this.redis = el('p', { className: 'banner banner-redis', attrs: { role: 'alert' } });
    this.connection.hidden = true;
    this.redis.hidden = true;
    root.append(this.connection, this.redis);
  }

  setConnection(state: ConnectionState): void {
    const text =
      state === 'reconnecting'
        ? '⚠ Disconnected from the bridge, reconnecting… The cards show the last known state.'
        : state === 'refused'
          ? '✕ The bridge refused the token: sign in again.'
          : '';
    this.connection.hidden = text === '';
    setText(this.connection, text);
  }

  /** Redis down, or up while the bridge's polls of it fail: either way the cards are not current, and say so. */
  setRedis(up: boolean, error: string | undefined, poll: PollState): void {
    const text = !up
      ? `⚠ Redis down: the bridge cannot read Redis${error ? ` (${error})` : ''}. The cards show the last known state.`
      : !poll.ok
        ? `⚠ The bridge's polls of Redis are failing${poll.error ? ` (${poll.error})` : ''}: the cards show ${
            poll.dataAgeMs === undefined ? 'nothing read yet' : `the state of ${duration(poll.dataAgeMs / 1000)} ago`
          }, and server statuses are frozen.`
        : '';
    this.redis.hidden = text === '';
    setText(this.redis, text);
  }
}
