import type { ConnectionState } from '../connection.js';
import { el, setText } from '../dom.js';

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

  setRedis(up: boolean, error: string | undefined): void {
    this.redis.hidden = up;
    setText(
      this.redis,
      up ? '' : `⚠ Redis down: the bridge cannot read Redis${error ? ` (${error})` : ''}. The cards show the last known state.`,
    );
  }
}
