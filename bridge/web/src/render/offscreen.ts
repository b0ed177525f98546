/**
 * With a thousand server cards, a few dozen are on screen. Those are written in the frame that follows an event;
 * a card off screen keeps only its latest pending write, run when it comes within a margin of the viewport.
 * Writing off-screen cards in idle time was measured and dropped: Chromium still recalculates their style, and
 * those frames (50–180 ms at 1,000 servers on a loaded machine) delayed the next event's paint.
 */
export class OffscreenUpdates {
  private readonly offscreen = new WeakSet<Element>();
  private readonly pending = new Map<Element, () => void>();
  private readonly observer: IntersectionObserver;

  constructor() {
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) {
            this.offscreen.add(entry.target);
            continue;
          }
          this.offscreen.delete(entry.target);
          const write = this.pending.get(entry.target);
          this.pending.delete(entry.target);
          write?.();
        }
      },
      { rootMargin: '600px 0px' },
    );
  }

  observe(element: Element): void {
    this.observer.observe(element);
  }

  forget(element: Element): void {
    this.observer.unobserve(element);
    this.pending.delete(element);
  }

  /** Runs `write` now when the element is on or near the screen (or not yet placed); else when it comes near. */
  write(element: Element, write: () => void): void {
    if (this.offscreen.has(element)) {
      this.pending.set(element, write);
      return;
    }
    this.pending.delete(element);
    write();
  }
}
